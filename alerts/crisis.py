"""The crisis vocabulary: versioned term files organised by semantic domain, and a fast matcher for them.

A term file (`alerts/data/crisis_terms_<lang>.txt`) starts with `# version: N`, then lists one term or phrase
per line, optionally followed by a TAB and a weight (default 20), under `[domain]` headers. Matching ignores
case and accents, works on whole words, tolerates a plural -s/-x/-es, reads hashtags that start with a term
(#BoycottSNCF), and takes a trailing `*` on a word as "any word starting with this" (`hospitalis*`: hospitalisé,
hospitalisée, hospitalisation). A leading "RT @user:" (a repost marker) is skipped. A weight of 0 marks a
phrase that contains a crisis word but means something else ("accusé de réception"): it masks the word.

Domains say what a term is evidence of. Most name a harm the brand is blamed for (fraud, health and safety,
legal action, data and security, labour, ethics, violence, large outages, boycott calls and warnings): such a
term is negative for the brand, and the sentiment engine counts it. The others (AMPLIFIERS: calls to share,
media pick-up, scale, authorities, vulnerable people, exposed data, blame words) only say that a story
spreads or is serious: they raise the risk, never the negativity.

A line `re:REGEX` is a structural cue that no word list names, run on the folded text: a count of views,
shares or people ("50 000 partages", "2.1M views"), a thread marker (🧵), a refusal next to a disability, a
leak next to passwords. A cue that spans lighter terms replaces them. Only the files hold cues: a workspace's
extra terms are always plain words.

Cost: one regex pass to cut the words, one C-level set intersection with the words that anchor a term (each
term is indexed under its rarest word, so "le" in "le parisien" never triggers a check; each new word is
looked up once and memoised), then checks only around those words; a cue regex runs only when one of its
words is present. Everything is pure.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from pathlib import Path

from alerts.prefilter import required_stems

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_WEIGHT = 20
WORKSPACE_DOMAIN = "workspace"
# Domains that only amplify: they raise the risk of a negative text but say nothing negative by themselves.
AMPLIFIERS = frozenset({"share", "media", "scale", "authority", "exposure", "vulnerable", "blame", "neutral", "other",
                        WORKSPACE_DOMAIN})
_REGEX = "re:"
_PREFIX_KEY = 4  # a wildcard's prefix is indexed by its first 4 letters (and must have at least 4)
_MEMO_MAX = 100_000  # distinct words remembered before the memo of seen words starts over

_MARKS = re.compile(r"[\u0300-\u036f]+")
_TOKEN = re.compile(r"#?\w+")
_HEADER = re.compile(r"#\s*version:\s*(\d+)\s*")
_DOMAIN = re.compile(r"\[([a-z_]+)\]")
RETWEET_PREFIX = re.compile(r"^\s*rt\s+@\w+:?")  # "RT @user:" marks a repost; "RT" elsewhere asks for one


def normalize_for_matching(text: str) -> str:
    """Lower case without accents, with typographic apostrophes made plain: 'Fuite de Données’' → ..."""
    text = text.lower().replace("’", "'").replace("œ", "oe").replace("æ", "ae")
    if text.isascii():
        return text
    return _MARKS.sub("", unicodedata.normalize("NFD", text))


def tokenize(normalized: str) -> list[str]:
    """Words and #hashtags of a normalized text; apostrophes and hyphens split words ("l'arnaque")."""
    return _TOKEN.findall(normalized)


def _stem(word: str) -> str:
    """Plural-tolerant key: 'arnaques' and 'arnaque', 'breaches' and 'breach', 'dangereux' all meet."""
    if len(word) > 4 and word[-1] in "sx":
        if word.endswith(("ches", "shes", "sses", "xes")):
            return word[:-2]
        return word[:-1]
    return word


def _plural_forms(key: str) -> tuple[str, ...]:
    """Every spelling whose `_stem` is `key` (and a few harmless extra ones)."""
    return (key, key + "s", key + "x", key + "es") if len(key) >= 3 else (key,)


def _word_matches(key: str, token: str) -> bool:
    """A phrase's next word: a prefix ("donnee*") or a plural-tolerant key ("plainte")."""
    token = token.lstrip("#")
    return token.startswith(key[:-1]) if key[-1] == "*" else _stem(token) == key


@dataclass(frozen=True, slots=True)
class CrisisMatch:
    """One crisis term found in a text: the term as written in the file, its weight and domain, where it is."""

    term: str
    weight: int
    domain: str
    start: int = 0
    end: int = 0

    @property
    def harm(self) -> bool:
        """True when the term names a harm the brand is blamed for (negative for the brand on its own)."""
        return self.domain not in AMPLIFIERS


# A term, indexed under one of its words (its anchor): (the term's word keys, the anchor's position among them,
# the term as written, its weight). Keys are plural-tolerant stems, or prefixes ending in "*".
Entry = tuple[tuple[str, ...], int, str, int]
Pattern = tuple[re.Pattern[str], int, str]  # (a structural cue's regex on the normalized text, weight, domain)
# Words too frequent to index a phrase under ("le" in "le parisien", "never" in "never paid out").
_COMMON = frozenset({
    "a", "about", "after", "again", "all", "also", "and", "any", "apres", "are", "at", "au", "aussi", "aux", "avant",
    "avec", "avoir", "be", "been", "before", "bien", "but", "by", "c", "ca", "can", "can't", "ce", "cela", "ces",
    "cette", "check", "chez", "comme", "could", "d", "dans", "de", "depuis", "des", "didn't", "do", "don't", "du",
    "elle", "elles", "en", "encore", "est", "et", "etre", "every", "fait", "for", "from", "get", "got", "had", "has",
    "have", "here", "i", "i'm", "if", "il", "ils", "in", "into", "is", "it", "it's", "its", "j", "jamais", "je",
    "just", "l", "la", "le", "les", "leur", "ma", "me", "meme", "mes", "moins", "mon", "more", "much", "my", "ne",
    "never", "no", "nos", "not", "notre", "nous", "of", "on", "one", "or", "our", "out", "over", "par", "pas",
    "personne", "plus", "pour", "qu", "que", "qui", "rien", "s", "sa", "sans", "se", "should", "si", "some", "son",
    "still", "sur", "ta", "than", "that's", "the", "their", "them", "then", "there", "they", "this", "to",
    "toujours", "tous", "tout", "toute", "toutes", "tres", "un", "une", "up", "us", "very", "vos", "votre", "vous",
    "was", "we", "were", "what", "when", "will", "with", "without", "won't", "would", "y", "you", "your"
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class CrisisLexicon:
    """A compiled crisis-term matcher for one language.

    Each term is indexed under its anchor, its most distinctive word (the longest; "parisien" in "le
    parisien"), by every plural form of it, or under the first letters of a "prefix*". A text's words are
    intersected with the anchors in one C-level set operation, so that a text without a crisis word costs
    almost nothing and common words ("le", "the") never trigger phrase checks."""

    lang: str
    version: int
    terms: dict[str, int]  # term as written in the file → weight
    domains: dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # term → domain
    index: dict[str, tuple[Entry, ...]] = field(default_factory=dict, repr=False, compare=False)
    prefixes: dict[str, tuple[tuple[str, Entry], ...]] = field(default_factory=dict, repr=False, compare=False)
    tag_prefixes: dict[str, tuple[str, int]] = field(default_factory=dict, repr=False, compare=False)
    patterns: tuple[Pattern, ...] = field(default=(), repr=False, compare=False)  # `re:` lines of the files
    # `re:` cues that need a word run only when a word starting with one of these stems is in the text
    triggers: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict, repr=False, compare=False)
    ungated: tuple[int, ...] = field(default=(), repr=False, compare=False)  # cues that run on every text
    memo: tuple[set[str], dict, dict] = field(  # words seen; those that anchor terms; those that trigger cues
        default_factory=lambda: (set(), {}, {}), repr=False, compare=False
    )

    def find(self, text: str) -> dict[str, int]:
        """Distinct terms found in `text` (longest phrase wins: 'porter plainte', not also 'plainte')."""
        return {m.term: m.weight for m in self.match(normalize_for_matching(text))}

    def find_tokens(self, tokens: list[str]) -> dict[str, int]:
        """`find` on the `tokenize`d words of a text already passed through `normalize_for_matching`."""
        found: dict[str, int] = {}
        for _, _, term, weight in self._scan(tokens):
            found.setdefault(term, weight)
        return found

    def match(self, normalized: str) -> list[CrisisMatch]:
        """Every distinct term in a normalized (or folded) text, with its position; then the structural cues."""
        skip = RETWEET_PREFIX.match(normalized) if normalized.lstrip()[:2] == "rt" else None
        offset = skip.end() if skip else 0
        tokens = _TOKEN.findall(normalized, offset)
        hits = self._scan(tokens, "#" in normalized)
        found: dict[str, CrisisMatch] = {}
        if hits:  # positions, up to the last word matched only
            last = max(i + n for i, n, _, _ in hits)
            spans = [m.span() for m in islice(_TOKEN.finditer(normalized, offset), last)]
            for i, n, term, weight in hits:
                if term not in found:
                    found[term] = CrisisMatch(term, weight, self.domains.get(term, "other"), spans[i][0],
                                              spans[i + n - 1][1])
        for k in self._cues(tokens):
            pattern, weight, domain = self.patterns[k]
            m = pattern.search(normalized, offset)
            if not m:
                continue
            # a cue that spans words already matched replaces them if it weighs more, else it adds nothing
            covered = [k for k, f in found.items() if f.start < m.end() and m.start() < f.end]
            if all(found[k].weight < weight for k in covered):
                for k in covered:
                    del found[k]
                found.setdefault(m.group(0), CrisisMatch(m.group(0).strip(), weight, domain, m.start(), m.end()))
        return list(found.values())

    def _scan(self, tokens: list[str], hashtags: bool = True) -> list[tuple[int, int, str, int]]:
        """(token index, number of tokens, term, weight) of each term found; overlaps go to the earliest, then
        the longest, then the most specific ("blessure*" before "bless*")."""
        hot = self._hot_words(tokens)
        words = hot.keys() & tokens
        if not (words or hashtags):
            return []
        found: list[tuple[int, int, int, str, int]] = []
        for word in words:
            self._try(hot[word], tokens, _positions(tokens, word), found)
        if hashtags:
            for i, token in enumerate(tokens):
                if token[0] == "#" and token not in words:
                    hit = self._in_hashtag(token[1:])
                    if hit:
                        found.append((i, 1, 0, *hit))
        if len(found) > 1:
            found.sort(key=lambda f: (f[0], -f[1], f[2]))
        kept, end = [], 0
        for start, size, _, term, weight in found:
            if start >= end:
                kept.append((start, size, term, weight))
                end = start + size
        return kept

    def _hot_words(self, tokens: list[str]) -> dict[str, tuple[Entry, ...]]:
        """The words seen so far that some term is anchored on (by their spelling or a prefix), with the terms.
        New words are worked out once: the vocabulary of mentions is bounded (the memo is reset if it grows)."""
        seen, hot, fired = self.memo
        if not seen.issuperset(tokens):
            if len(seen) > _MEMO_MAX:
                seen.clear()
            for token in set(tokens).difference(seen):
                entries = self.index.get(token, ())
                wild = self.prefixes.get(token[:_PREFIX_KEY])
                if wild:
                    entries = (*entries, *(e for p, e in wild if token.startswith(p)))
                if entries:
                    hot[token] = entries
                cues = tuple(k for stem, k in self.triggers.get(token[:2], ()) if token.startswith(stem))
                if cues:
                    fired[token] = cues
                seen.add(token)
        return hot

    def _cues(self, tokens: list[str]) -> tuple[int, ...]:
        """Indices of the `re:` cues to run on a text: those without a required word, and those whose word is
        in the text (the memo was filled by `_hot_words`)."""
        fired = self.memo[2]
        present = fired.keys() & tokens
        if not present:
            return self.ungated
        wanted = {k for token in present for k in fired[token]}
        return (*self.ungated, *sorted(wanted))

    @staticmethod
    def _try(entries, tokens: list[str], positions, found: list) -> None:
        """Check each entry anchored at each position against the words around it."""
        for i in positions:
            for keys, at, term, weight in entries:
                size = len(keys)
                if size == 1:
                    found.append((i, 1, -len(term), term, weight))
                    continue
                start = i - at
                if start < 0 or start + size > len(tokens):
                    continue
                for j in range(size):
                    if j != at and not _word_matches(keys[j], tokens[start + j]):
                        break
                else:
                    found.append((start, size, -len(term), term, weight))

    def _in_hashtag(self, tag: str) -> tuple[str, int] | None:
        # "#arnaque", "#boycottsncf", "#arnaquesorange": the longest term the hashtag starts with.
        for end in range(len(tag), 3, -1):
            hit = self.tag_prefixes.get(tag[:end])
            if hit:
                return hit
        return None


def _parse_line(line: str) -> tuple[str, int] | None:
    """'term' or 'term<TAB>weight' → (term, weight); None for blank lines and comments."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    term, _, weight = line.partition("\t")
    return term.strip(), int(weight) if weight.strip() else DEFAULT_WEIGHT


def parse_terms_file(path: Path) -> tuple[int, dict[str, int], dict[str, str]]:
    """(version, {term: weight}, {term: domain}) from a crisis-terms file whose first line is '# version: N'.
    A term `re:REGEX` is a structural cue: a regex run on the normalized text (see `compile_lexicon`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = _HEADER.fullmatch(lines[0] if lines else "")
    if not header:
        raise ValueError(f"{path.name}: the first line must be '# version: N'")
    terms: dict[str, int] = {}
    domains: dict[str, str] = {}
    domain = "other"
    for line in lines[1:]:
        section = _DOMAIN.fullmatch(line.strip())
        if section:
            domain = section.group(1)
            continue
        parsed = _parse_line(line)
        if parsed:
            terms[parsed[0]] = parsed[1]
            domains[parsed[0]] = domain
    return int(header.group(1)), terms, domains


def read_terms_file(path: Path) -> tuple[int, dict[str, int]]:
    """(version, {term: weight}) from a crisis-terms file whose first line is '# version: N'."""
    version, terms, _ = parse_terms_file(path)
    return version, terms


def _term_keys(term: str) -> tuple[str, ...]:
    words = re.findall(r"#?\w+\*?", normalize_for_matching(term))
    return tuple(w.lstrip("#") if w.endswith("*") else _stem(w.lstrip("#")) for w in words)


def _anchor(keys: tuple[str, ...]) -> int:
    """The position of a term's most distinctive word: not a common one, the longest, a whole word first."""
    return max(range(len(keys)), key=lambda j: (keys[j] not in _COMMON, len(keys[j].rstrip("*")), keys[j][-1] != "*"))


def _positions(items: list[str], item: str) -> list[int]:
    """Every index of `item` in `items` (list.index runs in C)."""
    out, i = [], -1
    for _ in range(items.count(item)):
        i = items.index(item, i + 1)
        out.append(i)
    return out


def compile_lexicon(lang: str, version: int, terms: dict[str, int],
                    domains: dict[str, str] | None = None) -> CrisisLexicon:
    """Index `terms` for matching, each under its anchor word; `re:` terms become structural cues."""
    index: dict[str, list[Entry]] = {}
    prefixes: dict[str, list[tuple[str, Entry]]] = {}
    tag_prefixes: dict[str, tuple[str, int]] = {}
    patterns: list[Pattern] = []
    triggers: dict[str, list[tuple[str, int]]] = {}
    domains = dict(domains or {})
    for term, weight in terms.items():
        if term.startswith(_REGEX) and domains.get(term) != WORKSPACE_DOMAIN:  # a workspace's terms are words
            source = term[len(_REGEX) :]
            for stem in required_stems(source) or ():
                triggers.setdefault(stem[:2], []).append((stem, len(patterns)))
            patterns.append((re.compile(source), weight, domains.get(term, "other")))
            continue
        keys = _term_keys(term)
        if not keys:
            continue
        at = _anchor(keys)
        anchor, entry = keys[at], (keys, at, term, weight)
        if anchor.endswith("*"):
            prefix = anchor[:-1]
            if len(prefix) < _PREFIX_KEY:
                raise ValueError(f"{term!r}: a wildcard needs at least {_PREFIX_KEY} letters before '*'")
            prefixes.setdefault(prefix[:_PREFIX_KEY], []).append((prefix, entry))
            if len(keys) == 1:
                tag_prefixes.setdefault(prefix, (term, weight))
            continue
        for form in _plural_forms(anchor):
            index.setdefault(form, []).append(entry)
            if len(keys) == 1 and len(form) >= 4:
                tag_prefixes.setdefault(form, (term, weight))
    words = {t: w for t, w in terms.items() if not (t.startswith(_REGEX) and domains.get(t) != WORKSPACE_DOMAIN)}
    return CrisisLexicon(lang, version, words, domains, {k: tuple(v) for k, v in index.items()},
                         {k: tuple(v) for k, v in prefixes.items()}, tag_prefixes, tuple(patterns),
                         {k: tuple(v) for k, v in triggers.items()},
                         tuple(sorted(set(range(len(patterns))) - {k for s in triggers.values() for _, k in s})))


@lru_cache(maxsize=64)
def load_crisis_lexicon(
    lang: str | None, *, extra_terms: tuple[str, ...] = (), ignored_terms: tuple[str, ...] = ()
) -> CrisisLexicon:
    """The crisis lexicon of `lang` plus the workspace's extra terms (default weight) minus its ignored ones.

    A language without a file (or None) gets every file's terms: boycott, scandal... travel."""
    files = sorted(DATA_DIR.glob("crisis_terms_*.txt"))
    own = [p for p in files if p.stem.endswith(f"_{lang}")]
    version, terms, domains = 0, {}, {}
    for path in own or files:
        file_version, file_terms, file_domains = parse_terms_file(path)
        version = max(version, file_version)
        for t, w in file_terms.items():
            if t not in terms:
                terms[t], domains[t] = w, file_domains[t]
    for term in filter(None, (t.strip() for t in extra_terms)):
        # A workspace term never lowers a built-in weight, and "#hashtag" is a term here, not a comment.
        terms[term] = max(terms.get(term, 0), DEFAULT_WEIGHT)
        domains.setdefault(term, WORKSPACE_DOMAIN)
    ignored = {_term_keys(t) for t in ignored_terms}
    terms = {t: w for t, w in terms.items() if _term_keys(t) not in ignored}
    return compile_lexicon(lang if own else "any", version, terms, domains)
