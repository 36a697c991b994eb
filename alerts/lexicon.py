"""Sentiment lexicons as data: the French lexicon, VADER's English lexicon with our additions, and emojis.

Files are read once per process from the package (importlib.resources), so they ship in the wheel with the
code. Keys are folded (lower case, no accents); entries with spaces are phrases, keyed by their token tuple.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from alerts.tokens import fold


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Valences of words and of phrases (a phrase is keyed by its tokens joined with spaces: "au top")."""

    words: dict[str, float]
    phrases: frozenset[tuple[str, ...]] = field(default_factory=frozenset)  # the phrases, as token tuples


def _read(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def _entries(text: str) -> list[tuple[str, str]]:
    """(key, value) pairs of a TSV file, skipping comments and blank lines."""
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, value = line.split("\t")[:2]
        rows.append((key.strip(), value.strip()))
    return rows


def _phrase_key(phrase: str, split_elisions: bool) -> tuple[str, ...]:
    # Phrases are matched on tokens. The French tokenizer splits elisions and hyphens ("à l'écoute" is the three
    # tokens a, l, ecoute); the English one keeps contractions whole ("can't").
    folded = fold(phrase).replace("-", " ")
    return tuple((folded.replace("'", " ") if split_elisions else folded).split())


def build_lexicon(rows: list[tuple[str, str]], *, split_elisions: bool) -> Lexicon:
    """Fold keys and split words from phrases; when two entries fold to one key, the first one wins."""
    words: dict[str, float] = {}
    phrases: set[tuple[str, ...]] = set()
    for key, value in rows:
        if " " in key or "-" in key or (split_elisions and "'" in key):
            parts = _phrase_key(key, split_elisions)
        else:
            parts = (fold(key),)
        joined = " ".join(parts)
        if joined in words:
            continue
        words[joined] = float(value)
        if len(parts) > 1:
            phrases.add(parts)
    return Lexicon(words, frozenset(phrases))


@lru_cache(maxsize=1)
def french_lexicon() -> Lexicon:
    """Vigie's French lexicon (alerts/data/lexicon_fr.tsv)."""
    return build_lexicon(_entries(_read("alerts", "data/lexicon_fr.tsv")), split_elisions=True)


@lru_cache(maxsize=1)
def english_lexicon() -> Lexicon:
    """VADER's own lexicon (MIT, shipped by vaderSentiment) overlaid with alerts/data/lexicon_en.tsv."""
    ours = _entries(_read("alerts", "data/lexicon_en.tsv"))
    vader = _entries(_read("vaderSentiment", "vader_lexicon.txt"))
    # VADER's emoticons are left out: emoji.tsv scores emoticons for both languages. Its few multi-word entries
    # ("fed up", "can't stand"), which VADER itself never matches, become phrases here.
    return build_lexicon(ours + [(k, v) for k, v in vader if k[:1].isalpha()], split_elisions=False)


@lru_cache(maxsize=1)
def emoji_table() -> dict[str, tuple[float, str]]:
    """Emoji (first code point) or folded emoticon -> (valence, English name)."""
    table = {}
    for line in _read("alerts", "data/emoji.tsv").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        symbol, value, name = line.split("\t")[:3]
        key = symbol if symbol.isascii() else symbol[0]
        table[fold(key)] = (float(value), name)
    return table
