"""English sentiment: VADER's lexicon, booster words, negations and rules, on the shared arithmetic.

This is VADER (its lexicon file, its NEGATE and BOOSTER_DICT lists, its constants), re-expressed over units so
that every rule that fires is recorded for the explanation. Deliberate differences from vaderSentiment 3.3.2:
negation and boosters stop at punctuation ("Not bad. Great!" does not negate "great"); multi-word lexicon
entries ("fed up") are matched; emojis use Vigie's valence table instead of English descriptions; elongations
("sooo gooood") are repaired; "however" contrasts like "but"; and alerts/data/lexicon_en.tsv adds complaint
and business-news vocabulary.
"""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE

from alerts.lexicon import Lexicon, emoji_table, english_lexicon
from alerts.tokens import EMO, NUM, PUNCT, WORD, PhraseTable, Token, merge_phrases, phrase_table, prepare
from alerts.valence import N_SCALAR, Analysis, score_units

ENGINE = "vader-en+complaints-1"
NEGATORS = frozenset(NEGATE) | {"no", "never again"}
CONTRASTS = {"but", "however"}
NEUTRAL_PHRASES = {("at", "least"), ("very", "least"), ("not", "only"), ("no", "matter"), ("not", "sure")}
NEVER_SO = 1.25  # VADER: "never so good" / "never been this good" is emphasis, not negation
NEGATION_WINDOW = 3  # VADER looks three words back for a negation
_NEGATION_WORDS = frozenset({"no", "not", "never", "without", "none", "nothing", "nobody"})


@lru_cache(maxsize=1)
def _rule_phrases() -> dict[str, float]:
    """Multi-word rule entries by their text: VADER's two-word boosters ("kind of") and neutral phrases."""
    table = {phrase: scalar for phrase, scalar in BOOSTER_DICT.items() if " " in phrase}
    table.update({" ".join(k): 0.0 for k in NEUTRAL_PHRASES})
    return table


@lru_cache(maxsize=1)
def _phrases() -> PhraseTable:
    """Lexicon phrases and rule phrases, by tokens."""
    return phrase_table(english_lexicon().phrases | {tuple(p.split()) for p in _rule_phrases()})


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(english_lexicon().words) | frozenset(BOOSTER_DICT) | NEGATORS


def _assign_roles(units: list[Token], lex: Lexicon) -> None:
    """Valence, booster and boundary role of each unit, as VADER's lexicon and booster list say."""
    emojis = emoji_table()
    rules = _rule_phrases()
    for u in units:
        if u.norm in rules:
            u.boost = rules[u.norm]  # 0.0 for neutral phrases such as "at least"
        elif u.kind == PUNCT:
            u.boundary = True
        elif u.kind == EMO:
            u.valence = emojis.get(u.norm, (None,))[0]
        elif u.norm in CONTRASTS:
            u.contrast = u.boundary = True
        elif u.norm in BOOSTER_DICT:
            u.boost = BOOSTER_DICT[u.norm]  # VADER: a booster word is never scored itself
        elif u.kind in (WORD, NUM):
            u.valence = lex.words.get(u.norm)


def _is_negator(u: Token) -> bool:
    return u.kind == WORD and (u.norm in NEGATORS or u.norm.endswith("n't"))


def _apply_negation(units: list[Token], rules: list[str]) -> None:
    """VADER's negation: a negator flips the sentiment words among the next three words (not past punctuation).
    "no" and "never again" count as sentiment only when they negate nothing ("No.", "Never again!")."""
    for i, u in enumerate(units):
        if not _is_negator(u):
            continue
        hit, counted = False, 0
        for j in range(i + 1, len(units)):
            w = units[j]
            # like VADER, a negation reaches across commas ("not smart, handsome, nor funny"), not sentences
            if (w.boundary and w.norm.strip(",")) or counted >= NEGATION_WINDOW or _is_negator(w):
                break
            if w.kind == WORD:
                counted += 1
                if w.valence and not (" " in w.norm and _NEGATION_WORDS & set(w.norm.split())):
                    emphasis = u.norm == "never" and units[j - 1].norm in ("so", "this")
                    w.negation = ("never so", NEVER_SO) if emphasis else (u.norm, N_SCALAR)
                    hit = True
        if hit and u.valence:
            u.valence = None
            rules.append(f"negation: '{u.norm}' negates the words that follow")


def _apply_least(units: list[Token]) -> None:
    """VADER: "least" before a word negates it ("the least helpful"), "at least" does not (merged as neutral)."""
    for i, u in enumerate(units[:-1]):
        nxt = units[i + 1]
        if u.norm == "least" and nxt.valence and nxt.negation is None:
            nxt.negation = ("least", N_SCALAR)


def analyse(text: str) -> Analysis:
    """Score an English text with VADER's rules; complaints are added by the caller."""
    lex = english_lexicon()
    prepared = prepare(text, _known(), english=True)
    units = merge_phrases(prepared.tokens, _phrases())
    _assign_roles(units, lex)
    rules: list[str] = []
    _apply_negation(units, rules)
    _apply_least(units)
    hits = score_units(units, prepared, rules)
    contrasts = [(u.start, u.norm) for u in units if u.contrast]
    return Analysis(ENGINE, prepared, hits, rules, contrasts, frozenset({"thanks", "thank you", "thx", "please"}))
