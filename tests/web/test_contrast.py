"""Readable contrast, day and night: the page's colour pairs meet WCAG AA (4.5:1 for text) in the light and the
dark palette of app/web/static/vigie.css."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "app" / "web" / "static" / "vigie.css").read_text(encoding="utf-8")
# (text, background) pairs the page draws text with
PAIRS = [
    ("text", "bg"),
    ("text", "surface"),
    ("muted", "bg"),
    ("muted", "surface"),
    ("link", "surface"),
    ("link", "bg"),
    ("accent-text", "accent"),
    ("critical", "critical-bg"),
    ("warning", "warning-bg"),
    ("info", "info-bg"),
    ("ok", "ok-bg"),
    ("mark-text", "mark"),
    ("critical", "surface"),
    ("ok", "surface"),
]


def _palette(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", block))


def _palettes() -> dict[str, dict[str, str]]:
    light = _palette(CSS[CSS.index(":root {") : CSS.index("}", CSS.index(":root {"))])
    start = CSS.index(':root[data-theme="dark"] {')
    dark = _palette(CSS[start : CSS.index("}", start)])
    return {"light": light, "dark": dark}


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_contrast_formula_gives_the_known_figures() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0 and round(contrast("#777777", "#ffffff"), 2) == 4.48


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_text_colour_pair_meets_wcag_aa(theme: str) -> None:
    palette = _palettes()[theme]
    assert len(palette) >= 20, "the palette was not found in vigie.css"
    weak = {f"{fg} on {bg}": round(contrast(palette[fg], palette[bg]), 2) for fg, bg in PAIRS}
    assert {pair: ratio for pair, ratio in weak.items() if ratio < 4.5} == {}


def test_the_dark_palette_of_the_phone_setting_is_the_one_of_the_menu() -> None:
    media = CSS[CSS.index('  :root:not([data-theme="light"]) {') :]
    assert _palette(media[: media.index("}")]) == _palettes()["dark"]
