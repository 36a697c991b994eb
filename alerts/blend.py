"""From word valences and complaint signals to one compound score, with the rules that decided it.

Order matters and mirrors how a CM reads a post: questions and politeness first ("ça vaut le coup ? merci"
says nothing about the brand), then the failures reported (each one a negative contribution), then irony
(praise next to a failure is sarcasm: "merci @SNCF pour ces 3h de retard 👏"), then contrast (what follows
"mais"/"but" weighs more), then VADER's normalisation.
"""

from __future__ import annotations

import re

from alerts.complaints import RESOLVED, STRONG, ComplaintSignal, denied, question_spans
from alerts.crisis import CrisisMatch
from alerts.valence import Analysis, Hit, compound, weigh_contrast

COMPLAINT_VALENCE = {STRONG: -2.0}  # a reported failure weighs like "bad" (-2.5) or "déçu" (-2.2)
WEAK_VALENCE = -1.6
IRONY_SCALAR = -0.5  # praise next to a failure is read as irony: reversed, at half strength
STRONG_OPINION = 2.5  # negative words this strong keep half their weight even inside a plain question
TIE_BREAK = -0.1  # a complaint whose words cancel out still leans negative for the brand
SCARE_QUOTE_VALENCE = -1.0  # a brand claim put in quotes ("livré", "24/7 support") is contested
IRONY_EMOJIS = frozenset("🙃🙄😒🤡")
# A harm named by the crisis vocabulary (a burn, a lawsuit, a leak) is negative for the brand even when told
# without a single opinion word: it weighs like a reported failure, a little more for the heaviest terms.
HARM_VALENCE = {40: -2.0}
HARM_VALENCE_DEFAULT = -1.5
MIN_HARM_WEIGHT = 20
HEAVY_HARM = 40  # a harm this heavy stays negative even when the brand fixed it (a poisoning, a leak)
# A short quoted span: scare quotes around a claim. Four words at most; a quoted Title Case name is not one.
_QUOTE = re.compile(r'["“«]\s*([^"“”«»\n]{1,40}?)\s*["”»]')
# 'single' scare quotes: an opening quote after a space (not an apostrophe inside a word), a closing one before one
_SINGLE_QUOTE = re.compile(r"'(?<![^\s(:]')([^'\n]{1,40}?)'(?=[\s.,;:!?)]|$)")


def _scare_quotes(analysis: Analysis) -> list[tuple[int, int, str]]:
    """(start, end, text) of the scare quotes: short quoted claims that are not Title Case names."""
    spans = []
    text = analysis.prepared.text
    found = [*_QUOTE.finditer(text), *(_SINGLE_QUOTE.finditer(text) if "'" in text else ())]
    for m in found:
        quoted = m.group(1)
        words = quoted.split()
        if not words or len(words) > 4 or all(w[:1].isupper() for w in words):
            continue
        spans.append((m.start(), m.end(), quoted))
    return spans


def _quoted_claims(analysis: Analysis, rules: list[str], questions: list[tuple[int, int]]) -> list[Hit]:
    """Words inside scare quotes are the brand's claim, not the author's opinion; the quote itself doubts it.
    Inside a plain question a quote only cites ("does 'pending' mean...?")."""
    quotes = [q for q in _scare_quotes(analysis) if not any(s <= q[0] < e for s, e in questions)]
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


def _harm_hits(analysis: Analysis, matches: list[CrisisMatch], signals: list[ComplaintSignal],
               questions: list[tuple[int, int]], lang: str, rules: list[str]) -> list[Hit]:
    """One negative contribution per harm the text states: not asked about ("le lot est-il concerné par le
    rappel ?"), not denied ("aucun blessé"), and not already counted as a word or a reported failure."""
    prepared, hits, resolved = analysis.prepared, [], None
    for m in matches:
        if not m.harm or m.weight < MIN_HARM_WEIGHT or any(s <= m.start < e for s, e in questions):
            continue
        if resolved is None:  # "refunded a fraudulent charge": the brand took care of it
            resolved = RESOLVED[lang].search(prepared.folded) is not None
        if resolved and m.weight < HEAVY_HARM:
            rules.append(f"resolved: '{m.term}' was taken care of")
            continue
        if any(s.start < m.end and m.start < s.end for s in signals):
            continue
        if any(m.start <= h.start < m.end and h.base < 0 for h in analysis.hits):
            continue
        if denied(prepared.folded, m.start, lang):
            rules.append(f"denial: '{m.term}' is denied, not reported")
            continue
        v = HARM_VALENCE.get(m.weight, HARM_VALENCE_DEFAULT)
        hits.append(Hit(prepared.text[m.start : m.end].lower(), v, v, m.start, "harm"))
        rules.append(f"harm: '{m.term}' ({m.domain}) is negative for the brand")
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
          questions: list[tuple[int, int]] | None = None,
          crisis: list[CrisisMatch] | None = None) -> tuple[float, list[Hit], list[str]]:
    """Compound score, every contribution (words, failures, harms) and the rules that fired, for one text.
    `questions`: the plain-question spans (complaints.question_spans), when already computed; `crisis`: the
    crisis terms found in the folded text (alerts.crisis)."""
    rules = list(analysis.rules)
    if questions is None:
        questions = question_spans(analysis.prepared.folded, lang)
    _quiet_questions(analysis, questions, rules)
    harms = _harm_hits(analysis, crisis or [], signals, questions, lang, rules)
    failures = _complaint_hits(signals) + _quoted_claims(analysis, rules, questions) + harms
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
    if (harms or any(s.personal for s in signals)) and TIE_BREAK < score < -TIE_BREAK:
        score = TIE_BREAK
        rules.append("complaint: mixed words, but a reported failure makes it negative for the brand")
    return score, [h for h in hits if h.valence], rules
