"""Render the app icon (resources/port-mcp-bridge.svg) for the installers: PNGs, a Windows .ico and a macOS .icns.

    .venv/bin/python packaging/make_icons.py [OUT_DIR]      # default build/icons; build.py runs it

Runs in the project's virtualenv (it draws with QtSvg, offscreen); the .ico and .icns containers hold PNG images,
which every supported Windows and macOS version reads, so no image library beyond Qt is needed.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import buildinfo

SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path, sizes: tuple[int, ...]) -> dict[int, bytes]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"Cannot read {svg} as SVG.")
    images = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        images[size] = bytes(data.data())
    return images


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose entries are PNGs (read by Windows since Vista)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, data in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    """An ICNS file of PNG elements (read by macOS since 10.7)."""
    body = b"".join(ICNS_TYPES[size] + struct.pack(">I", 8 + len(data)) + data for size, data in sorted(pngs.items()))
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    svg = buildinfo.ROOT / "resources" / "port-mcp-bridge.svg"
    pngs = render(svg, SIZES)
    for size, data in pngs.items():
        (out / f"port-mcp-bridge-{size}.png").write_bytes(data)
    (out / "port-mcp-bridge.ico").write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    (out / "port-mcp-bridge.icns").write_bytes(icns({s: pngs[s] for s in ICNS_TYPES}))
    print(f"Icons written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else buildinfo.WORK / "icons"))
