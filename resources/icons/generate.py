"""Writes the tray's state icons and the settings sidebar's page icons: `python resources/icons/generate.py`
(stdlib only; the SVGs are committed).

One glyph (the app icon's bridge) plus a badge per state, cut out of the glyph and with its symbol cut out of the
badge (SVG masks), so each icon is a single colour per shape: a macOS template image (`QIcon.setIsMask`) keeps the
shapes readable. `light` is for light menu bars (a dark glyph), `dark` for dark ones.
"""

from __future__ import annotations

from pathlib import Path

GLYPH = (  # the app icon's mark (resources/port-mcp-bridge.svg: an arch on three piers, a dot above), scaled to fill
    # the 32 px canvas without its tile; strokes 4 units thick, so 2 px at the tray's 16 px
    '<g transform="translate(16 16.6) scale(0.82) translate(-32 -33)">'
    '<path d="M16 40c6-12 26-12 32 0" fill="none" stroke-width="5" stroke-linecap="round"/>'
    '<path d="M20 40v8M44 40v8M32 31v17" fill="none" stroke-width="5" stroke-linecap="round"/>'
    '<circle cx="32" cy="20" r="5" stroke="none"/></g>'
)
SYMBOLS = {  # drawn in black inside the badge's mask: they become holes
    "signin": '<rect x="23.4" y="19" width="2.2" height="6.6" rx="1.1"/><circle cx="24.5" cy="28.2" r="1.25"/>',
    "error": '<path d="M21.6 21.6l5.8 5.8M27.4 21.6l-5.8 5.8" stroke="#000" stroke-width="2.2" '
    'stroke-linecap="round"/>',
    "paused": '<rect x="21.6" y="20.6" width="2.2" height="7.8" rx="0.6"/><rect x="25.2" y="20.6" width="2.2" '
    'height="7.8" rx="0.6"/>',
    # read-only (while serving): a padlock, the mark every desktop uses for "cannot be changed"
    "readonly": '<rect x="20.6" y="23.4" width="7.8" height="5.8" rx="0.9"/>'
    '<path d="M22.3 23.8v-1.9a2.2 2.2 0 0 1 4.4 0v1.9" fill="none" stroke="#000" stroke-width="1.7"/>',
}
COLOURS = {
    "light": {"glyph": "#24292f", "signin": "#b35900", "error": "#cf222e", "paused": "#57606a", "readonly": "#0969da"},
    "dark": {"glyph": "#f0f3f6", "signin": "#f5b53d", "error": "#ff7b72", "paused": "#b1bac4", "readonly": "#79c0ff"},
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


# The settings window's sidebar: a white line glyph on a coloured rounded square (reads on light and dark windows).
PAGES = {
    "profiles": (
        "#5e5ce6",
        '<circle cx="16" cy="12" r="4.2"/><path d="M8.5 24.5c0-4.2 3.4-6.8 7.5-6.8s7.5 2.6 7.5 6.8"/>',
    ),
    "tools": (
        "#0a84ff",
        '<path d="M13 10.5h10M13 16h10M13 21.5h10"/><circle cx="9.2" cy="10.5" r="1"/>'
        '<circle cx="9.2" cy="16" r="1"/><circle cx="9.2" cy="21.5" r="1"/>',
    ),
    "actions": ("#ff9f0a", '<path d="M17.5 6.5l-7 11h5.5l-1.5 8 7-11h-5.5z" stroke-linejoin="round"/>'),
    "clients": ("#30b0c7", '<rect x="7.5" y="8.5" width="17" height="11.5" rx="1.5"/><path d="M5.5 24h21"/>'),
    "activity": ("#248a3d", '<circle cx="16" cy="16" r="8.5"/><path d="M16 11v5.2l3.4 2.2" stroke-linejoin="round"/>'),
    "doctor": ("#ff375f", '<path d="M6 16.5h5l2.2-5 3.6 10 2.4-5H26" stroke-linejoin="round"/>'),
    "general": (
        "#8e8e93",
        '<path d="M8 10.5h16M8 16h16M8 21.5h16"/><circle cx="12.5" cy="10.5" r="2" fill="#fff"/>'
        '<circle cx="19.5" cy="16" r="2" fill="#fff"/>'
        '<circle cx="14" cy="21.5" r="2" fill="#fff"/>',
    ),
}


def page_icon(name: str) -> str:
    colour, glyph = PAGES[name]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">'
        f'<title>{name}</title><rect x="1" y="1" width="30" height="30" rx="7" fill="{colour}"/>'
        f'<g fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round">{glyph}</g></svg>\n'
    )


def main() -> None:
    folder = Path(__file__).resolve().parent
    for state in ("serving", *SYMBOLS):
        for variant in COLOURS:
            (folder / f"tray-{state}-{variant}.svg").write_text(icon(state, variant))
    for name in PAGES:
        (folder / f"page-{name}.svg").write_text(page_icon(name))


if __name__ == "__main__":
    main()
