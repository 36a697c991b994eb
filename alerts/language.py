"""Language of a mention: the source's declaration when given, else py3langid over the allowed languages."""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

DEFAULT_LANGUAGES = ("fr", "en", "es", "de", "it", "pt", "nl")
_MIN_LETTERS = 3
# Below this normalised probability the guess is no better than chance on short posts: say "unknown".
MIN_CONFIDENCE = 0.5


@lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    # One identifier per language set, loaded once: loading the model takes ~0.3 s.
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(languages))
    return ident


def detect_language(
    text: str, *, declared: str | None = None, languages: tuple[str, ...] = DEFAULT_LANGUAGES
) -> str | None:
    """Two-letter language code of `text`, or None when there is too little text to tell."""
    if declared:
        return declared.lower()[:2]
    if sum(ch.isalpha() for ch in text[:200]) < _MIN_LETTERS:
        return None
    lang, prob = _identifier(tuple(languages)).classify(text)
    return lang if prob >= MIN_CONFIDENCE else None
