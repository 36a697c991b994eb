"""Sentiment of a mention for the brand: compound score, label, complaint flag, and the reasons for each.

French goes to Vigie's French engine (alerts/french.py), everything else to VADER (alerts/english.py); both
then get complaint awareness (alerts/complaints.py), the harms the crisis vocabulary names (alerts/crisis.py:
a burn, a lawsuit, a leak are negative for the brand even when told flatly) and the same blending
(alerts/blend.py). The crisis terms found are kept on the Sentiment, so that the risk does not look again.
A Sentiment is built fresh for every call; treat its lists and dict as read-only all the same, since callers
may cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alerts import english, french
from alerts.blend import blend
from alerts.complaints import find_complaints, question_spans
from alerts.crisis import CrisisLexicon, CrisisMatch, load_crisis_lexicon
from alerts.prefilter import words_of
from alerts.tokens import WORD, Prepared, fold
from alerts.valence import Hit

POSITIVE_THRESHOLD = 0.05  # VADER's documented thresholds for its compound score
NEGATIVE_THRESHOLD = -0.05
MAX_CHARS = 1000  # long texts: the title and first sentences carry the stance; cost stays linear and bounded
MAX_WORDS = 10


@dataclass(frozen=True, slots=True)
class Sentiment:
    """A compound score in [-1, 1], its label, whether a failure is reported, and why."""

    compound: float
    label: str
    engine: str
    words: list[str] = field(default_factory=list)  # lexicon words that carried the score, strongest first
    complaint: bool = False
    complaint_signals: list[str] = field(default_factory=list)  # failures reported, as written
    reasons: dict = field(default_factory=dict)  # JSON-ready: words with valences, rules fired, complaints
    crisis: tuple[CrisisMatch, ...] | None = None  # crisis terms of the text (None: not looked for)


def label_for(compound: float) -> str:
    """positive / negative / neutral from a compound score."""
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def excerpt(text: str, limit: int = MAX_CHARS) -> str:
    """The first `limit` characters, cut at a sentence end when one is in the second half, else at a space."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = max(head.rfind(". "), head.rfind("! "), head.rfind("? "), head.rfind("\n"))
    if end > limit // 2:
        return head[: end + 1]
    return head.rsplit(" ", 1)[0]


def _words(hits: list[Hit]) -> list[str]:
    """Distinct words (and emojis) by decreasing weight, ties by spelling, so the order never varies."""
    best: dict[str, float] = {}
    for h in hits:
        if h.kind == "word" or h.kind == "emoji":
            best[h.word] = max(best.get(h.word, 0.0), abs(h.valence))
    return sorted(best, key=lambda w: (-best[w], w))[:MAX_WORDS]


def _words_of(prepared: Prepared) -> set[str]:
    """Every word of the folded text (what the complaint prefilter needs), from the tokens when possible."""
    if "#" in prepared.folded:  # a split hashtag ("#BoycottBNP") is also one word of the folded text
        return words_of(prepared.folded) | {t.norm for t in prepared.tokens if t.kind == WORD}
    words = {t.norm for t in prepared.tokens if t.kind == WORD}
    words.update(fold(t.elongated) for t in prepared.tokens if t.elongated)
    return words


def score_sentiment(text: str, lang: str | None = None, *, crisis: CrisisLexicon | None = None) -> Sentiment:
    """Score one text; lang "fr" (or "fr-CA", "FR") uses the French engine, anything else (None too) English.
    `crisis`: the workspace's crisis lexicon (default: the language's file); harms it names count as negative."""
    lang = "fr" if lang and lang[:2].lower() == "fr" else "en"
    analysis = (french if lang == "fr" else english).analyse(excerpt(text or ""))
    prepared = analysis.prepared
    matches = (crisis or load_crisis_lexicon(lang)).match(prepared.folded)
    questions = question_spans(prepared.folded, lang)
    signals = find_complaints(prepared.text, prepared.folded, lang, words=_words_of(prepared), questions=questions)
    score, hits, rules = blend(analysis, signals, lang, questions, matches)
    score = round(score, 4)
    complaints = [s for s in signals if s.personal]
    reasons = {
        "engine": analysis.engine,
        "words": [{"word": h.word, "valence": round(h.valence, 3), "lexicon": h.base} for h in hits
                  if h.kind in ("word", "emoji")],
        "harms": [{"term": h.word, "valence": round(h.valence, 3)} for h in hits if h.kind == "harm"],
        "rules": list(dict.fromkeys(rules)),
        "complaint": [{"signal": s.text, "kind": s.kind, "tier": s.tier, "reported_by_author": s.personal}
                      for s in signals],
    }
    return Sentiment(
        compound=score,
        label=label_for(score),
        engine=analysis.engine,
        words=_words(hits),
        complaint=bool(complaints),
        complaint_signals=[s.text for s in complaints],
        reasons=reasons,
        crisis=tuple(matches),
    )
