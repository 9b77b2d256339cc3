"""Render the PyInstaller spec for any system without PyInstaller's build: what each program and the macOS bundle get.

The spec is executed with stand-ins for PyInstaller's `Analysis`, `PYZ`, `EXE`, `COLLECT` and `BUNDLE` that record
their arguments and apply PyInstaller's own rules for what a bundle inherits, so the `.app`'s Info.plist can be checked
on Linux (the suite does; `python3 dev.py package` prints it):

    .venv/bin/python packaging/render.py [darwin|win32|linux]

The rules imitated are PyInstaller 6.22.3's (`PyInstaller/building/api.py` `COLLECT.__init__`: `console` is the last
EXE's; `PyInstaller/building/osx.py` `BUNDLE.__init__`: inherits `console` from its last EXE or COLLECT argument,
then writes `LSBackgroundOnly=True` when `console` is set, else `NSHighResolutionCapable=True`, then merges the spec's
`info_plist` over those defaults). The spec imports PyInstaller's `copy_metadata`; a stand-in returns nothing.
"""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SPEC = HERE / "port-mcp-bridge.spec"
PYINSTALLER = "6.22.3"  # whose BUNDLE/COLLECT rules are imitated; build.py pins the same


@dataclass
class Exe:
    name: str
    console: bool
    kwargs: dict[str, Any]


@dataclass
class Collect:
    name: str
    exes: list[Exe]
    console: bool
    links: dict[str, str]  # SYMLINK entries: link name -> target, beside the programs


@dataclass
class Bundle:
    name: str
    executable: str  # the first EXECUTABLE in its contents: CFBundleExecutable
    console: bool
    info_plist: dict[str, Any]  # as PyInstaller writes it to Contents/Info.plist


@dataclass
class Rendered:
    platform: str
    exes: list[Exe] = field(default_factory=list)
    collect: Collect | None = None
    bundle: Bundle | None = None


def stand_ins(rendered: Rendered) -> dict[str, Any]:
    class Analysis:
        def __init__(self, scripts: list[str], **kwargs: Any) -> None:
            self.scripts, self.pure, self.binaries, self.datas = scripts, [], [], []

    def pyz(*_args: Any, **_kwargs: Any) -> object:
        return object()

    def exe(*_args: Any, name: str, console: bool = True, **kwargs: Any) -> Exe:
        made = Exe(name, console, kwargs)
        rendered.exes.append(made)
        return made

    def collect(*args: Any, name: str, **_kwargs: Any) -> Collect:
        exes = [a for a in args if isinstance(a, Exe)]
        links = {entry[0]: entry[1] for arg in args if isinstance(arg, list) for entry in arg
                 if isinstance(entry, tuple) and len(entry) == 3 and entry[2] == "SYMLINK"}  # fmt: skip
        made = Collect(name, exes, console=exes[-1].console if exes else True, links=links)
        rendered.collect = made
        return made

    def bundle(
        *args: Any, name: str, info_plist: dict[str, Any] | None = None, bundle_identifier: str = "", **_kwargs: Any
    ) -> Bundle:
        console, first = True, None
        for arg in args:
            if isinstance(arg, Exe):
                console, first = arg.console, first or arg.name
            elif isinstance(arg, Collect):
                console, first = arg.console, first or (arg.exes[0].name if arg.exes else None)
        plist: dict[str, Any] = {"CFBundleExecutable": first, "CFBundleIdentifier": bundle_identifier,
                                 "CFBundlePackageType": "APPL"}  # fmt: skip
        if console:
            plist["LSBackgroundOnly"] = True
        else:
            plist["NSHighResolutionCapable"] = True
        plist.update(info_plist or {})
        made = Bundle(name, str(first), console, plist)
        rendered.bundle = made
        return made

    return {"Analysis": Analysis, "PYZ": pyz, "EXE": exe, "COLLECT": collect, "BUNDLE": bundle}


def render(platform: str = sys.platform) -> Rendered:
    """Execute the spec as PyInstaller would on `platform`, with the stand-ins; return what it asked for."""
    rendered = Rendered(platform)
    import PySide6  # noqa: F401 - imported under the real platform: its set-up differs per system

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.copy_metadata = lambda _name: []  # type: ignore[attr-defined]
    saved_platform = sys.platform
    saved_modules = {name: sys.modules.get(name) for name in ("PyInstaller", "PyInstaller.utils", hooks.__name__)}
    sys.modules.update({"PyInstaller": types.ModuleType("PyInstaller"),
                        "PyInstaller.utils": types.ModuleType("PyInstaller.utils"), hooks.__name__: hooks})  # fmt: skip
    sys.platform = platform
    try:
        namespace = {"SPECPATH": str(HERE), "__file__": str(SPEC), **stand_ins(rendered)}
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)  # noqa: S102 (our own spec)
    finally:
        sys.platform = saved_platform
        for name, module in saved_modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return rendered


def main() -> int:
    """`render.py [platform] [--json]`: what the spec asks for on `platform`; with --json, the bundle only, as JSON
    (build.py reads it: it runs under any Python, this under the project's, which has PySide6)."""
    args = [a for a in sys.argv[1:] if a != "--json"]
    platform = args[0] if args else sys.platform
    rendered = render(platform)
    if "--json" in sys.argv:
        bundle = rendered.bundle
        made = None if bundle is None else {"info_plist": bundle.info_plist, "executable": bundle.executable}
        print(json.dumps(made))
        return 0
    print(f"programs: {[(e.name, 'console' if e.console else 'windowed') for e in rendered.exes]}")
    if rendered.collect and rendered.collect.links:
        print(f"links: {rendered.collect.links}")
    if rendered.bundle:
        print(f"{rendered.bundle.name} Info.plist:")
        print(json.dumps(rendered.bundle.info_plist, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
