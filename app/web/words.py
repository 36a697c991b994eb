"""The web page's wording in French and English (a workspace chooses; a person may switch)."""

from __future__ import annotations

from app.web.words_en import WORDS_EN
from app.web.words_fr import WORDS_FR

WORDS: dict[str, dict[str, str]] = {"en": WORDS_EN, "fr": WORDS_FR}


def translate(lang: str, key: str, **values: object) -> str:
    """The wording of `key` in `lang` (English when missing), with `{name}` values filled in."""
    text = WORDS.get(lang, WORDS["en"]).get(key) or WORDS["en"].get(key, key)
    return text.format(**values) if values else text
