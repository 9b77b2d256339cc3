"""Status colours that keep WCAG AA contrast (4.5:1) on light and on dark windows, and the contrast ratio itself.

Nothing in the app hard-codes a light colour: text that is not a status uses the palette (`palette(text)`), and a
status colour is picked for the palette in use. `contrast` is pure, so the test checks every colour against every
background listed here without a screen.
"""

from __future__ import annotations

from PySide6.QtGui import QPalette

AA = 4.5  # WCAG 2.x AA, normal-size text

# (light, dark): GitHub Primer's foreground colours, the dark ones lightened where a dark grey window needs it.
STATUS: dict[str, tuple[str, str]] = {
    "ok": ("#116329", "#56d364"),
    "error": ("#b3141f", "#ff8e86"),
    "warn": ("#7d4e00", "#e3b341"),
    "info": ("#0550ae", "#79c0ff"),
    "neutral": ("#57606a", "#b1bac4"),
}
# Badges (text, background) in the Tools list: a tinted chip per kind and scheme.
BADGES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "read": (("#116329", "#d9f2e0"), ("#7ee787", "#12351d")),
    "write": (("#7d4e00", "#fbefc9"), ("#f2cc60", "#3b2c05")),
    "destructive": (("#b3141f", "#fcdcdc"), ("#ffa198", "#4a1416")),
    "unclassified": (("#57606a", "#eaeef2"), ("#c9d1d9", "#30363d")),
}
# The windows and list rows these colours are read on: Qt's Fusion, macOS, Windows 11 and GNOME (Adwaita), each in
# light and dark, with the alternate row colours of lists.
LIGHT_BACKGROUNDS = ("#ffffff", "#f7f7f7", "#f6f8fa", "#f0f0f0", "#efefef", "#ececec", "#e8e8e7", "#fafafa")
DARK_BACKGROUNDS = ("#1e1e1e", "#202020", "#242424", "#2b2b2b", "#2d2d2d", "#303030", "#323232", "#353535", "#3c3c3c")


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """WCAG relative luminance of `#rrggbb`."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio, 1 to 21."""
    a, b = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def status_color(kind: str, palette: QPalette) -> str:
    """The colour for a status ("ok", "error", "warn", "info", "neutral") on this palette's windows."""
    light, dark = STATUS.get(kind, STATUS["neutral"])
    return dark if is_dark(palette) else light


def warning_style(palette: QPalette) -> str:
    """The wizard's warning box: a tinted panel with the warning colour, for this palette."""
    text = status_color("warn", palette)
    background, border = ("#3b2c05", "#9e6a03") if is_dark(palette) else ("#fff8c5", "#d4a72c")
    return f"color: {text}; background: {background}; border: 1px solid {border}; border-radius: 4px;"


def badge_colors(kind: str, palette: QPalette) -> tuple[str, str]:
    light, dark = BADGES.get(kind, BADGES["write"])
    return dark if is_dark(palette) else light
