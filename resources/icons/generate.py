"""Writes the tray's state icons: `python resources/icons/generate.py` (stdlib only; the SVGs are committed).

One glyph (the app icon's bridge) plus a badge per state, cut out of the glyph and with its symbol cut out of the
badge (SVG masks), so each icon is a single colour per shape: a macOS template image (`QIcon.setIsMask`) keeps the
shapes readable. `light` is for light menu bars (a dark glyph), `dark` for dark ones.
"""

from __future__ import annotations

from pathlib import Path

GLYPH = (  # a suspension bridge: two towers, the deck, the cables
    '<path d="M9 5.5v22M23 5.5v22M3 20.5h26" fill="none" stroke-width="3.2" stroke-linecap="round"/>'
    '<path d="M9 7.5Q16 17.5 23 7.5M3 14.5Q7 11 9 7.5M23 7.5Q25 11 29 14.5" fill="none" stroke-width="2.2" '
    'stroke-linecap="round"/>'
)
SYMBOLS = {  # drawn in black inside the badge's mask: they become holes
    "signin": '<rect x="23.4" y="19" width="2.2" height="6.6" rx="1.1"/><circle cx="24.5" cy="28.2" r="1.25"/>',
    "error": '<path d="M21.6 21.6l5.8 5.8M27.4 21.6l-5.8 5.8" stroke="#000" stroke-width="2.2" '
    'stroke-linecap="round"/>',
    "paused": '<rect x="21.6" y="20.6" width="2.2" height="7.8" rx="0.6"/><rect x="25.2" y="20.6" width="2.2" '
    'height="7.8" rx="0.6"/>',
}
COLOURS = {
    "light": {"glyph": "#24292f", "signin": "#b35900", "error": "#cf222e", "paused": "#57606a"},
    "dark": {"glyph": "#f0f3f6", "signin": "#f5b53d", "error": "#ff7b72", "paused": "#b1bac4"},
}


def icon(state: str, variant: str) -> str:
    colours = COLOURS[variant]
    head = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">'
    title = f"<title>Port MCP Bridge: {state}</title>"
    if state == "serving":
        glyph = f'<g fill="{colours["glyph"]}" stroke="{colours["glyph"]}">{GLYPH}</g>'
        return f"{head}{title}{glyph}</svg>\n"
    defs = (
        "<defs>"
        '<mask id="around" maskUnits="userSpaceOnUse" x="0" y="0" width="32" height="32">'
        '<rect width="32" height="32" fill="#fff"/><circle cx="24.5" cy="24.5" r="9.5" fill="#000"/></mask>'
        '<mask id="symbol" maskUnits="userSpaceOnUse" x="0" y="0" width="32" height="32">'
        f'<rect width="32" height="32" fill="#fff"/><g fill="#000">{SYMBOLS[state]}</g></mask>'
        "</defs>"
    )
    glyph = f'<g mask="url(#around)" fill="{colours["glyph"]}" stroke="{colours["glyph"]}">{GLYPH}</g>'
    badge = f'<circle cx="24.5" cy="24.5" r="7.5" fill="{colours[state]}" mask="url(#symbol)"/>'
    return f"{head}{title}{defs}{glyph}{badge}</svg>\n"


def main() -> None:
    folder = Path(__file__).resolve().parent
    for state in ("serving", *SYMBOLS):
        for variant in COLOURS:
            (folder / f"tray-{state}-{variant}.svg").write_text(icon(state, variant))


if __name__ == "__main__":
    main()
