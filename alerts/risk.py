"""Risk of a mention, 0-100: how likely it is to hurt the brand if nobody acts, with every reason shown.

The score is the sum of the contributions below, each an integer the CM sees next to its detail, clamped
to 0-100. The weights are set so that a neutral or positive mention stays under 20, an ordinary complaint
lands around 30-45 (one that shouts, insists "!!!" and calls the brand out peaks at 51, where a bad buzz
starts), crisis vocabulary in a negative text reaches 60, and the same text from a big account 80 or more.
`alerts.scoring.CRISIS_THRESHOLD` (calibrated on the labelled dev sets) turns the score into a crisis flag.

| signal          | contribution                                                                            |
|-----------------|-----------------------------------------------------------------------------------------|
| negativity      | compound <= -0.05: 8 + 22 x min(1, (-compound - 0.05) / 0.70), so 8 to 30               |
| complaint       | 10 when the sentiment engine flags a complaint (refund, cancelled, no answer...)        |
| crisis_terms    | distinct terms by weight (files: 40 a crisis on its own, 25 serious, 20 spread or      |
|                 | scale, 10 weak, 5 blame): the heaviest counts in full, each next one for half, capped   |
|                 | at 55; x 0.5 when nothing names a harm or a call to share and only one kind of          |
|                 | amplifier is there ("200 people in the queue", "UFC-Que Choisir"), or when the heaviest |
|                 | term is under 20; then x 1 in a negative or neutral text (news reports a recall in a    |
|                 | neutral tone), x 0.25 in a positive one ("pas d'arnaque, super service")                |
| crisis_question | 10 when a neutral text asks about a heavy health or data term (a recall, a leak):       |
|                 | customers asking means the crisis conversation has started                              |
| intensity       | 5 for shouting (>= 3 words in capitals, >= 40% of the words), 2 per "!!"/"?!" run,      |
|                 | capped at 6; none in a positive text (enthusiasm is not anger)                          |
| direct_address  | 5 (negative) or 3 (neutral) when the brand is named or @-mentioned with a question or   |
|                 | an imperative ("@sncf remboursez-moi", "why?"): a request that may go unanswered        |
| author_reach    | followers from 1k: 5 + 7 x (log10(n) - 3), so 1k: 5, 10k: 12, 100k: 19, 1M: 26; max 30  |
| engagement      | likes + 2 comments + 3 shares + views/100: 5 x (log10(n) - 1), so 100: 5, 10k: 15;      |
|                 | max 20                                                                                  |

Reach and engagement amplify what the text says: they are multiplied by min(1, text score / 40), so a
cheerful post from a million-follower account is not a risk, and a complaint from one is.

Crisis terms live in versioned data files (`alerts/data/crisis_terms_<lang>.txt`), organised by domain, and
are matched by `alerts.crisis` (accent- and case-insensitive, plurals, `prefix*` wildcards, hashtags,
structural cues such as "50 000 partages"). The sentiment engine matches them once per text and passes them
on (`matches=`); a harm they name also makes the text negative (alerts/blend.py). Everything here is pure;
with the matches given it takes ~10 us for a tweet, ~20 us when it has to match them itself.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from alerts.crisis import (  # noqa: F401 - re-exported: the crisis lexicon used to live here
    DEFAULT_WEIGHT,
    RETWEET_PREFIX,
    CrisisLexicon,
    CrisisMatch,
    load_crisis_lexicon,
    normalize_for_matching,
    read_terms_file,
    tokenize,
)
from alerts.sentiment import Sentiment

CRISIS_TERMS_CAP = 55
POLARITY_FACTOR = {"negative": 1.0, "neutral": 1.0, "positive": 0.25}
# Domains that say a story is big or spreading without naming a harm (a call to share names one: mobilising).
AMPLIFYING = frozenset({"media", "scale", "authority", "vulnerable", "exposure"})
WEAK = frozenset({"blame", "other"})  # these never make amplifiers count in full
AMPLIFIER_ALONE = 0.5
NUDGE_ONLY = 20  # when the heaviest term is lighter than this, the terms count for half: a nudge
HEAVY = 40  # the weight of a term that names a crisis on its own
ASKED_ABOUT = frozenset({"health", "data"})  # recalls, contamination, leaks: what customers ask about
CRISIS_QUESTION_POINTS = 10
NEGATIVE_COMPOUND = -0.05
AUDIENCE_FULL_AT = 40  # text score from which reach and engagement count in full
# A request to the brand and an angry tone are kept small on purpose: with negativity and the complaint flag
# they make at most 30 + 10 + 5 + 6 = 51, so only the angriest complaint without crisis vocabulary reaches
# the crisis band, and crisis words weigh more than all of these together.
ADDRESS_POINTS, ADDRESS_POINTS_NEUTRAL = 5, 3
INTENSITY_CAP = 6

_WORD = re.compile(r"[^\W\d_]{3,}")
# A word of 3+ capitals, accented ones included. The class comes first (the regex engine then skips to the next
# capital); the lookbehind after it says the capital starts a word.
_CAPS = re.compile(r"[A-ZÀ-ÖØ-Þ](?<!\w[A-ZÀ-ÖØ-Þ])[A-ZÀ-ÖØ-Þ]{2,}(?!\w)")
_BURST = re.compile(r"[!?]{2,}")
_HANDLE = re.compile(r"@(\w+)")
# Requests a brand is expected to answer. Polite markers count anywhere; a bare verb only where an imperative
# stands, at the start of a clause or right after an @handle: "refund" in "no refund yet" is a noun.
_POLITE = frozenset(("svp", "stp", "please", "pls", "plz"))
_POLITE_PHRASES = ("merci de ", "s'il vous plait", "pouvez-vous", "pourriez-vous", "dm me", "can you", "could you")
_IMPERATIVE = re.compile(
    r"(?:^|[.!?,;:\n]\s*|@\w+\s+)(?:remboursez|repondez|expliquez|arretez|corrigez|reglez|contactez|rappelez|"
    r"aidez|faites|dites|donnez|fix|refund|answer|respond|explain|help|stop|give|call|sort)\b"
    r"|ez-(?:moi|nous|le|la|les|lui)\b"  # "remboursez-moi", "aidez-nous": imperative wherever it stands
)


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


def crisis_terms_signal(matches: list[CrisisMatch] | tuple[CrisisMatch, ...], label: str) -> RiskSignal:
    """Heaviest term in full, the others for half, capped; scaled by the text's polarity. Terms that only
    amplify (a count of people, a newspaper, a regulator) count for half when they are alone: a long queue
    of "200 people" is a complaint, the same with a harm, a call to share or a second amplifier is a storm."""
    found = {m.term: m for m in matches if m.weight > 0}
    ordered = sorted(found.values(), key=lambda m: (-m.weight, m.term))
    raw = sum(m.weight if i == 0 else m.weight / 2 for i, m in enumerate(ordered))
    amplifiers = {m.domain for m in ordered if m.domain in AMPLIFYING}
    # blame words and weak cues, or one kind of amplifier, are a nudge when nothing heavier is there
    alone = (ordered and ordered[0].weight < NUDGE_ONLY) or (
        amplifiers and len(amplifiers) < 2 and all(m.domain in AMPLIFYING | WEAK for m in ordered))
    points = round(min(CRISIS_TERMS_CAP, raw) * POLARITY_FACTOR.get(label, 1.0) * (AMPLIFIER_ALONE if alone else 1))
    return RiskSignal("crisis_terms", points, ", ".join(m.term for m in ordered))


def crisis_question_signal(text: str, label: str, matches: list[CrisisMatch] | tuple[CrisisMatch, ...]) -> RiskSignal:
    """A neutral question about a recall or a data leak ("are the lots I bought concerned by the recall?"): no
    complaint, but people asking means the crisis conversation has started."""
    if label != "neutral" or "?" not in text:
        return RiskSignal("crisis_question", 0, "")
    asked = sorted({m.term for m in matches if m.weight >= HEAVY and m.domain in ASKED_ABOUT})
    return RiskSignal("crisis_question", CRISIS_QUESTION_POINTS if asked else 0, ", ".join(asked))


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
    who = _addressed(text, normalized, brand_handles)
    if not who:
        return RiskSignal("direct_address", 0, "")
    tokens = tokenize(normalized) if tokens is None else tokens
    ask = "question" if "?" in text else ("imperative" if _is_request(normalized, tokens) else "")
    points = (ADDRESS_POINTS if label == "negative" else ADDRESS_POINTS_NEUTRAL) if ask else 0
    return RiskSignal("direct_address", points, f"{who} + {ask}" if ask else "")


def score_text_risk(
    *,
    text: str,
    sentiment: Sentiment,
    lexicon: CrisisLexicon,
    brand_handles: tuple[str, ...] = (),
    matches: list[CrisisMatch] | tuple[CrisisMatch, ...] | None = None,
) -> Risk:
    """The risk carried by the text alone (no audience): what a cache of reposts can share. `matches`: the
    crisis terms of the text when the caller has found them already (the sentiment engine does)."""
    label, normalized = sentiment.label, RETWEET_PREFIX.sub("", normalize_for_matching(text))
    if matches is None:
        matches = lexicon.match(normalized)
    return _risk(
        [
            negativity_signal(sentiment),
            complaint_signal(sentiment),
            crisis_terms_signal(matches, label),
            crisis_question_signal(text, label, matches),
            intensity_signal(text, label),
            direct_address_signal(text, label, brand_handles, normalized),
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
