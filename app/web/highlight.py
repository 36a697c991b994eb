"""Mark the words a score's reasons name in a mention's text: escaped text, with `<mark>` around each term,
found whatever the case and accents ("Scandale" and "scandale", "donnees" and "données")."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape


def _fold(ch: str) -> str:
    """One character, lower-cased and without accent, still one character (so that positions line up)."""
    base = unicodedata.normalize("NFD", ch)[:1].lower()[:1]
    return base or ch


def reason_terms(scores: dict[str, Any] | None) -> list[str]:
    """The words a mention's reasons give: sentiment words, harms, complaint signals, crisis terms."""
    scores = scores or {}
    sentiment = scores.get("sentiment") or {}
    terms = list(sentiment.get("words") or [])
    terms += [h.get("term", "") for h in sentiment.get("harms") or [] if isinstance(h, dict)]
    terms += list(sentiment.get("complaint_signals") or [])
    for signal in (scores.get("risk") or {}).get("signals") or []:
        if signal.get("signal") == "crisis_terms":
            terms += [t.strip() for t in str(signal.get("detail", "")).split(",")]
    return sorted({t for t in terms if isinstance(t, str) and t.strip()}, key=len, reverse=True)


def highlight(text: str, terms: Iterable[str]) -> Markup:
    """`text` escaped, each occurrence of a term wrapped in <mark> (longest terms first, never overlapping)."""
    folded = "".join(_fold(ch) for ch in text)
    taken = [False] * len(text)
    spans: list[tuple[int, int]] = []
    for term in sorted({t for t in terms if t}, key=len, reverse=True):
        needle = "".join(_fold(ch) for ch in term)
        start = folded.find(needle)
        while start != -1:
            end = start + len(needle)
            if not any(taken[start:end]) and _word_bounds(folded, start, end):
                spans.append((start, end))
                taken[start:end] = [True] * (end - start)
            start = folded.find(needle, end)
    out, last = [], 0
    for start, end in sorted(spans):
        out.append(escape(text[last:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _word_bounds(folded: str, start: int, end: int) -> bool:
    """True when [start, end) holds whole words: "scandale" is not marked inside "scandaleux"."""
    before = folded[start - 1] if start > 0 else " "
    after = folded[end] if end < len(folded) else " "
    return not before.isalnum() and not after.isalnum()
