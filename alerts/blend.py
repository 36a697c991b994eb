"""From word valences and complaint signals to one compound score, with the rules that decided it.

Order matters and mirrors how a CM reads a post: questions and politeness first ("ça vaut le coup ? merci"
says nothing about the brand), then the failures reported (each one a negative contribution), then irony
(praise next to a failure is sarcasm: "merci @SNCF pour ces 3h de retard 👏"), then contrast (what follows
"mais"/"but" weighs more), then VADER's normalisation.
"""

from __future__ import annotations

import re

from alerts.complaints import RESOLVED, STRONG, ComplaintSignal, question_spans
from alerts.valence import Analysis, Hit, compound, weigh_contrast

COMPLAINT_VALENCE = {STRONG: -2.0}  # a reported failure weighs like "bad" (-2.5) or "déçu" (-2.2)
WEAK_VALENCE = -1.6
IRONY_SCALAR = -0.5  # praise next to a failure is read as irony: reversed, at half strength
STRONG_OPINION = 2.5  # negative words this strong keep half their weight even inside a plain question
TIE_BREAK = -0.1  # a complaint whose words cancel out still leans negative for the brand
SCARE_QUOTE_VALENCE = -1.0  # a brand claim put in quotes ("livré", "24/7 support") is contested
IRONY_EMOJIS = frozenset("🙃🙄😒🤡")
# A short quoted span: scare quotes around a claim. Four words at most; a quoted Title Case name is not one.
_QUOTE = re.compile(r'["“«]\s*([^"“”«»\n]{1,40}?)\s*["”»]')


def _scare_quotes(analysis: Analysis) -> list[tuple[int, int, str]]:
    """(start, end, text) of the scare quotes: short quoted claims that are not Title Case names."""
    spans = []
    for m in _QUOTE.finditer(analysis.prepared.text):
        words = m.group(1).split()
        if len(words) > 4 or all(w[:1].isupper() for w in words):
            continue
        spans.append((m.start(), m.end(), m.group(1)))
    return spans


def _quoted_claims(analysis: Analysis, rules: list[str]) -> list[Hit]:
    """Words inside scare quotes are the brand's claim, not the author's opinion; the quote itself doubts it."""
    quotes = _scare_quotes(analysis)
    for start, end, quoted in quotes:
        for h in analysis.hits:
            if start <= h.start < end and h.valence:
                h.valence = 0.0
        rules.append(f"scare quotes: '{quoted}' is quoted to contest it")
    return [Hit(f'"{q}"', SCARE_QUOTE_VALENCE, SCARE_QUOTE_VALENCE, s, "complaint") for s, _, q in quotes]


def _quiet_questions(analysis: Analysis, spans: list[tuple[int, int]], rules: list[str]) -> None:
    """Inside a plain question words mostly ask, not judge; in a text with a question, "merci" is politeness."""
    if not spans:
        return
    for h in analysis.hits:
        inside = any(s <= h.start < e for s, e in spans)
        if h.word in analysis.polite:
            h.valence = 0.0
            rules.append(f"politeness: '{h.word}' in a question is not praise")
        elif inside and h.valence:
            # "what's the best option?" judges nothing; "vous êtes incapables ?" still does, at half strength
            h.valence *= 0.5 if h.base <= -STRONG_OPINION else 0.0
            rules.append(f"question: '{h.word}' is asked about, not asserted")


def _complaint_hits(signals: list[ComplaintSignal]) -> list[Hit]:
    """One negative contribution per reported failure."""
    hits = []
    for s in signals:
        v = COMPLAINT_VALENCE.get(s.tier, WEAK_VALENCE)
        hits.append(Hit(s.text, v, v, s.start, "complaint"))
    return hits


def _contrast_at(analysis: Analysis, hits: list[Hit]) -> tuple[int, str] | None:
    """The first contrastive word that has something scored before it (a leading "Mais ..." is no contrast)."""
    for at, word in analysis.contrasts:
        if any(h.start < at and h.valence for h in hits):
            return at, word
    return None


def _irony(words: list[Hit], failures: list[Hit], contrast: int | None, rules: list[str]) -> None:
    """Praise in a text that reports a failure (or that rolls its eyes 🙃) is sarcasm, unless a contrast puts the
    praise after the failure ("vol retardé mais personnel adorable" is sincere)."""
    markers = [h.start for h in words if h.word in IRONY_EMOJIS]
    if not failures and not markers:
        return
    first_failure = min([f.start for f in failures] + markers)
    for h in words:
        if h.valence <= 0:
            continue
        if contrast is not None and first_failure < contrast <= h.start:
            continue
        h.valence *= IRONY_SCALAR
        rules.append(f"irony: '{h.word}' next to a reported failure reads as sarcasm")


def blend(analysis: Analysis, signals: list[ComplaintSignal], lang: str,
          questions: list[tuple[int, int]] | None = None) -> tuple[float, list[Hit], list[str]]:
    """Compound score, every contribution (words and failures) and the rules that fired, for one text.
    `questions`: the plain-question spans (complaints.question_spans), when already computed."""
    rules = list(analysis.rules)
    if questions is None:
        questions = question_spans(analysis.prepared.folded, lang)
    _quiet_questions(analysis, questions, rules)
    failures = _complaint_hits(signals) + _quoted_claims(analysis, rules)
    # A word inside a reported failure ("no" in "still no refund") is already counted by the failure.
    words = [h for h in analysis.hits if not any(s.start <= h.start < s.end for s in signals)]
    contrast = _contrast_at(analysis, words + failures)
    at = contrast[0] if contrast else None
    if (failures or any(h.word in IRONY_EMOJIS for h in words)) and not RESOLVED[lang].search(
        analysis.prepared.folded
    ):  # thanks for a fix are sincere
        _irony(words, failures, at, rules)
    hits = words + failures
    if contrast is not None:
        weigh_contrast(hits, at)
        rules.append(f"contrast: what follows '{contrast[1]}' weighs 1.5×, what precedes it 0.5×")
    score = compound(hits, analysis.prepared.text)
    if any(s.personal for s in signals) and TIE_BREAK < score < -TIE_BREAK:
        score = TIE_BREAK
        rules.append("complaint: mixed words, but a reported failure makes it negative for the brand")
    return score, [h for h in hits if h.valence], rules
