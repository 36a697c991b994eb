"""The web page speaks French and English everywhere: every wording exists in both, and every literal key a
template or page module asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

from app.web.words import WORDS

WEB = Path(__file__).resolve().parents[2] / "app" / "web"
KEY = re.compile(r"""\bt\(\s*['"]([a-z0-9_]+)['"]\s*[,)]""")  # whole keys, not prefixes joined with ~


def test_french_and_english_have_the_same_keys() -> None:
    assert set(WORDS["fr"]) - set(WORDS["en"]) == set()
    assert set(WORDS["en"]) - set(WORDS["fr"]) == set()


def test_every_key_the_pages_ask_for_is_worded() -> None:
    asked = {
        (path.name, key)
        for path in [*WEB.glob("templates/*.html"), *WEB.glob("*.py")]
        for key in KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert asked, "no t('...') call found: the pattern is out of date"
    assert sorted((name, key) for name, key in asked if key not in WORDS["en"]) == []


def test_no_wording_is_left_empty_or_untranslated_by_accident() -> None:
    same = {k for k in WORDS["en"] if WORDS["en"][k] == WORDS["fr"][k] and len(WORDS["en"][k]) > 12}
    assert [k for k in WORDS["en"] if not WORDS["en"][k].strip() or not WORDS["fr"][k].strip()] == []
    assert sorted(same) == []  # long texts identical in both languages were not translated
