"""Which words a regex cannot match without: lets the complaint scan skip patterns that cannot match.

Python's `re` scans a short text at about 2 µs per pattern when the pattern starts with \\b and an alternation,
so running 40 complaint patterns on every mention would cost more than everything else together. Each
pattern is parsed once here into a set of word stems such that every match contains a word starting with one
of them (e.g. "toujours" or "encore" for "\\b(?:toujours|encore) (?:pas|rien)"). A text whose words start with
none of a pattern's stems is not scanned with it. When no such set can be proven, the pattern always runs, so
this only ever saves time and never changes a result (tests/alerts/test_complaints.py checks both ways).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

try:  # the parser behind re.compile; private, so any surprise just disables the shortcut
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python without the 3.11+ module names
    P = C = None

_MIN_STEM = 2
_WORD_BREAKS = frozenset(" '-")


# Words so frequent that a pattern triggered by them would run on almost every text.
_COMMON = frozenset({"pas", "plus", "pour", "de", "la", "le", "les", "en", "un", "une", "et", "est", "on", "ne", "que",
                     "qui", "the", "to", "a", "an", "not", "no", "is", "this", "that", "for", "and", "of", "in", "it",
                     "my", "i"})


def _best(candidates: list[frozenset[str]]) -> frozenset[str] | None:
    """The most selective candidate: no very common word if possible, then the longest shortest stem."""
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.isdisjoint(_COMMON), min(map(len, c)), -len(c)))


def _derive_group(op, av, at_word_start: bool) -> tuple[frozenset[str] | None, bool]:
    """(stems, whether a word starts right after) for a group, an alternation or a repetition."""
    if op is C.SUBPATTERN:
        return _derive(av[-1], at_word_start), _ends_with_break(av[-1])
    if op is C.BRANCH:
        branches = [_derive(b, at_word_start) for b in av[1]]
        found = frozenset().union(*branches) if all(branches) else None
        return found, all(_ends_with_break(b) for b in av[1])
    if av[0] >= 1:  # a repetition taken at least once: "(?:\w+ ){1,2}plus" - "plus" starts a word
        return _derive(av[2], at_word_start), _ends_with_break(av[2])
    # optional: skipped, or taken and ending in a space ("(?:en )?retard" still starts a word at "retard")
    return None, at_word_start and _ends_with_break(av[2])


def _derive(items, at_word_start: bool) -> frozenset[str] | None:
    """Stems of which every match of the sequence `items` contains one at a word start, or None."""
    candidates: list[frozenset[str]] = []
    run, run_ok = "", False
    for op, av in list(items) + [(None, None)]:  # a sentinel flushes the last literal run
        if op is C.LITERAL and chr(av).isalpha():
            run_ok = run_ok if run else at_word_start
            run += chr(av)
            continue
        if run_ok and len(run) >= _MIN_STEM:
            candidates.append(frozenset({run}))
        run = ""
        if op is C.LITERAL:
            at_word_start = chr(av) in _WORD_BREAKS
        elif op is C.AT:
            at_word_start = at_word_start or av is C.AT_BOUNDARY
        elif op in (C.SUBPATTERN, C.BRANCH, C.MAX_REPEAT, C.MIN_REPEAT):
            found, at_word_start = _derive_group(op, av, at_word_start)
            candidates += [found] if found else []
        elif op not in (C.ASSERT, C.ASSERT_NOT):
            at_word_start = False
    return _best(candidates)


def _ends_with_break(items) -> bool:
    """Whether every way through `items` ends with a space, apostrophe or hyphen."""
    if not items:
        return False
    op, av = items[-1]
    if op is C.LITERAL:
        return chr(av) in _WORD_BREAKS
    if op is C.SUBPATTERN:
        return _ends_with_break(av[-1])
    if op is C.BRANCH:
        return all(_ends_with_break(b) for b in av[1])
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):  # taken: ends like its body; skipped (min 0): like what precedes
        body = _ends_with_break(av[2])
        return body and (av[0] >= 1 or _ends_with_break(list(items)[:-1]))
    return False


def required_stems(pattern: str) -> frozenset[str] | None:
    """Word stems one of which starts a word in every match of `pattern`; None when that cannot be shown."""
    if P is None:
        return None
    try:
        return _derive(P.parse(pattern), False)
    except Exception:  # noqa: BLE001 - an unexpected parse tree only costs speed
        return None


class StemIndex:
    """Finds which of many stems start some word of a text; each distinct word is worked out once and memoised
    (the vocabulary of mentions is bounded, and the memo is cleared if it ever grows past _MEMO_MAX)."""

    def __init__(self, stems: Iterable[str]):
        self.short = {s for s in stems if len(s) < 3}
        self.by_prefix: dict[str, list[str]] = {}
        for s in stems:
            if len(s) >= 3:
                self.by_prefix.setdefault(s[:3], []).append(s)
        self._memo: dict[str, tuple[str, ...]] = {}

    def stems_of(self, word: str) -> tuple[str, ...]:
        """The stems `word` starts with."""
        found = self._memo.get(word)
        if found is None:
            found = tuple(s for s in self.by_prefix.get(word[:3], ()) if word.startswith(s))
            if word[:2] in self.short:
                found += (word[:2],)
            if len(self._memo) > _MEMO_MAX:
                self._memo.clear()
            self._memo[word] = found
        return found

    def present(self, words: Iterable[str]) -> set[str]:
        """The stems that begin at least one of `words`."""
        found: set[str] = set()
        stems_of = self.stems_of
        for w in words:
            stems = stems_of(w)
            if stems:
                found.update(stems)
        return found


_MEMO_MAX = 100_000
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def words_of(folded: str) -> set[str]:
    """Distinct words of a folded text, the way both tokenizers cut them: "j'attends" gives "j'attends" (English),
    and "j", "attends" (French)."""
    found = set(_WORDS.findall(folded))
    for w in [w for w in found if "'" in w]:
        found.update(w.split("'"))
    return found
