"""The enrichment step of the pipeline: language, then sentiment. Replaceable as one object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerts.language import DEFAULT_LANGUAGES, detect_language
from alerts.sentiment import score_sentiment


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What enrichment adds to a mention: its language and sentiment, with the reasons."""

    sentiment_compound: float
    sentiment_label: str
    scores: dict[str, Any]


class Enricher:
    """Detects the language of a text and scores its sentiment (VADER until the multilingual scorer lands)."""

    def __init__(self, languages: tuple[str, ...] = DEFAULT_LANGUAGES):
        self.languages = languages

    def language(self, text: str, declared: str | None) -> str | None:
        """Two-letter language code, or None when unknown."""
        return detect_language(text, declared=declared, languages=self.languages)

    def score(self, text: str, lang: str | None) -> Enrichment:
        """Sentiment of a text in language `lang`, with the words behind it."""
        s = score_sentiment(text)
        reasons = {"sentiment": {"engine": s.engine, "compound": s.compound, "words": s.words, "lang": lang}}
        return Enrichment(sentiment_compound=s.compound, sentiment_label=s.label, scores=reasons)
