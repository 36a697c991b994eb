"""Risk of a mention, 0-100: how likely it is to hurt the brand if nobody acts, with every reason shown.

The score is the sum of the contributions below, each an integer the CM sees next to its detail, clamped
to 0-100. The weights are set so that a neutral or positive mention stays under 20, an ordinary complaint
lands around 30-45 (one that shouts, insists "!!!" and calls the brand out peaks at 51, where a bad buzz
starts), crisis vocabulary in a negative text reaches 60, and the same text from a big account 80 or more.
`alerts.scoring.CRISIS_THRESHOLD` (calibrated on the labelled dev sets) turns the score into a crisis flag.

| signal         | contribution                                                                             |
|----------------|------------------------------------------------------------------------------------------|
| negativity     | compound <= -0.05: 8 + 22 x min(1, (-compound - 0.05) / 0.70), so 8 to 30                |
| complaint      | 10 when the sentiment engine flags a complaint (refund, cancelled, no answer...)         |
| crisis_terms   | distinct terms by weight (files: 40 crisis, 25 escalation, 20 calls to share, 5 blame):  |
|                | the heaviest counts in full, each next one for half, capped at 55; then x 1 in a         |
|                | negative or neutral text (news reports a recall in a neutral tone), x 0.25 in a positive |
|                | one ("pas d'arnaque, super service")                                                     |
| intensity      | 5 for shouting (>= 3 words in capitals, >= 40% of the words), 2 per "!!"/"?!" run,       |
|                | capped at 6; none in a positive text (enthusiasm is not anger)                           |
| direct_address | 5 (negative) or 3 (neutral) when the brand is named or @-mentioned with a question or an |
|                | imperative ("@sncf remboursez-moi", "why?"): a request that may go unanswered            |
| author_reach   | followers from 1k: 5 + 7 x (log10(n) - 3), so 1k: 5, 10k: 12, 100k: 19, 1M: 26; max 30   |
| engagement     | likes + 2 comments + 3 shares + views/100: 5 x (log10(n) - 1), so 100: 5, 10k: 15;       |
|                | max 20                                                                                   |

Reach and engagement amplify what the text says: they are multiplied by min(1, text score / 40), so a
cheerful post from a million-follower account is not a risk, and a complaint from one is.

Crisis terms live in versioned data files (`alerts/data/crisis_terms_<lang>.txt`). Matching is accent- and
case-insensitive on whole words and phrases, tolerates a plural -s/-x/-es, and reads hashtags that start
with a term (#BoycottSNCF). A leading "RT @user:" (a repost marker) is not a call to share. Everything here
is pure and takes ~15 us for a tweet.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from alerts.sentiment import Sentiment

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_WEIGHT = 20
CRISIS_TERMS_CAP = 55
POLARITY_FACTOR = {"negative": 1.0, "neutral": 1.0, "positive": 0.25}
NEGATIVE_COMPOUND = -0.05
AUDIENCE_FULL_AT = 40  # text score from which reach and engagement count in full
# A request to the brand and an angry tone are kept small on purpose: with negativity and the complaint flag
# they make at most 30 + 10 + 5 + 6 = 51, so only the angriest complaint without crisis vocabulary reaches
# the crisis band, and crisis words weigh more than all of these together.
ADDRESS_POINTS, ADDRESS_POINTS_NEUTRAL = 5, 3
INTENSITY_CAP = 6

_MARKS = re.compile(r"[\u0300-\u036f]+")
_TOKEN = re.compile(r"#?\w+")
_WORD = re.compile(r"[^\W\d_]{3,}")
_CAPS = re.compile(r"(?<!\w)[A-ZÀ-ÖØ-Þ]{3,}(?!\w)")  # a word of 3+ capitals, accented ones included
_BURST = re.compile(r"[!?]{2,}")
_HANDLE = re.compile(r"@(\w+)")
_RETWEET_PREFIX = re.compile(r"^\s*rt\s+@\w+:?")  # "RT @user:" marks a repost; "RT" elsewhere asks for one
# Requests a brand is expected to answer. Polite markers count anywhere; a bare verb only where an imperative
# stands, at the start of a clause or right after an @handle: "refund" in "no refund yet" is a noun.
_POLITE = frozenset(("svp", "stp", "please", "pls", "plz"))
_POLITE_PHRASES = ("merci de ", "s'il vous plait", "pouvez-vous", "pourriez-vous", "dm me", "can you", "could you")
_IMPERATIVE = re.compile(
    r"(?:^|[.!?,;:\n]\s*|@\w+\s+)(?:remboursez|repondez|expliquez|arretez|corrigez|reglez|contactez|rappelez|"
    r"aidez|faites|dites|donnez|fix|refund|answer|respond|explain|help|stop|give|call|sort)\b"
    r"|ez-(?:moi|nous|le|la|les|lui)\b"  # "remboursez-moi", "aidez-nous": imperative wherever it stands
)


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


Entry = tuple[tuple[str, ...], str, int]  # (the phrase's next word keys, the term as written, its weight)


@dataclass(frozen=True, slots=True)
class CrisisLexicon:
    """A compiled crisis-term matcher for one language: terms indexed by the key of their first word."""

    lang: str
    version: int
    terms: dict[str, int]  # term as written in the file → weight
    # Keyed by every plural form of the first word ("arnaque", "arnaques", "arnaquex", "arnaquees"), so that
    # a text token is looked up as is and only candidate phrases pay for stemming the next words.
    index: dict[str, tuple[Entry, ...]] = field(repr=False, compare=False)
    tag_prefixes: dict[str, tuple[str, int]] = field(repr=False, compare=False)  # single words, for #hashtags

    def find(self, text: str) -> dict[str, int]:
        """Distinct terms found in `text` (longest phrase wins: 'porter plainte', not also 'plainte')."""
        return self.find_tokens(tokenize(normalize_for_matching(text)))

    def find_tokens(self, tokens: list[str]) -> dict[str, int]:
        """`find` on the `tokenize`d words of a text already passed through `normalize_for_matching`."""
        found: dict[str, int] = {}
        index, skip = self.index, 0
        for i, token in enumerate(tokens):
            if skip:
                skip -= 1
                continue
            entries = index.get(token)
            if entries is None:
                if token[0] == "#":
                    self._find_in_hashtag(token[1:], found)
                continue
            for rest, term, weight in entries:
                if len(rest) == 0 or tuple(_stem(t.lstrip("#")) for t in tokens[i + 1 : i + 1 + len(rest)]) == rest:
                    found.setdefault(term, weight)
                    skip = len(rest)
                    break
        return found

    def _find_in_hashtag(self, tag: str, found: dict[str, int]) -> None:
        # "#arnaque", "#boycottsncf", "#arnaquesorange": the longest term the hashtag starts with.
        for end in range(len(tag), 3, -1):
            hit = self.tag_prefixes.get(tag[:end])
            if hit:
                found.setdefault(*hit)
                return


def _parse_line(line: str) -> tuple[str, int] | None:
    """'term' or 'term<TAB>weight' → (term, weight); None for blank lines and comments."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    term, _, weight = line.partition("\t")
    return term.strip(), int(weight) if weight.strip() else DEFAULT_WEIGHT


def read_terms_file(path: Path) -> tuple[int, dict[str, int]]:
    """(version, {term: weight}) from a crisis-terms file whose first line is '# version: N'."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = re.fullmatch(r"#\s*version:\s*(\d+)\s*", lines[0] if lines else "")
    if not header:
        raise ValueError(f"{path.name}: the first line must be '# version: N'")
    terms = dict(filter(None, map(_parse_line, lines[1:])))
    return int(header.group(1)), terms


def _term_keys(term: str) -> tuple[str, ...]:
    return tuple(_stem(t.lstrip("#")) for t in tokenize(normalize_for_matching(term)))


def compile_lexicon(lang: str, version: int, terms: dict[str, int]) -> CrisisLexicon:
    """Index `terms` for matching; longer phrases are tried first."""
    index: dict[str, list[Entry]] = {}
    tag_prefixes: dict[str, tuple[str, int]] = {}
    for term, weight in terms.items():
        keys = _term_keys(term)
        if not keys:
            continue
        for form in _plural_forms(keys[0]):
            index.setdefault(form, []).append((keys[1:], term, weight))
            if len(keys) == 1 and len(form) >= 4:
                tag_prefixes.setdefault(form, (term, weight))
    ordered = {k: tuple(sorted(v, key=lambda e: -len(e[0]))) for k, v in index.items()}
    return CrisisLexicon(lang, version, dict(terms), ordered, tag_prefixes)


@lru_cache(maxsize=64)
def load_crisis_lexicon(
    lang: str | None, *, extra_terms: tuple[str, ...] = (), ignored_terms: tuple[str, ...] = ()
) -> CrisisLexicon:
    """The crisis lexicon of `lang` plus the workspace's extra terms (default weight) minus its ignored ones.

    A language without a file (or None) gets every file's terms: boycott, scandal... travel."""
    files = sorted(DATA_DIR.glob("crisis_terms_*.txt"))
    own = [p for p in files if p.stem.endswith(f"_{lang}")]
    version, terms = 0, {}
    for path in own or files:
        file_version, file_terms = read_terms_file(path)
        version = max(version, file_version)
        terms.update({t: w for t, w in file_terms.items() if t not in terms})
    for term in filter(None, (t.strip() for t in extra_terms)):
        # A workspace term never lowers a built-in weight, and "#hashtag" is a term here, not a comment.
        terms[term] = max(terms.get(term, 0), DEFAULT_WEIGHT)
    ignored = {_term_keys(t) for t in ignored_terms}
    terms = {t: w for t, w in terms.items() if _term_keys(t) not in ignored}
    return compile_lexicon(lang if own else "any", version, terms)


# ---------------------------------------------------------------------------------------------------------
# Signals


@dataclass(frozen=True, slots=True)
class RiskSignal:
    """One reason for the risk score, with its share of it: ("crisis_terms", 30, "arnaque, avocat")."""

    signal: str
    contribution: int
    detail: str


@dataclass(frozen=True, slots=True)
class Risk:
    """A 0-100 score and the signals that sum to it (before clamping)."""

    score: int
    signals: list[RiskSignal]

    def as_dict(self) -> dict:
        """JSON-ready: {"score": .., "signals": [{"signal", "contribution", "detail"}]}."""
        signals = [{"signal": s.signal, "contribution": s.contribution, "detail": s.detail} for s in self.signals]
        return {"score": self.score, "signals": signals}


def _risk(signals: list[RiskSignal]) -> Risk:
    kept = [s for s in signals if s.contribution > 0]
    return Risk(max(0, min(100, sum(s.contribution for s in kept))), kept)


def negativity_signal(sentiment: Sentiment) -> RiskSignal:
    """8 to 30 points as the compound goes from -0.05 to -0.75 and below."""
    c = sentiment.compound
    points = 0 if c > NEGATIVE_COMPOUND else round(8 + 22 * min(1.0, (-c - 0.05) / 0.70))
    return RiskSignal("negativity", points, f"compound {c:+.2f}")


def complaint_signal(sentiment: Sentiment) -> RiskSignal:
    """10 points when the sentiment engine recognised a complaint."""
    return RiskSignal("complaint", 10 if sentiment.complaint else 0, ", ".join(sentiment.complaint_signals[:5]))


def crisis_terms_signal(found: dict[str, int], label: str) -> RiskSignal:
    """Heaviest term in full, the others for half, capped; scaled by the text's polarity."""
    ordered = sorted(found.items(), key=lambda tw: (-tw[1], tw[0]))
    raw = sum(w if i == 0 else w / 2 for i, (_, w) in enumerate(ordered))
    points = round(min(CRISIS_TERMS_CAP, raw) * POLARITY_FACTOR.get(label, 1.0))
    return RiskSignal("crisis_terms", points, ", ".join(t for t, _ in ordered))


def intensity_signal(text: str, label: str) -> RiskSignal:
    """Shouting in capitals and '!!!'/'?!' bursts, in a text that is not positive."""
    if label == "positive":
        return RiskSignal("intensity", 0, "")
    caps = len(_CAPS.findall(text))
    words = len(_WORD.findall(text)) if caps >= 3 else 0  # counting words is the slow part: only if needed
    shouting = caps >= 3 and caps >= 0.4 * words
    bursts = len(_BURST.findall(text)) if ("!" in text or "?" in text) else 0
    parts = [f"{caps}/{words} words in capitals"] if shouting else []
    parts += [f"{bursts} '!!'/'?!'"] if bursts else []
    return RiskSignal("intensity", min(INTENSITY_CAP, 5 * shouting + 2 * bursts), ", ".join(parts))


@lru_cache(maxsize=256)
def _brand_patterns(brand_handles: tuple[str, ...]) -> tuple[tuple[str, ...], re.Pattern[str] | None]:
    """(handle prefixes, a pattern of the names as whole words) for a workspace's brand handles."""
    keys = tuple(k for k in (normalize_for_matching(b).strip().lstrip("@") for b in brand_handles) if k)
    if not keys:
        return (), None
    names = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return keys, re.compile(rf"(?<![\w@])(?:{names})(?!\w)")


def _addressed(text: str, normalized: str, brand_handles: tuple[str, ...]) -> str:
    """'@handle' or 'name' when the text @-mentions or names one of the brand's handles, else ''."""
    keys, names = _brand_patterns(brand_handles)
    if "@" in text:
        for handle in _HANDLE.findall(normalized):
            if handle.startswith(keys):  # @SNCF_Voyageurs is the brand "sncf"
                return f"@{handle}"
    hit = names.search(normalized) if names else None
    return hit.group(0) if hit else ""


def _is_request(normalized: str, tokens: list[str]) -> bool:
    """An imperative or a polite request: "remboursez-moi", "merci de répondre", "please fix this"."""
    return (
        not _POLITE.isdisjoint(tokens)
        or any(p in normalized for p in _POLITE_PHRASES)
        or _IMPERATIVE.search(normalized) is not None
    )


def direct_address_signal(
    text: str, label: str, brand_handles: tuple[str, ...], normalized: str = "", tokens: list[str] | None = None
) -> RiskSignal:
    """The brand addressed with a question or an imperative: a request that may go unanswered."""
    if label == "positive" or not brand_handles:
        return RiskSignal("direct_address", 0, "")
    normalized = normalized or normalize_for_matching(text)
    tokens = tokenize(normalized) if tokens is None else tokens
    who = _addressed(text, normalized, brand_handles)
    if not who:
        return RiskSignal("direct_address", 0, "")
    ask = "question" if "?" in text else ("imperative" if _is_request(normalized, tokens) else "")
    points = (ADDRESS_POINTS if label == "negative" else ADDRESS_POINTS_NEUTRAL) if ask else 0
    return RiskSignal("direct_address", points, f"{who} + {ask}" if ask else "")


def score_text_risk(
    *, text: str, sentiment: Sentiment, lexicon: CrisisLexicon, brand_handles: tuple[str, ...] = ()
) -> Risk:
    """The risk carried by the text alone (no audience): what a cache of reposts can share."""
    label, normalized = sentiment.label, _RETWEET_PREFIX.sub("", normalize_for_matching(text))
    tokens = tokenize(normalized)
    return _risk(
        [
            negativity_signal(sentiment),
            complaint_signal(sentiment),
            crisis_terms_signal(lexicon.find_tokens(tokens), label),
            intensity_signal(text, label),
            direct_address_signal(text, label, brand_handles, normalized, tokens),
        ]
    )


def _engagement_total(engagement: dict[str, int]) -> float:
    get = engagement.get
    return (
        (get("likes", 0) or 0)
        + 2 * (get("comments", 0) or 0)
        + 3 * (get("shares", 0) or 0)
        + (get("views", 0) or 0) / 100
    )


def with_audience(risk: Risk, *, author_reach: int | None = None, engagement: dict[str, int] | None = None) -> Risk:
    """`risk` plus author reach and engagement, scaled by how risky the text already is."""
    damping = min(1.0, risk.score / AUDIENCE_FULL_AT)
    extra = []
    if author_reach and author_reach > 0:
        points = 0.0 if author_reach < 1_000 else min(30.0, 5 + 7 * (math.log10(author_reach) - 3))
        extra.append(RiskSignal("author_reach", round(points * damping), f"{author_reach:,} followers"))
    total = _engagement_total(engagement) if engagement else 0
    if total > 0:
        points = min(20.0, max(0.0, 5 * (math.log10(total) - 1)))
        detail = ", ".join(f"{k} {v:,}" for k, v in sorted(engagement.items()) if v)
        extra.append(RiskSignal("engagement", round(points * damping), detail))
    return _risk([*risk.signals, *extra]) if extra else risk


def score_risk(
    *,
    text: str,
    sentiment: Sentiment,
    lexicon: CrisisLexicon,
    author_reach: int | None = None,
    engagement: dict[str, int] | None = None,
    brand_handles: tuple[str, ...] = (),
) -> Risk:
    """Risk of one mention, 0-100, with its signals (see the module docstring for the weights)."""
    risk = score_text_risk(text=text, sentiment=sentiment, lexicon=lexicon, brand_handles=brand_handles)
    return with_audience(risk, author_reach=author_reach, engagement=engagement)
