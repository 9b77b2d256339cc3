"""The chart of `clients_bench.py`: latency distributions per path, throughput per concurrency, memory per client.

Drawn with PySide6's QtGui (QImage + QPainter), which the project already has for its app, so the benchmark needs no
plotting library; it works without a display (QT_QPA_PLATFORM=offscreen, set here unless already chosen).

    render(report, samples, Path("docs/images/performance.png"))
    .venv/bin/python bench/chart.py REPORT.json OUT.png   # from `clients_bench.py --json --keep-samples`
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WIDTH, HEIGHT = 1600, 1080
_APP: Any = None
COLORS = {
    "direct": "#555555",
    "floor": "#9b59b6",
    "bridge": "#1f6fb4",
    "stdio shim": "#2a9d3a",
    "mcp-remote": "#e07b00",
    "sdk": "#c0392b",
    "bridge + a shim each": "#2a9d3a",
    "an mcp-remote each": "#e07b00",
}
LABELS = {"direct": "direct (HTTP)", "bridge": "bridge (HTTP)", "stdio shim": "stdio shim", "mcp-remote": "mcp-remote",
          "floor": "bare relay (floor)", "sdk": "MCP SDK (Python), direct"}  # fmt: skip
NETWORK_MEASURES = {"session after quiet": "new session after quiet", "session back to back":
                    "new session back to back", "tools/call": "tools/call p50", "first call after idle":
                    "first call after idle", "first call after restart": "first call after network change"}  # fmt: skip


@dataclass
class Plot:
    """A panel's plotting area (in pixels) and the painter; maps data to pixels."""

    painter: Any
    left: float
    top: float
    width: float
    height: float

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width


def render(report: dict[str, Any], samples: dict[str, dict[str, list[float]]], out: Path) -> Path:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    global _APP
    _APP = QGuiApplication.instance() or QGuiApplication([])  # fonts need one; kept for the process's lifetime
    return _draw(report, samples, out)


def _draw(report: dict[str, Any], samples: dict[str, dict[str, list[float]]], out: Path) -> Path:
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    try:
        m = report["machine"]
        load = report["load_before"][0]
        title = "Port MCP Bridge against the clients users run today: one sandbox upstream, every path in one run"
        _text(p, 40, 16, WIDTH - 80, 30, title, size=17, bold=True)
        note = (f"{m['cpus']} vCPUs ({m['cpu']}), Python {m['python']}; load average {load:.2f} at the start. "
                f"Latency: {report['requests']} timed requests per path and operation, paths interleaved.")  # fmt: skip
        _text(p, 40, 46, WIDTH - 80, 22, note, size=11, color="#444444")
        half = (WIDTH - 120) / 2
        for i, op in enumerate(("tools/call", "tools/list")):
            frame = Plot(p, 40 + i * (half + 40), 80, half, 500)
            _latency_panel(frame, op, samples[op], report["latency"][op])
        frame = Plot(p, 40, 630, half, 430)
        _throughput_panel(frame, report["throughput"])
        frame = Plot(p, 80 + half, 630, half, 430)
        _memory_panel(frame, report)
    finally:
        p.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), "PNG"):
        raise OSError(f"could not write {out}")
    return out


# --- drawing helpers -----------------------------------------------------------------------------------------------


def _font(size: float, bold: bool = False) -> Any:
    from PySide6.QtGui import QFont

    font = QFont("DejaVu Sans")
    font.setPixelSize(round(size))
    font.setBold(bold)
    return font


def _text(p: Any, x: float, y: float, w: float, h: float, text: str, *, size: float = 12, bold: bool = False,
          color: str = "#222222", align: str = "left") -> None:  # fmt: skip
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor

    flags = {"left": Qt.AlignmentFlag.AlignLeft, "center": Qt.AlignmentFlag.AlignHCenter,
             "right": Qt.AlignmentFlag.AlignRight}[align] | Qt.AlignmentFlag.AlignVCenter  # fmt: skip
    p.setFont(_font(size, bold))
    p.setPen(QColor(color))
    p.drawText(QRectF(x, y, w, h), flags, text)


def _pen(color: str, width: float = 1.0, dashed: bool = False) -> Any:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPen

    pen = QPen(QColor(color), width)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


def _frame(frame: Plot, title: str, subtitle: str) -> Plot:
    """The panel's title, and its plotting area inside the margins for the axes' labels."""
    _text(frame.painter, frame.left, frame.top, frame.width, 24, title, size=15, bold=True)
    _text(frame.painter, frame.left, frame.top + 24, frame.width, 20, subtitle, size=11, color="#555555")
    return Plot(frame.painter, frame.left + 70, frame.top + 56, frame.width - 85, frame.height - 56 - 54)


def _axes(plot: Plot, x_ticks: Sequence[tuple[float, str]], y_ticks: Sequence[tuple[float, str]], x_label: str,
          y_label: str) -> None:  # fmt: skip
    """Grid lines at the ticks (already in pixels), the axis lines, tick labels and axis titles."""
    from PySide6.QtCore import QPointF

    p = plot.painter
    for x, label in x_ticks:
        p.setPen(_pen("#e3e3e3"))
        p.drawLine(QPointF(x, plot.top), QPointF(x, plot.bottom))
        _text(p, x - 40, plot.bottom + 4, 80, 18, label, size=11, color="#333333", align="center")
    for y, label in y_ticks:
        p.setPen(_pen("#e3e3e3"))
        p.drawLine(QPointF(plot.left, y), QPointF(plot.right, y))
        _text(p, plot.left - 66, y - 9, 60, 18, label, size=11, color="#333333", align="right")
    p.setPen(_pen("#333333", 1.2))
    p.drawLine(QPointF(plot.left, plot.bottom), QPointF(plot.right, plot.bottom))
    p.drawLine(QPointF(plot.left, plot.top), QPointF(plot.left, plot.bottom))
    _text(p, plot.left, plot.bottom + 24, plot.width, 20, x_label, size=12, color="#222222", align="center")
    p.save()
    p.translate(plot.left - 58, plot.top + plot.height / 2)
    p.rotate(-90)
    _text(p, -plot.height / 2, -10, plot.height, 20, y_label, size=12, color="#222222", align="center")
    p.restore()


def _nice_step(span: float, count: int = 5) -> float:
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


# --- the panels ----------------------------------------------------------------------------------------------------


def _latency_panel(frame: Plot, op: str, by_path: dict[str, list[float]], stats: dict[str, dict[str, float]]) -> None:
    """The cumulative distribution of each path's latencies, on a log scale; p50/p95/p99 in the legend."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPolygonF

    plot = _frame(frame, f"{op}: latency distribution",
                  "share of requests answered within a time, per path (log scale)")  # fmt: skip
    plot = Plot(plot.painter, plot.left, plot.top, plot.width, plot.height - 56)  # the legend goes under the axis
    everything = [v for values in by_path.values() for v in values]
    low = _floor_125(min(everything))
    high = _ceil_125(max(everything))

    def x_of(ms: float) -> float:
        return plot.left + plot.width * (math.log10(ms) - math.log10(low)) / (math.log10(high) - math.log10(low))

    def y_of(share: float) -> float:
        return plot.bottom - plot.height * share

    x_ticks = [(x_of(v), f"{v:g}") for v in _ticks_125(low, high)]
    y_ticks = [(y_of(s / 100), f"{s}%") for s in range(0, 101, 20)]
    _axes(plot, x_ticks, y_ticks, "milliseconds, request sent to whole answer read (log scale)", "requests")
    p = plot.painter
    for share, above in ((0.5, True), (0.95, False), (0.99, True)):  # p95 under its line, p99 over its own
        p.setPen(_pen("#9a9a9a", 1, dashed=True))
        p.drawLine(QPointF(plot.left, y_of(share)), QPointF(plot.right, y_of(share)))
        _text(p, plot.left + 4, y_of(share) - (15 if above else 0), 40, 14, f"p{round(share * 100)}", size=10,
              color="#666666")  # fmt: skip
    for path, values in by_path.items():
        ordered = sorted(values)
        steps = [QPointF(x_of(ordered[0]), y_of(0))]
        for i, v in enumerate(ordered):
            steps += [QPointF(x_of(v), y_of(i / len(ordered))), QPointF(x_of(v), y_of((i + 1) / len(ordered)))]
        p.setPen(_pen(COLORS[path], 2.4))
        p.drawPolyline(QPolygonF(steps))
    width = (plot.width + 60) / 2
    for i, (path, st) in enumerate(stats.items()):  # two columns under the axis title
        x, y = plot.left - 60 + width * (i % 2), plot.bottom + 52 + 22 * (i // 2)
        p.setPen(_pen(COLORS[path], 3))
        p.drawLine(QPointF(x, y + 10), QPointF(x + 28, y + 10))
        text = f"{LABELS[path]}: p50 {st['p50']:.1f}, p95 {st['p95']:.1f}, p99 {st['p99']:.1f} ms"
        _text(p, x + 36, y, width - 40, 20, text, size=12)


def _floor_125(v: float) -> float:
    power = 10 ** math.floor(math.log10(v))
    return max(m * power for m in (1, 2, 5) if m * power <= v)


def _ceil_125(v: float) -> float:
    power = 10 ** math.floor(math.log10(v))
    return min(m * power for m in (1, 2, 5, 10) if m * power >= v)


def _ticks_125(low: float, high: float) -> list[float]:
    out, power = [], 10 ** math.floor(math.log10(low))
    while power <= high:
        out += [m * power for m in (1, 2, 5) if low <= m * power <= high]
        power *= 10
    return out


def _bars(frame: Plot, title: str, subtitle: str, groups: list[str], series: list[str],
          value: Callable[[str, str], tuple[float | None, bool]], y_label: str, under: Callable[[str], str],
          labels: dict[str, str], fmt: str = "{:.0f}") -> None:  # fmt: skip
    """Grouped bars: per group, one bar per series; `value` gives (height, extrapolated) and extrapolated bars are
    drawn hatched; `under` writes a line under each group."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QBrush, QColor

    plot = _frame(frame, title, subtitle)
    plot = Plot(plot.painter, plot.left, plot.top + 40, plot.width, plot.height - 40)  # room for the legend above
    top = max((value(g, s)[0] or 0) for g in groups for s in series) * 1.15
    step = _nice_step(top)
    top = math.ceil(top / step) * step

    def y_of(v: float) -> float:
        return plot.bottom - plot.height * v / top

    y_ticks = [(y_of(i * step), fmt.format(i * step)) for i in range(round(top / step) + 1)]
    _axes(plot, [], y_ticks, "", y_label)
    p = plot.painter
    slot = plot.width / len(groups)
    bar = min(70.0, slot * 0.8 / len(series))
    for gi, group in enumerate(groups):
        x0 = plot.left + slot * gi + (slot - bar * len(series)) / 2
        for si, name in enumerate(series):
            v, extrapolated = value(group, name)
            if v is None:
                continue
            rect = QRectF(x0 + si * bar + 3, y_of(v), bar - 6, plot.bottom - y_of(v))
            p.setPen(_pen(COLORS[name]))
            p.setBrush(QColor(COLORS[name]))
            if extrapolated:
                p.setBrush(QColor("white"))
                p.drawRect(rect)
                p.setBrush(QBrush(QColor(COLORS[name]), Qt.BrushStyle.BDiagPattern))
            p.drawRect(rect)
            label = ("~" if extrapolated else "") + fmt.format(v)
            _text(p, rect.left() - 20, rect.top() - 20, rect.width() + 40, 18, label, size=11, align="center")
        _text(p, plot.left + slot * gi, plot.bottom + 4, slot, 18, group, size=12, bold=True, align="center")
        _text(p, plot.left + slot * gi, plot.bottom + 24, slot, 18, under(group), size=11, color="#444444",
              align="center")  # fmt: skip
    _legend_row(plot, [(COLORS[name], labels[name]) for name in series], plot.left, plot.top - 40)


def _legend_row(plot: Plot, entries: Sequence[tuple[str, str]], x: float, y: float) -> None:
    """Swatches and their names on one line, each as wide as its text."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QFontMetricsF

    p = plot.painter
    metrics = QFontMetricsF(_font(12))
    for color, text in entries:
        p.setPen(_pen(color))
        p.setBrush(QColor(color))
        p.drawRect(QRectF(x, y + 3, 18, 14))
        width = metrics.horizontalAdvance(text) + 4
        _text(p, x + 24, y, width, 20, text, size=12)
        x += 24 + width + 22


def _throughput_panel(frame: Plot, throughput: dict[str, Any]) -> None:
    groups = list(throughput)
    _bars(
        frame, "Throughput: tools/call", "requests/s with N concurrent sessions, each on its own connection",
        [f"{n} session{'s' if n != '1' else ''}" for n in groups], ["direct", "bridge"],
        lambda g, s: (throughput[g.split()[0]][s]["rps"], False), "requests / s",
        lambda g: f"bridge / direct: {throughput[g.split()[0]]['ratio']:.2f}x", LABELS,
    )  # fmt: skip


def _memory_panel(frame: Plot, report: dict[str, Any]) -> None:
    from clients_bench import MEMORY_SERIES, memory_table

    table = memory_table(report)
    labels = {"bridge": "bridge alone (HTTP clients)", "bridge + a shim each": "bridge + a shim per client",
              "an mcp-remote each": "an mcp-remote per client"}  # fmt: skip
    _bars(
        frame, "Resident memory with N clients",
        "RSS summed over the processes those clients need (MiB); hatched: extrapolated",
        [f"{n} client{'s' if n != '1' else ''}" for n in table], list(MEMORY_SERIES),
        lambda g, s: table[g.split()[0]][s], "MiB", lambda g: "", labels,
    )  # fmt: skip


def render_network(report: dict[str, Any], out: Path) -> Path:
    """`network_bench.py`'s chart: per RTT, the p50 of each measure on every path (ms), bridge / direct under it."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter

    global _APP
    _APP = QGuiApplication.instance() or QGuiApplication([])
    summary = report["summary"]
    image = QImage(WIDTH, 560 * len(summary) + 90, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    try:
        a, m = report["args"], report["machine"]
        _text(p, 40, 16, WIDTH - 80, 30, "Through the bridge against direct, on a Port-like network (TLS, RTT relay, "
              "60 s server keep-alive)", size=17, bold=True)  # fmt: skip
        _text(p, 40, 46, WIDTH - 80, 22, f"{m['cpus']} vCPUs, Python {m['python']}; load {report['load_before'][0]:.2f}"
              f"; quiet {a['quiet']:g} s, idle {a['idle']:g} s; {a['sessions']} sessions and {a['calls']} calls per "
              "path; medians", size=11, color="#444444")  # fmt: skip
        paths = [p for p in ("direct", "floor", "bridge", "stdio shim", "mcp-remote", "sdk") if p in
                 next(iter(summary.values()))["tools/call"]]  # fmt: skip
        keys = {label: key for key, label in NETWORK_MEASURES.items()}
        for i, (rtt, row) in enumerate(summary.items()):
            groups = [label for key, label in NETWORK_MEASURES.items() if key in row]

            def value(g: str, s: str, row: dict[str, Any] = row) -> tuple[float | None, bool]:
                cell = row[keys[g]].get(s)
                return (cell["p50"] if cell else None, False)

            def under(g: str, row: dict[str, Any] = row) -> str:
                cell = row[keys[g]].get("bridge", {})
                return f"bridge / direct {cell['vs direct']:.2f}x" if "vs direct" in cell else ""

            frame = Plot(p, 40, 80 + i * 560, WIDTH - 80, 540)
            _bars(frame, f"RTT {rtt} ms", "median milliseconds (lower is better)", groups, paths, value, "ms", under,
                  LABELS)  # fmt: skip
    finally:
        p.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), "PNG"):
        raise OSError(f"could not write {out}")
    return out


def main() -> None:
    """`python bench/chart.py REPORT.json OUT.png`: redraw from `clients_bench.py --json --keep-samples` output, or
    from `network_bench.py --json FILE`."""
    import json

    if len(sys.argv) != 3:
        sys.exit(main.__doc__)
    report = json.loads(Path(sys.argv[1]).read_text())
    if "summary" in report:
        print(render_network(report, Path(sys.argv[2])))
        return
    if not report.get("samples"):
        sys.exit("The report has no latency samples: run clients_bench.py with --json --keep-samples.")
    print(render(report, report["samples"], Path(sys.argv[2])))


if __name__ == "__main__":
    main()
