"""Sentiment of a mention: VADER's compound score and label, with the words that drove it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE_THRESHOLD = 0.05  # VADER's documented thresholds for its compound score
NEGATIVE_THRESHOLD = -0.05


@dataclass(frozen=True, slots=True)
class Sentiment:
    """A compound score in [-1, 1], its label, and the lexicon words that carried it."""

    compound: float
    label: str
    engine: str
    words: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def label_for(compound: float) -> str:
    """positive / negative / neutral from a compound score."""
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def score_sentiment(text: str) -> Sentiment:
    """Score one text with VADER (English lexicon; the multilingual scorer replaces this step)."""
    analyzer = _analyzer()
    compound = analyzer.polarity_scores(text)["compound"]
    lexicon = analyzer.lexicon
    words = [w for w in {t.strip(".,!?;:\"'()").lower() for t in text.split()} if w in lexicon]
    words.sort(key=lambda w: (-abs(lexicon[w]), w))  # deterministic across processes
    return Sentiment(compound=round(compound, 4), label=label_for(compound), engine="vader", words=words[:8])
