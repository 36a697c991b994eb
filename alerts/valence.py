"""VADER's arithmetic, shared by the French and English engines, with a record of every rule that fired.

The constants and the shape of the computation are VADER's (Hutto & Gilbert 2014, MIT): lexicon valences on a
-4..+4 scale, degree modifiers that add ±0.293 (decaying with distance), capitals that add 0.733, negation
that multiplies by -0.74, a contrastive conjunction that halves what precedes it and weighs what follows 1.5×,
exclamation marks that add 0.292 each, and the normalisation x / sqrt(x² + 15). What differs from the
vaderSentiment package is where the language knowledge lives: each language module decides which tokens are
modifiers, negators and contrasts (French negation comes *after* the verb), and marks them on the `Token`s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from alerts.tokens import Prepared, Token

B_INCR = 0.293  # VADER: mean intensity added by a booster word
C_INCR = 0.733  # VADER: mean intensity added by writing a sentiment word in capitals
N_SCALAR = -0.74  # VADER: a negated word keeps about three quarters of its strength, reversed
ALPHA = 15  # VADER: normalisation constant, approximates the largest expected sum
EP_INCR, EP_MAX = 0.292, 4  # VADER: per exclamation mark, up to four
QM_INCR, QM_MAX = 0.18, 0.96  # VADER: per question mark when there are 2 or 3, capped
CONTRAST_BEFORE, CONTRAST_AFTER = 0.5, 1.5  # VADER's "but" rule
_DECAY = (1.0, 0.95, 0.9)  # VADER: a modifier two or three words away counts a little less


@dataclass(slots=True)
class Hit:
    """One contribution to the score: a lexicon word, phrase, emoji or complaint signal."""

    word: str
    base: float  # valence in the lexicon (or of the complaint signal)
    valence: float  # after modifiers, negation, irony and contrast
    start: int
    kind: str = "word"  # "word" | "emoji" | "complaint"


@dataclass(slots=True)
class Analysis:
    """What a language engine saw in one text: scored words, rules fired, contrast positions."""

    engine: str
    prepared: Prepared
    hits: list[Hit]
    rules: list[str]
    contrasts: list[tuple[int, str]] = field(default_factory=list)  # (offset, word) of contrastive conjunctions
    polite: frozenset[str] = frozenset()  # words that are mere politeness in a question ("merci", "thanks")


def _signed(valence: float, amount: float) -> float:
    """Add `amount` away from zero: intensifiers make negatives more negative, softeners the reverse."""
    return valence + amount if valence >= 0 else valence - amount


def _pre_modifiers(units: list[Token], i: int, shouting: bool) -> list[tuple[Token, float]]:
    """The degree modifiers within three units before unit i (not across punctuation), with their weight."""
    found = []
    for dist in range(3):
        j = i - 1 - dist
        if j < 0 or units[j].boundary:
            break
        mod = units[j]
        if mod.boost:
            extra = C_INCR if mod.caps and not shouting and mod.boost > 0 else 0.0
            found.append((mod, (mod.boost + extra) * _DECAY[dist]))
    return found


def _post_modifiers(units: list[Token], i: int) -> list[tuple[Token, float]]:
    """Modifiers placed after the word they modify ("déçu grave", "merci beaucoup"), up to two units on."""
    found = []
    for j in range(i + 1, min(i + 3, len(units))):
        mod = units[j]
        if mod.boundary or mod.valence is not None:
            break
        if mod.post_boost:
            found.append((mod, mod.post_boost))
    return found


def score_units(units: list[Token], prepared: Prepared, rules: list[str]) -> list[Hit]:
    """Valence of every sentiment unit after emphasis, modifiers and negation; explanations go to `rules`.
    Words are named as written (lower case, accents kept: "déçu"), so that a CM recognises them."""
    hits = []
    text, shouting = prepared.text, prepared.shouting
    for i, u in enumerate(units):
        if u.valence is None or u.valence == 0:
            continue
        v = u.valence
        word = text[u.start : u.end].lower() or u.norm
        if u.elongated:
            v = _signed(v, B_INCR)
            rules.append(f"elongation: '{word}' read as '{u.norm}', emphasised")
        if u.caps and not shouting:
            v = _signed(v, C_INCR)
            rules.append(f"capitals: '{word.upper()}' emphasised")
        modifiers = [] if u.kind == "emo" else _pre_modifiers(units, i, shouting) + _post_modifiers(units, i)
        for mod, amount in modifiers:
            v = _signed(v, amount)
            role, verb = ("intensifier", "boosts") if amount > 0 else ("attenuator", "softens")
            rules.append(f"{role}: '{text[mod.start : mod.end].lower() or mod.norm}' {verb} '{word}'")
        if u.negation is not None:
            negator, scalar = u.negation
            v *= scalar
            rules.append(f"negation: '{negator}' flips '{word}'" if scalar < 0 else f"emphasis: '{negator}' '{word}'")
        hits.append(Hit(word, u.valence, v, u.start, "emoji" if u.kind == "emo" else "word"))
    return hits


def weigh_contrast(hits: list[Hit], at: int | None) -> None:
    """VADER's "but" rule: what precedes the contrast counts half, what follows counts 1.5 times."""
    if at is None:
        return
    for h in hits:
        h.valence *= CONTRAST_BEFORE if h.start < at else CONTRAST_AFTER


def punctuation_amplifier(text: str) -> float:
    """Emphasis from '!' (up to four) and from two or more '?', as in VADER."""
    amp = min(text.count("!"), EP_MAX) * EP_INCR
    qm = text.count("?")
    if qm > 1:
        amp += QM_MAX if qm > 3 else qm * QM_INCR
    return amp


def compound(hits: list[Hit], text: str) -> float:
    """VADER's compound score in [-1, 1] from the final valences and the text's punctuation."""
    total = sum(h.valence for h in hits)
    if total == 0:
        return 0.0
    total = _signed(total, punctuation_amplifier(text))
    return max(-1.0, min(1.0, total / math.sqrt(total * total + ALPHA)))
