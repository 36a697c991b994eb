"""Complaint awareness: find the service failures a mention reports, in French and in English.

A customer writes "vol annulé, toujours pas de remboursement" without a single sentiment word, yet for the
brand this is a complaint. The patterns live in alerts/data/complaints_{fr,en}.tsv (versioned data, one
regex per line with its kind and tier) and run on the folded text, so accents and capitals do not matter.
Context decides what a failure word means: "le vol AF123 est-il annulé ?" is a question (nothing reported),
"mon vol est annulé ?!" is a complaint, "200 vols annulés jeudi" is news of an incident (negative, but no
customer is complaining), and "sans aucune coupure" reports that nothing failed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from alerts.prefilter import StemIndex, required_stems, words_of

STRONG, WEAK, PERSONAL = "strong", "weak", "personal"
TIERS = (STRONG, WEAK, PERSONAL)

# Who is speaking: first person, or the brand addressed in the second person or by @handle, or a repetition
# ("encore", "again"). Checked on words (elisions split: "j'ai" gives "j"), plus "!" and "@" in the text.
_CONTEXT = {
    "fr": frozenset({"je", "j", "me", "m", "moi", "mon", "ma", "mes", "nous", "notre", "nos", "on", "vous", "votre",
                     "vos", "tu", "t", "ton", "ta", "tes", "encore", "toujours", "nouveau"}),
    "en": frozenset({"i", "i'm", "i've", "i'd", "i'll", "me", "my", "mine", "we", "we're", "we've", "our", "ours",
                     "us", "you", "your", "you're", "ur", "u", "again", "still", "another", "usual", "always"}),
}


# Inside a question these words presuppose the failure: "pourquoi mon vol est annulé ?", "why is it late again?"
_PRESUPPOSED = {
    "fr": re.compile(r"\b(?:pourquoi|toujours pas|encore une fois|jamais|c'est normal|vous comptez|quand est-ce|"
                     r"vous etes|t'es|quand allez|ou est|ou sont|ou en est|c'est quoi ce|serieux)\b"),
    "en": re.compile(r"\b(?:why|still no|still not|again|never|how come|where is|where's|where are|when will|"
                     r"are you|what's going on|seriously)\b"),
}
# A failure word right after these is denied, not reported: "sans aucune coupure", "never late", "no delays".
_DENIED = {
    "fr": re.compile(r"\b(?:jamais|sans|aucune?|pas de|pas d'|zero|ni|pas eu de|pas une? seule?|pas un|rarement)"
                     r"(?: \S+){0,3} $"),
    "en": re.compile(r"\b(?:never|without|no|zero|not a single|not one|not even a|rarely|hardly any|none)"
                     r"(?: \S+){0,3} $"),
}
# A failure placed in the background is no complaint: "merci pour le geste commercial après la coupure",
# "the crew kept us calm during the delay". Only for failures that can be background (not "no answer").
_BACKGROUND = {
    "fr": re.compile(r"\b(?:apres|pendant|lors d[eu']|durant|malgre|suite [aà]|gestion d[eu'])(?: \S+){0,2} $"),
    "en": re.compile(r"\b(?:after|during|despite|following|handled|handling|when)(?: \S+){0,3} $"),
}
_BACKGROUND_KINDS = frozenset({"delay", "cancelled", "outage", "broken", "refused", "price"})
# A fix reported in the same sentence turns a weak failure word into background: "la coupure est réparée".
RESOLVED = {
    "fr": re.compile(r"\b(?:reparee?s?|retablie?s?|resolue?s?|reglee?s?|(?:m'a|nous a|m'ont|ont) (?:\w+ )?rembourse\w*|"
                     r"retrouvee?s?|remplacee?s?|debloquee?s?|pris en charge|geste commercial|dedommage\w*|"
                     r"indemnise\w*|renvoye en express|remplacement|m'a renvoye|nouvel article)\b"),
    "en": re.compile(r"\b(?:fixed|resolved|sorted|restored|refunded|replaced|reimbursed|compensated|found|credited|"
                     r"made it right|took care|taking care|handled|back up|gave (?:me|us) a|replacement|new one)\b"),
}
_SENTENCE_END = re.compile(r"[.!?\n]+")


@dataclass(frozen=True, slots=True)
class ComplaintSignal:
    """One failure report found in a text: what it is, how it was written, where, and how sure we are."""

    kind: str  # "cancelled", "delay", "no_answer", "waiting", "refund", "charged", "outage", ...
    text: str  # the words as written, e.g. "vol annulé"
    start: int
    end: int
    tier: str  # strong | weak | personal
    personal: bool  # True: the author reports it (a complaint); False: news of an incident


@dataclass(frozen=True, slots=True)
class _Pattern:
    kind: str
    tier: str
    regex: re.Pattern[str]
    stems: frozenset[str] | None  # a match needs a word starting with one of these (None: always run)


@lru_cache(maxsize=2)
def _patterns(lang: str) -> tuple[list[_Pattern], StemIndex]:
    """Compiled patterns of one language, strong tier first, and the index of the words they need."""
    text = resources.files("alerts").joinpath(f"data/complaints_{lang}.tsv").read_text(encoding="utf-8")
    patterns = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, tier, source = line.split("\t")
        patterns.append(_Pattern(kind, tier, re.compile(source), required_stems(source)))
    patterns.sort(key=lambda p: TIERS.index(p.tier))  # stable: file order within a tier
    stems = {s for p in patterns for s in (p.stems or ())}
    return patterns, StemIndex(stems)


def candidate_patterns(folded: str, lang: str, *, words: Iterable[str] | None = None,
                       prefilter: bool = True) -> list[_Pattern]:
    """The patterns that can match `folded`: those whose required words are present (all, without prefilter).
    `words`, when the caller has tokenised the text already, must include every word of `folded`."""
    patterns, index = _patterns(lang)
    if not prefilter:
        return patterns
    present = index.present(words_of(folded) if words is None else words)
    wanted = _by_stem(lang)
    chosen = set(wanted[None])
    for stem in present:
        chosen.update(wanted[stem])
    return [patterns[i] for i in sorted(chosen)]


@lru_cache(maxsize=2)
def _by_stem(lang: str) -> dict[str | None, tuple[int, ...]]:
    """Stem -> positions of the patterns that need it; None -> the patterns that always run."""
    table: dict[str | None, list[int]] = {None: []}
    for i, p in enumerate(_patterns(lang)[0]):
        for stem in p.stems if p.stems is not None else (None,):
            table.setdefault(stem, []).append(i)
    return {k: tuple(v) for k, v in table.items()}


def _sentences(folded: str) -> tuple[list[int], list[str]]:
    """Start offsets of sentences and the punctuation that ends each one ('' at the end of the text)."""
    starts, ends = [0], []
    for m in _SENTENCE_END.finditer(folded):
        ends.append(m.group())
        starts.append(m.end())
    ends.append("")
    return starts, ends


def question_spans(folded: str, lang: str, sentences: tuple[list[int], list[str]] | None = None
                   ) -> list[tuple[int, int]]:
    """(start, end) of the plain questions in a text: sentences ending in '?' without '!' and without a
    presupposed failure ("pourquoi", "why")."""
    starts, ends = sentences or _sentences(folded)
    spans = []
    for i, end in enumerate(ends):
        if "?" in end and "!" not in end:
            stop = starts[i + 1] if i + 1 < len(starts) else len(folded)
            if not _PRESUPPOSED[lang].search(folded, starts[i], stop):
                spans.append((starts[i], stop))
    return spans


def denied(folded: str, start: int, lang: str) -> bool:
    """True when the words just before `start` deny what follows: "sans aucun danger", "no injuries"."""
    return _DENIED["fr" if lang == "fr" else "en"].search(folded, max(0, start - 40), start) is not None


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    i = bisect_right(spans, (pos, 1 << 62)) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _set_aside(folded: str, start: int, tier: str, kind: str, lang: str, starts: list[int]) -> bool:
    """True when the failure word is denied ("sans aucune coupure"), in the background ("pendant la grève"),
    or fixed in the same sentence ("la coupure est bien réparée"). `starts`: the sentence offsets."""
    before = max(0, start - 40)
    if tier != STRONG and _DENIED[lang].search(folded, before, start):
        return True
    if kind in _BACKGROUND_KINDS and _BACKGROUND[lang].search(folded, before, start):
        return True
    if tier == STRONG:
        return False
    i = bisect_right(starts, start) - 1
    stop = starts[i + 1] if i + 1 < len(starts) else len(folded)
    return RESOLVED[lang].search(folded, starts[i], stop) is not None


def _word_end(folded: str, end: int) -> int:
    """Extend a match that stops mid-phrase ("personne n'") to the end of the next word, for a readable signal."""
    if end < len(folded) and folded[end - 1] in " '":
        while end < len(folded) and (folded[end].isalnum() or folded[end] == "-"):
            end += 1
    return end


def _speaks_personally(folded: str, words: set[str], lang: str) -> bool:
    return "!" in folded or "@" in folded or not _CONTEXT[lang].isdisjoint(words)


def find_complaints(text: str, folded: str, lang: str, *, words: set[str] | None = None,
                    questions: list[tuple[int, int]] | None = None, prefilter: bool = True) -> list[ComplaintSignal]:
    """Failure reports in a text; `folded` is its folded twin (same length) on which the patterns run.
    `words` (every word of the text) and `questions` (question_spans) may be passed when already known."""
    lang = "fr" if lang == "fr" else "en"
    words = words_of(folded) if words is None else words
    patterns = candidate_patterns(folded, lang, words=words, prefilter=prefilter)
    if not patterns:
        return []
    sentences = _sentences(folded)
    questions = question_spans(folded, lang, sentences) if questions is None else questions
    personal = None  # worked out only when a weak or personal pattern is a candidate
    taken: list[tuple[int, int]] = []  # a span matched by a stronger pattern is not matched again
    found = []
    for p in patterns:
        if p.tier != STRONG and personal is None:  # a reported failure makes the rest personal too
            personal = bool(found) or _speaks_personally(folded, words, lang)
        if p.tier == PERSONAL and not personal:
            continue
        for m in p.regex.finditer(folded):
            start, end = m.span()
            if start == end or any(s < end and start < e for s, e in taken) or _inside(start, questions):
                continue
            if _set_aside(folded, start, p.tier, p.kind, lang, sentences[0]):
                continue
            taken.append((start, end))
            end = _word_end(folded, end)
            is_personal = p.tier != WEAK or bool(personal)
            found.append(ComplaintSignal(p.kind, text[start:end].strip().lower(), start, end, p.tier, is_personal))
    found.sort(key=lambda s: s.start)
    return found
