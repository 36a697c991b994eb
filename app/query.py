"""The brand query language: compile a community manager's query once, match it against many mentions.

Syntax: words, "exact phrases", `OR`, `AND` (juxtaposition also means AND; AND binds tighter than OR),
`NOT term` / `-term`, parentheses, a trailing `*` for prefix match (`rembours*`), and `lang:fr` filters.
Matching is case- and accent-insensitive and works on whole words (tokens), never on substrings.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

# Folds that NFKD does not do by itself; typographic apostrophes become ASCII ones.
_FOLDS = str.maketrans(
    {
        "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ẞ": "ss",
        "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ı": "i",
        "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'",
    }
)  # fmt: skip
_FOLD_PAIRS = tuple((chr(code), folded) for code, folded in _FOLDS.items())
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# A token is a run of letters or digits (any script); apostrophes, hyphens, '#', '@', '_' and emojis split.
_TOKEN_RE = re.compile(r"[^\W_]+")
_KEYWORDS = frozenset({"AND", "OR", "NOT"})
_QUOTES = {'"': '"', "\u201c": "\u201d", "\u00ab": "\u00bb"}  # "...", “...”, «...»
_WORD_STOP = frozenset('()"\u201c\u00ab')
_LANG_RE = re.compile(r"[a-z]{2,3}")
_MIN_PREFIX = 2  # 'a*' would match nearly every mention


class QueryError(ValueError):
    """A query that cannot be compiled; `position` is the 0-based offset of the problem in the query."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __reduce__(self) -> tuple[type[QueryError], tuple[str, int]]:
        return (type(self), (self.message, self.position))


def _fold(text: str) -> str:
    # text.translate(_FOLDS), ~25× faster (translate looks up a dict per character of non-ASCII text); the
    # same result, since no replacement contains a folded character.
    for char, folded in _FOLD_PAIRS:
        if char in text:
            text = text.replace(char, folded)
    return text


def _character_class(codes: list[int]) -> str:
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


@lru_cache(maxsize=1)
def _combining_marks() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Runs of the characters with a non-zero `unicodedata.combining`, up to U+FFFF and above it (one class
    with both is tested range by range, ~10× slower). Built on first use (~50 ms) from this Python's Unicode
    database: removing them gives exactly what filtering with `unicodedata.combining` gives, ~4× faster."""
    codes = [code for code in range(0x110000) if unicodedata.combining(chr(code))]
    bmp = _character_class([code for code in codes if code <= 0xFFFF])
    astral = _character_class([code for code in codes if code > 0xFFFF])
    return re.compile(f"[{bmp}]+"), re.compile(f"(?={_ASTRAL.pattern})[{astral}]+")


def normalize_text(text: str) -> str:
    """Lowercase, fold ligatures (œ→oe, æ→ae, ß→ss) and typographic apostrophes, and strip accents."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", _fold(text))
    if decomposed.isascii():
        return decomposed.lower()
    bmp_marks, astral_marks = _combining_marks()
    stripped = bmp_marks.sub("", decomposed)
    if _ASTRAL.search(stripped):
        stripped = astral_marks.sub("", stripped)
    return stripped.lower()


def tokenize(text: str) -> list[str]:
    """Split normalized text into word tokens (letters and digits); punctuation and emojis are dropped."""
    return _TOKEN_RE.findall(text)


def normalize_lang(lang: str | None) -> str | None:
    """Reduce a language tag to its lower-case primary subtag (`fr-FR` → `fr`); empty means unknown."""
    if not lang:
        return None
    primary = re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0]
    return primary or None


@dataclass(frozen=True, eq=False)
class MatchDocument:
    """A mention's text, normalized and tokenized once, ready to be matched against many queries."""

    tokens: tuple[str, ...]
    token_set: frozenset[str]
    lang: str | None = None

    @cached_property
    def vocabulary(self) -> tuple[str, ...]:
        """Distinct tokens, sorted, so that a prefix lookup is a binary search (computed on first use)."""
        return tuple(sorted(self.token_set))


def prepare_document(text: str, lang: str | None = None) -> MatchDocument:
    """Normalize and tokenize a mention's text once; `lang` is its detected language, if known."""
    return document_of_tokens(tokenize(normalize_text(text)), lang)


def document_of_tokens(tokens: Iterable[str], lang: str | None = None) -> MatchDocument:
    """A document from the tokens of an already normalized text (`tokenize(normalize_text(text))`)."""
    tokens = tuple(tokens)
    return MatchDocument(tokens=tokens, token_set=frozenset(tokens), lang=normalize_lang(lang))


# ---------------------------------------------------------------------------------------------------------
# Compiled query tree

Pattern = tuple[tuple[str, bool], ...]  # consecutive (token, is_prefix) pairs


def _has_word(doc: MatchDocument, word: str, prefix: bool) -> bool:
    if not prefix:
        return word in doc.token_set
    vocabulary = doc.vocabulary
    index = bisect_left(vocabulary, word)
    return index < len(vocabulary) and vocabulary[index].startswith(word)


def _phrase_at(tokens: tuple[str, ...], start: int, pattern: Pattern) -> bool:
    for offset, (word, prefix) in enumerate(pattern):
        token = tokens[start + offset]
        if token != word and not (prefix and token.startswith(word)):
            return False
    return True


def _has_phrase(doc: MatchDocument, pattern: Pattern) -> bool:
    # Cheap rejection first: most mentions lack at least one of the phrase's words.
    if not all(_has_word(doc, word, prefix) for word, prefix in pattern):
        return False
    tokens, size = doc.tokens, len(pattern)
    anchor = next((i for i, (_, prefix) in enumerate(pattern) if not prefix), None)
    if anchor is None:
        return any(_phrase_at(tokens, start, pattern) for start in range(len(tokens) - size + 1))
    anchor_word, found = pattern[anchor][0], -1
    while True:
        try:
            found = tokens.index(anchor_word, found + 1)
        except ValueError:
            return False
        start = found - anchor
        if start >= 0 and start + size <= len(tokens) and _phrase_at(tokens, start, pattern):
            return True


@dataclass(frozen=True)
class Term:
    """A word or phrase to find; `text` is how the user wrote it (without quotes), for explanations."""

    text: str
    pattern: Pattern
    position: int

    def matches(self, doc: MatchDocument) -> bool:
        """True if the document contains the word (or the consecutive words of the phrase)."""
        if len(self.pattern) == 1:
            word, prefix = self.pattern[0]
            return _has_word(doc, word, prefix)
        return _has_phrase(doc, self.pattern)


@dataclass(frozen=True)
class Lang:
    """A `lang:xx` filter: true only for documents whose detected language is `code`."""

    code: str
    position: int

    def matches(self, doc: MatchDocument) -> bool:
        """True if the document's language is known and equal to this filter's code."""
        return doc.lang == self.code


@dataclass(frozen=True)
class Not:
    """Negation of a sub-query (`NOT x` or `-x`)."""

    child: Node
    position: int

    def matches(self, doc: MatchDocument) -> bool:
        """True if the sub-query does not match."""
        return not self.child.matches(doc)


@dataclass(frozen=True)
class _Combination:
    children: tuple[Node, ...]

    @property
    def position(self) -> int:
        """Offset of the first sub-query, for error messages."""
        return self.children[0].position


class And(_Combination):
    """All sub-queries must match."""

    def matches(self, doc: MatchDocument) -> bool:
        """True if every sub-query matches."""
        return all(child.matches(doc) for child in self.children)


class Or(_Combination):
    """At least one sub-query must match."""

    def matches(self, doc: MatchDocument) -> bool:
        """True if any sub-query matches."""
        return any(child.matches(doc) for child in self.children)


Node = Term | Lang | Not | And | Or


def _positive_terms(node: Node, positive: bool = True) -> list[Term]:
    if isinstance(node, Term):
        return [node] if positive else []
    if isinstance(node, Not):
        return _positive_terms(node.child, not positive)
    if isinstance(node, (And, Or)):
        return [term for child in node.children for term in _positive_terms(child, positive)]
    return []


@dataclass(frozen=True)
class Query:
    """A compiled brand query; `source` is the text it was compiled from."""

    source: str
    root: Node

    def matches(self, doc: MatchDocument) -> bool:
        """True if the document satisfies the query."""
        return self.root.matches(doc)

    def matched_terms(self, doc: MatchDocument) -> list[str]:
        """The positive words and phrases found in the document, in query order, without duplicates."""
        seen: set[Pattern] = set()
        found: list[str] = []
        for term in _positive_terms(self.root):
            if term.pattern not in seen and term.matches(doc):
                seen.add(term.pattern)
                found.append(term.text)
        return found


def brand_matches(query: Query, doc: MatchDocument, languages: list[str] | None) -> bool:
    """Apply a brand's language list (empty = any; unknown doc language passes), then its query."""
    if languages and doc.lang is not None:
        wanted = {normalize_lang(lang) for lang in languages}
        if doc.lang not in wanted:
            return False
    return query.matches(doc)


# ---------------------------------------------------------------------------------------------------------
# Lexer and parser


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "phrase", "(", ")", "-", "AND", "OR", "NOT", "end"
    text: str
    position: int


def _lex_phrase(query: str, start: int) -> tuple[_Token, int]:
    closing = _QUOTES[query[start]]
    end = query.find(closing, start + 1)
    if end < 0:
        raise QueryError(
            f"unterminated quote starting at position {start}: add the closing {closing} after the phrase",
            start,
        )
    return _Token("phrase", query[start + 1 : end], start), end + 1


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    index, size = 0, len(query)
    while index < size:
        char = query[index]
        if char.isspace():
            index += 1
        elif char in "()" or (char == "-" and (index == 0 or query[index - 1].isspace() or query[index - 1] == "(")):
            tokens.append(_Token(char, char, index))  # '-' is a negation only at the start of a term
            index += 1
        elif char in _QUOTES:
            token, index = _lex_phrase(query, index)
            tokens.append(token)
        else:
            end = index
            while end < size and not query[end].isspace() and query[end] not in _WORD_STOP:
                end += 1
            word = query[index:end]
            tokens.append(_Token(word if word in _KEYWORDS else "word", word, index))
            index = end
    tokens.append(_Token("end", "", size))
    return tokens


def _compile_chunk(chunk: str, position: int) -> list[tuple[str, bool]]:
    """Compile one whitespace-free piece of a term; `air-france` gives two words, `rembours*` a prefix."""
    body = chunk.rstrip("*")
    prefix = body != chunk
    if "*" in body:
        raise QueryError(
            f"misplaced '*' in '{chunk}' at position {position + body.index('*')}: "
            "a '*' can only end a word, as in rembours* (remboursez, remboursement)",
            position + body.index("*"),
        )
    words = tokenize(normalize_text(body))
    if prefix and (not words or len(words[-1]) < _MIN_PREFIX):
        raise QueryError(
            f"'{chunk}' at position {position} is too short: put at least {_MIN_PREFIX} letters before '*'",
            position,
        )
    return [(word, False) for word in words[:-1]] + [(word, prefix) for word in words[-1:]]


def _word_term(token: _Token) -> Term | Lang:
    if token.text.lower().startswith("lang:"):
        code = token.text[5:].lower()
        if not _LANG_RE.fullmatch(code):
            raise QueryError(
                f"unknown language in '{token.text}' at position {token.position}: "
                "use a two-letter code such as lang:fr or lang:en",
                token.position,
            )
        return Lang(code, token.position)
    pattern = _compile_chunk(token.text, token.position)
    if not pattern:
        raise QueryError(
            f"'{token.text}' at position {token.position} has no letters or digits to look for",
            token.position,
        )
    return Term(token.text, tuple(pattern), token.position)


def _phrase_term(token: _Token) -> Term:
    pattern: list[tuple[str, bool]] = []
    for chunk in re.finditer(r"\S+", token.text):
        # Punctuation inside a phrase ("Merci SNCF !") is ignored, like in the mentions themselves.
        pattern.extend(_compile_chunk(chunk.group(), token.position + 1 + chunk.start()))
    if not pattern:
        raise QueryError(
            f"empty phrase at position {token.position}: put at least one word between the quotes",
            token.position,
        )
    return Term(token.text.strip(), tuple(pattern), token.position)


def _describe(token: _Token) -> str:
    return f"'{token.text}' at position {token.position}"


class _Parser:
    """Recursive descent: or := and ('OR' and)*; and := unary ('AND'? unary)*; unary := ('NOT'|'-') unary
    | primary; primary := word | phrase | '(' or ')'."""

    def __init__(self, query: str) -> None:
        self.tokens = _lex(query)
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        self.index += 1
        return self.tokens[self.index - 1]

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise QueryError("empty query: type at least one word or phrase to look for", 0)
        node = self.parse_or()
        if self.peek().kind == ")":
            raise self.missing_term(self.peek(), None)  # a ')' nothing opened
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and(None)]
        while self.peek().kind == "OR":
            operator = self.advance()
            children.append(self.parse_and(operator))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self, after: _Token | None) -> Node:
        children = [self.parse_unary(after)]
        while True:
            token = self.peek()
            if token.kind == "AND":
                self.advance()
                children.append(self.parse_unary(token))
            elif token.kind in ("word", "phrase", "(", "-", "NOT"):
                children.append(self.parse_unary(None))
            else:
                break
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self, after: _Token | None) -> Node:
        token = self.peek()
        if token.kind in ("NOT", "-"):
            self.advance()
            return Not(self.parse_unary(token), token.position)
        return self.parse_primary(after)

    def parse_primary(self, after: _Token | None) -> Node:
        token = self.advance()
        if token.kind == "word":
            return _word_term(token)
        if token.kind == "phrase":
            return _phrase_term(token)
        if token.kind == "(":
            return self.parse_group(token)
        raise self.missing_term(token, after)

    def parse_group(self, opening: _Token) -> Node:
        at = opening.position
        if self.peek().kind == ")":
            raise QueryError(f"empty parentheses at position {at}: put at least one term inside", at)
        node = self.parse_or() if self.peek().kind != "end" else None
        if node is None or self.peek().kind != ")":
            raise QueryError(f"unbalanced parenthesis: '(' at position {at} is never closed", at)
        self.advance()
        return node

    @staticmethod
    def missing_term(token: _Token, after: _Token | None) -> QueryError:
        if after is None and token.kind == ")":
            return QueryError(
                f"unbalanced parenthesis: ')' at position {token.position} has no matching '('",
                token.position,
            )
        if after is None:
            return QueryError(f"expected a term before {_describe(token)}", token.position)
        if token.kind == "end":
            return QueryError(f"expected a term after {_describe(after)}", after.position)
        return QueryError(f"expected a term after {_describe(after)}, but found {_describe(token)}", token.position)


def _without_positive_term(node: Node) -> Node | None:
    """The first part of the query that could match with none of its words present, if any."""
    if isinstance(node, Term):
        return None
    if isinstance(node, (Lang, Not)):
        return node
    if isinstance(node, And):
        return None if any(_without_positive_term(child) is None for child in node.children) else node
    return next((gap for child in node.children if (gap := _without_positive_term(child))), None)


def parse_query(query: str) -> Query:
    """Compile a brand query; raise QueryError (with the position of the problem) if it is invalid."""
    root = _Parser(query).parse()
    gap = _without_positive_term(root)
    if gap is not None:
        raise QueryError(
            f"nothing to look for at position {gap.position}: this part only excludes words or filters by "
            "language, so it would match almost every mention; add a word or phrase to look for "
            "(for example: sncf -emploi)",
            gap.position,
        )
    return Query(query, root)
