"""The three file formats clients use, each as pure text → data and text → text functions.

- JSON: spliced by `jsonc` so every byte outside our entry stays as it was; comments are kept when the client reads
  JSONC, and refused when it does not (such a file is already broken for that client).
- TOML (Codex): `tomlkit`, which keeps comments, order and layout.
- YAML (Goose): `ruamel.yaml` round-trip mode, which keeps comments; we check first that it reproduces the file
  exactly, and refuse a file it would reflow.
"""

from __future__ import annotations

import io
import json
from typing import Any, Protocol

from bridge.export import jsonc


class FormatProblem(ValueError):
    """The file cannot be edited safely; the message says why, for a person."""


class Format(Protocol):
    def servers(self, text: str, section: str) -> dict[str, Any]: ...
    def put(self, text: str, section: str, name: str, value: dict[str, Any]) -> str: ...
    def remove(self, text: str, section: str, name: str) -> str: ...
    def snippet(self, section: str, servers: dict[str, dict[str, Any]]) -> str: ...


class JsonFormat:
    def __init__(self, *, comments_ok: bool) -> None:
        self.comments_ok = comments_ok

    def _parse(self, text: str) -> jsonc.Document:
        try:
            doc = jsonc.parse(text)
        except jsonc.JsoncError as exc:
            raise FormatProblem(f"it is not valid JSON ({exc})") from exc
        except ValueError as exc:  # json.loads on JSONC that the scanner let through
            raise FormatProblem(f"it is not valid JSON ({exc})") from exc
        if doc.has_comments and not self.comments_ok:
            raise FormatProblem("it contains comments, which this client's JSON reader does not accept")
        return doc

    def servers(self, text: str, section: str) -> dict[str, Any]:
        value = self._parse(text).data.get(section, {})
        if not isinstance(value, dict):
            raise FormatProblem(f'its "{section}" is not an object')
        return value

    def put(self, text: str, section: str, name: str, value: dict[str, Any]) -> str:
        self.servers(text, section)
        try:
            return jsonc.set_member(text, section, name, value)
        except jsonc.JsoncError as exc:
            raise FormatProblem(str(exc)) from exc

    def remove(self, text: str, section: str, name: str) -> str:
        self.servers(text, section)
        try:
            return jsonc.remove_member(text, section, name)
        except jsonc.JsoncError as exc:
            raise FormatProblem(str(exc)) from exc

    def snippet(self, section: str, servers: dict[str, dict[str, Any]]) -> str:
        return json.dumps({section: servers}, indent=2, ensure_ascii=False) + "\n"


class TomlFormat:
    def _parse(self, text: str) -> Any:
        import tomlkit
        from tomlkit.exceptions import ParseError

        try:
            return tomlkit.parse(text)
        except ParseError as exc:
            raise FormatProblem(f"it is not valid TOML ({exc})") from exc

    def servers(self, text: str, section: str) -> dict[str, Any]:
        value = self._parse(text).unwrap().get(section, {})
        if not isinstance(value, dict):
            raise FormatProblem(f"its `{section}` is not a table")
        return value

    def put(self, text: str, section: str, name: str, value: dict[str, Any]) -> str:
        import tomlkit
        from tomlkit.items import Table

        doc = self._parse(text)
        self.servers(text, section)
        if section not in doc:
            if doc.body and not text.endswith("\n\n"):
                doc.add(tomlkit.nl())
            doc.add(section, tomlkit.table(is_super_table=True))
        servers = doc[section]
        current = servers.get(name)
        if isinstance(current, Table):  # edit in place: comments inside the table survive
            for key in [k for k in current if k not in value]:
                del current[key]
            for key, item in value.items():
                if current.get(key) != item:
                    current[key] = _toml_value(item)
        else:
            table = tomlkit.table()
            for key, item in value.items():
                table[key] = _toml_value(item)
            servers[name] = table
        return tomlkit.dumps(doc)

    def remove(self, text: str, section: str, name: str) -> str:
        import tomlkit

        doc = self._parse(text)
        if name not in self.servers(text, section):
            return text
        del doc[section][name]  # its sub-tables (`[mcp_servers.port.http_headers]`) go with it
        return tomlkit.dumps(doc)

    def snippet(self, section: str, servers: dict[str, dict[str, Any]]) -> str:
        text = ""
        for name, value in servers.items():
            text = self.put(text, section, name, value)
        return text


def _toml_value(value: Any) -> Any:
    import tomlkit

    if isinstance(value, dict):  # headers and the like: an inline table, as Codex's docs write them
        table = tomlkit.inline_table()
        table.update(value)
        return table
    return value


class YamlFormat:
    def _yaml(self) -> Any:
        from ruamel.yaml import YAML

        yaml = YAML(typ="rt")
        yaml.width = 4096  # never fold a long line
        yaml.preserve_quotes = True
        return yaml

    def _load(self, text: str) -> Any:
        from ruamel.yaml.error import YAMLError

        yaml = self._yaml()
        try:
            data = yaml.load(text) if text.strip() else None
        except YAMLError as exc:
            raise FormatProblem(f"it is not valid YAML ({exc})") from exc
        if data is None:
            return None
        if not hasattr(data, "keys"):
            raise FormatProblem("its top level is not a mapping")
        if self._dump(data) != text:  # the round trip would change bytes we do not own
            raise FormatProblem("its layout is one we cannot reproduce exactly when we rewrite it")
        return data

    def _dump(self, data: Any) -> str:
        out = io.StringIO()
        self._yaml().dump(data, out)
        return out.getvalue()

    def servers(self, text: str, section: str) -> dict[str, Any]:
        data = self._load(text)
        value = (data or {}).get(section) or {}
        if not hasattr(value, "keys"):
            raise FormatProblem(f"its `{section}` is not a mapping")
        plain: dict[str, Any] = json.loads(json.dumps(value))  # plain dicts and lists
        return plain

    def put(self, text: str, section: str, name: str, value: dict[str, Any]) -> str:
        from ruamel.yaml.comments import CommentedMap

        data = self._load(text)
        self.servers(text, section)
        if data is None:
            data = CommentedMap()
        if data.get(section) is None:
            data[section] = CommentedMap()
        servers = data[section]
        current = servers.get(name)
        if hasattr(current, "keys"):
            for key in [k for k in current if k not in value]:
                del current[key]
            for key, item in value.items():
                if current.get(key) != item:
                    current[key] = item
        else:
            servers[name] = value
        return self._dump(data)

    def remove(self, text: str, section: str, name: str) -> str:
        data = self._load(text)
        if name not in self.servers(text, section):
            return text
        del data[section][name]
        return self._dump(data)

    def snippet(self, section: str, servers: dict[str, dict[str, Any]]) -> str:
        return self._dump({section: servers})
