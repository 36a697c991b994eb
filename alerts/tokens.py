"""Text preparation shared by the French and English scorers: cleaning, accent folding, tokens with offsets.

Every later step works on `Prepared.folded` (lower case, no accents) so that "très déçu", "tres decu" and
"TRÈS DÉÇU" read the same, while `Prepared.text` keeps the original case for ALL-CAPS emphasis. Both strings
have the same length, so an offset found in one is valid in the other.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable
from dataclasses import dataclass

WORD, NUM, EMO, PUNCT, HANDLE = "word", "num", "emo", "punct", "handle"

_URL = re.compile(r"(?:https?://|www\.)\S+")
_SPACES = {"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'",
           "\u00b4": "'", "\u2026": "."}
# ASCII emoticons are tried before punctuation so that ":)" is one token; the lookahead keeps ":p" in "ex:pas"
# or "10:30" from matching. "xD" is a word, scored by the lexicons. Words come first in the alternation because
# they are the most frequent tokens: the regex engine tries alternatives in order at every position.
_EMOTICON = r">:\(|:'\(|</3|<3|\^_\^|\^\^|-_-|[:=]-?[)(\]dp/|@]|;-?[)p]"
_NUMBER = r"\d+(?:[/.,:h]\d+)?[a-z]*"
_TAIL = rf"|(?P<num>{_NUMBER})|(?P<emo>(?:{_EMOTICON})(?![a-z0-9]))|(?P<punct>[!?.,;:]+)|(?P<handle>@\w+)" \
        r"|(?P<tag>#[^\W_]+)|(?P<sym>[^\w\s'\-#])"
_TOKEN_FR = re.compile(r"(?P<word>[^\W\d_]+)" + _TAIL)
# English keeps contractions whole ("don't", "isn't"): VADER's negation list is written that way.
_TOKEN_EN = re.compile(r"(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*)" + _TAIL)
# Hashtags are read as words, camelCase split: "#BoycottBNP" -> boycott, bnp; "#SNCFfail" -> sncf, fail.
_CAMEL = re.compile(r"[A-ZÀ-Þ][a-zß-ÿ]+|[A-ZÀ-Þ]+(?![a-zß-ÿ])|[a-zß-ÿ]+|\d+")
_TRIPLE = re.compile(r"([^\W\d_])\1{2,}")
_DOUBLE = re.compile(r"([^\W\d_])\1+")


def _fold_table() -> dict[int, str]:
    """Latin letters with diacritics -> their base letter, one character for one so offsets stay valid."""
    table = {}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base != chr(code) and base.isascii():
            table[code] = base.lower()
    return table


_FOLD = _fold_table()
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_FOLDED: dict[str, str] = {}  # non-ASCII runs seen so far; bounded by the vocabulary, cleared if it grows


def _fold_run(m: re.Match[str]) -> str:
    run = m.group()
    folded = _FOLDED.get(run)
    if folded is None:
        if len(_FOLDED) > 50_000:
            _FOLDED.clear()
        folded = _FOLDED[run] = run.translate(_FOLD)
    return folded


def fold(text: str) -> str:
    """Lower case without accents: the key under which lexicons are stored and looked up."""
    # str.translate with a dict costs ~50 ns per character; only the non-ASCII runs need it.
    text = text.lower()
    return text if text.isascii() else _NON_ASCII.sub(_fold_run, text)


@dataclass(slots=True)
class Token:
    """One unit of text (word, number, emoji, punctuation run, @handle, or a merged phrase) with its offset.

    The tokenizer fills the first five fields; a language engine then gives each token its role (valence,
    modifier, negation...), which alerts/valence.py turns into a score. One object per token keeps this fast.
    """

    norm: str  # lower case, accents folded, elongation repaired
    start: int  # offset in Prepared.text / Prepared.folded
    kind: str  # WORD | NUM | EMO | PUNCT | HANDLE
    end: int = 0  # end offset: text[start:end] is the token (or phrase) as written
    caps: bool = False  # written in capitals (e.g. "NUL"), an emphasis when the rest of the text is not
    elongated: str = ""  # the written form when letters were repeated ("nuuuul"), else ""
    valence: float | None = None  # sentiment valence when this token is scored
    boost: float = 0.0  # degree modifier on the next sentiment token: + intensifies, - softens
    post_boost: float = 0.0  # degree modifier on the previous sentiment token ("merci beaucoup")
    contrast: bool = False
    boundary: bool = False  # punctuation or clause break: modifiers and negation do not cross it
    negation: tuple[str, float] | None = None  # (negator, scalar) when inside a negation's scope


@dataclass(slots=True)
class Prepared:
    """A cleaned text, its folded twin of the same length, and its tokens."""

    text: str
    folded: str
    tokens: list[Token]
    shouting: bool  # every word is in capitals: then capitals are no emphasis


def clean(text: str) -> str:
    """Drop URLs, unify apostrophes and non-breaking spaces, split ligatures (œ -> oe) before folding."""
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "`" in text:
        text = text.replace("`", "'")
    if text.isascii():
        return text
    for old, new in _SPACES.items():  # str.replace is much faster than str.translate with a dict
        if old in text:
            text = text.replace(old, new)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)  # "é" typed as e + U+0301 would split the word
    if "œ" in text or "Œ" in text or "æ" in text:
        text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae")
    return text


def _repair_elongation(word: str, known: Container[str]) -> str | None:
    """'nuuuul' -> 'nul', 'merciiii' -> 'merci', 'trooop' -> 'trop', 'coool' -> 'cool'; None if nothing known."""
    if not _DOUBLE.search(word):
        return None
    # Two letters first: "goood" is "good" (not "god"), "belllle" is "belle"; then one: "nuuuul", "merciiii".
    double = _TRIPLE.sub(r"\1\1", word)
    if double in known:
        return double
    single = _TRIPLE.sub(r"\1", word)
    if single in known:
        return single
    collapsed = _DOUBLE.sub(r"\1", single)
    return collapsed if collapsed in known else None


def _hashtag(tokens: list[Token], text: str, start: int, end: int) -> None:
    """Words of a hashtag, camelCase split so that "#BoycottBNP" reads "boycott"."""
    raw = text[start + 1 : end]
    pieces = list(_CAMEL.finditer(raw)) if not raw.islower() else []
    if len(pieces) < 2:
        tokens.append(Token(fold(raw), start + 1, WORD, end))
        return
    for m in pieces:
        tokens.append(Token(fold(m.group()), start + 1 + m.start(), WORD, start + 1 + m.end()))


# Per language: unknown word -> its repaired form or None. Bounded by the vocabulary, cleared if it grows.
# Group number -> token kind; both tokenizers number their groups alike (the word group first).
_KINDS = {i: WORD if name == WORD else name for name, i in _TOKEN_FR.groupindex.items()}

_REPAIRED: tuple[dict[str, str | None], dict[str, str | None]] = ({}, {})
_UNSEEN = object()


def prepare(text: str, known: Container[str], *, english: bool = False) -> Prepared:
    """Clean, fold and tokenise `text`; `known` (the lexicon and rule words) guides the repair of elongations."""
    text = clean(text)
    folded = fold(text)
    if len(folded) != len(text):  # rare characters whose lower case is longer: keep offsets safe, lose caps
        text = folded
    tokens: list[Token] = []
    append = tokens.append
    words = caps_words = 0
    repairs = _REPAIRED[english]
    cased = text != folded  # no capital (and no accent) anywhere: skip the capitals check
    for m in (_TOKEN_EN if english else _TOKEN_FR).finditer(folded):
        kind = _KINDS[m.lastindex]  # lastindex is cheaper than lastgroup, which looks the name up
        start = m.start()
        norm = m.group()
        if kind is not WORD:
            if kind == "tag":
                _hashtag(tokens, text, start, m.end())
            else:
                append(Token(norm, start, EMO if kind == "sym" else kind, start + len(norm)))
            continue
        tok = Token(norm, start, WORD, start + len(norm))
        append(tok)
        words += 1
        if cased and len(norm) > 1 and text[start : start + len(norm)].isupper():
            tok.caps = True
            caps_words += 1
        if norm not in known and len(norm) > 2:
            repaired = repairs.get(norm, _UNSEEN)
            if repaired is _UNSEEN:
                if len(repairs) > 50_000:
                    repairs.clear()
                repaired = repairs[norm] = _repair_elongation(norm, known)
            if repaired is not None:
                tok.norm, tok.elongated = repaired, text[start : start + len(norm)]
    return Prepared(text, folded, tokens, shouting=words > 0 and caps_words == words)


@dataclass(frozen=True, slots=True)
class PhraseTable:
    """Multi-word entries by their tokens, with what makes looking them up cheap for the many words that start
    none: the first two words of each, and the lengths each first word can start (longest first)."""

    phrases: frozenset[tuple[str, ...]]
    starts: frozenset[tuple[str, str]]
    lengths: dict[str, tuple[int, ...]]


def phrase_table(phrases: Iterable[tuple[str, ...]]) -> PhraseTable:
    """Index multi-word entries for merge_phrases."""
    phrases = frozenset(phrases)
    lengths: dict[str, set[int]] = {}
    for p in phrases:
        lengths.setdefault(p[0], set()).add(len(p))
    return PhraseTable(phrases, frozenset(p[:2] for p in phrases),
                       {w: tuple(sorted(n, reverse=True)) for w, n in lengths.items()})


def merge_phrases(tokens: list[Token], table: PhraseTable) -> list[Token]:
    """Replace each longest known phrase ("au top", "kind of") by one token; other tokens are kept as they are."""
    norms = [t.norm for t in tokens]
    phrases, starts = table.phrases, table.starts
    out: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        if i + 1 < n and (norms[i], norms[i + 1]) in starts:
            for size in table.lengths[norms[i]]:
                key = tuple(norms[i : i + size])
                if len(key) == size and key in phrases:
                    run = tokens[i : i + size]
                    out.append(Token(" ".join(key), run[0].start, WORD, run[-1].end, all(t.caps for t in run)))
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
            continue
        out.append(tokens[i])
        i += 1
    return out
