"""French sentiment on VADER's arithmetic: Vigie's French lexicon plus the rules French needs.

What French needs that VADER's English rules do not give: negation that comes after the verb (ne … pas / plus /
jamais / rien / aucun, and "pas" alone in speech), "plus" that is a negation only after "ne" (otherwise a
comparative: "plus rapide que prévu"), "ne … que" that is no negation at all, modifiers that follow the word
("déçu grave", "merci beaucoup"), words that are modifiers or sentiment depending on what follows ("super
content" vs "c'est super"), and elisions (j', n', c', qu') that the tokenizer splits off.
"""

from __future__ import annotations

from functools import lru_cache

from alerts.lexicon import Lexicon, emoji_table, french_lexicon
from alerts.tokens import EMO, NUM, PUNCT, WORD, PhraseTable, Token, merge_phrases, phrase_table, prepare
from alerts.valence import B_INCR, N_SCALAR, Analysis, score_units

ENGINE = "vigie-fr-1"
_D = -B_INCR  # attenuation, VADER's B_DECR

# Degree modifiers before a sentiment word (VADER's booster words, in French).
INTENSIFIERS = {w: B_INCR for w in (
    "tres", "tellement", "totalement", "completement", "absolument", "extremement", "particulierement",
    "vachement", "carrement", "franchement", "archi", "ultra", "hyper", "mega", "terriblement", "incroyablement",
    "profondement", "hautement", "fort", "sacrement", "serieusement", "tout a fait", "de plus en plus", "le plus",
    "la plus", "les plus", "encore plus", "bien trop", "tres tres", "trop trop",
)}
ATTENUATORS = {w: _D for w in (
    "un peu", "un petit peu", "un tantinet", "plutot", "legerement", "moyennement", "relativement", "presque",
    "quasi", "quasiment", "a peine", "plus ou moins",
)}  # "pas très bon" is a negation of a boosted word, as VADER reads "not very good": negative
# Modifiers placed after the word they modify.
POST_MODIFIERS = {"beaucoup": B_INCR, "enormement": B_INCR, "du tout": B_INCR, "de ouf": B_INCR,
                  "a fond": B_INCR, "a mort": B_INCR, "au plus haut point": B_INCR, "comme jamais": B_INCR}
# Words that modify the next sentiment word when there is one, and otherwise are what the lexicon says
# ("super content" / "c'est super", "trop bien" / "c'est trop", "bien déçu" / "c'est bien", "si bon" / "si").
AMBIGUOUS = {"super": B_INCR, "trop": B_INCR, "si": B_INCR, "bien": B_INCR, "grave": B_INCR, "assez": _D,
             "plus": B_INCR, "vraiment": B_INCR}
NEGATORS = {"pas", "jamais", "rien", "aucun", "aucune", "sans", "ni", "nullement", "plus jamais", "jamais plus",
            "plus rien", "plus aucun", "plus aucune", "plus personne", "pas du tout", "de moins en moins"}
AFTER_NE = {"plus", "point", "personne", "guere", "nul", "nulle"}  # negations only after "ne"
SUBJECT_NEGATORS = {"personne", "rien", "aucun", "aucune", "nul", "nulle", "jamais"}  # "personne n'est aimable"
WEAK_NEGATORS = {"moins": -0.5, "peu": -0.6, "non": N_SCALAR}  # "moins cher" is a phrase; "peu fiable"
CONTRASTS = {"mais", "cependant", "pourtant", "neanmoins", "toutefois", "par contre", "en revanche", "sauf que"}
NEUTRAL_PHRASES = {"au moins", "non plus", "pas mal de", "pas que", "de plus", "en plus", "plus tard", "sans doute",
                   "n importe ou", "n importe quand", "n importe comment", "plus ou moins", "de plus en plus"}
CLAUSE_WORDS = {"et", "ou", "que", "qui", "car", "donc", "puis", "parce", "quand", "lorsque", "alors", "sinon",
                "comme", "pendant", "tandis", "alors que"}
NEGATION_WINDOW = 3
_NE = {"ne", "n"}


@lru_cache(maxsize=1)
def _phrases() -> PhraseTable:
    """Every multi-word entry, lexicon phrases and rule phrases (modifiers, negators, contrasts), by tokens."""
    rules = set(INTENSIFIERS) | set(ATTENUATORS) | set(POST_MODIFIERS) | NEGATORS | CONTRASTS | NEUTRAL_PHRASES
    return phrase_table(french_lexicon().phrases | {tuple(r.split()) for r in rules if " " in r})


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    """Every word the rules or the lexicon know: guides the repair of elongated words."""
    rule_words = set(INTENSIFIERS) | set(ATTENUATORS) | set(POST_MODIFIERS) | set(AMBIGUOUS) | NEGATORS
    return frozenset(french_lexicon().words) | frozenset(w for w in rule_words if " " not in w)


def _role_table() -> dict[str, str]:
    """One lookup per token instead of a chain of set tests; earlier groups win where a word is in several."""
    table: dict[str, str] = {}
    for role, words in (("contrast", CONTRASTS), ("clause", CLAUSE_WORDS), ("ambiguous", AMBIGUOUS),
                        ("boost", INTENSIFIERS), ("boost", ATTENUATORS), ("post", POST_MODIFIERS),
                        ("post", ("grave",)), ("neutral", NEUTRAL_PHRASES)):
        for w in words:
            table.setdefault(w, role)
    return table


_ROLES = _role_table()


def _assign_roles(units: list[Token], lex: Lexicon) -> None:
    """Valence, modifier and boundary role of each unit; right to left, so each unit sees its successor's role."""
    emojis, words = emoji_table(), lex.words
    nxt: Token | None = None
    for u in reversed(units):
        norm, kind = u.norm, u.kind
        if kind in (WORD, NUM):
            role = _ROLES.get(norm)
            if role is None:
                u.valence = words.get(norm)
            elif role == "ambiguous" and nxt is not None and nxt.kind == WORD and nxt.valence:
                u.boost = AMBIGUOUS[norm]  # "super content", "trop bien", "plus rapide"
            elif role == "contrast":
                u.contrast = u.boundary = True
            elif role == "clause" or norm == "si":
                u.boundary = True  # "si" not before a sentiment word opens a condition ("si vous voulez")
            elif role == "boost":
                u.boost = INTENSIFIERS.get(norm) or ATTENUATORS[norm]
            elif role == "post" or norm in ("vraiment", "grave"):
                u.post_boost = POST_MODIFIERS.get(norm, B_INCR)
                u.valence = words.get(norm) if norm == "grave" else None
            elif role == "ambiguous":
                u.valence = words.get(norm)  # "c'est super", "c'est bien"
        elif kind == PUNCT:
            u.boundary = True
        elif kind == EMO:
            u.valence = emojis.get(norm, (None,))[0]
        nxt = u
    _resolve_post_modifiers(units)


def _is_sentiment(u: Token) -> bool:
    return u.kind == WORD and bool(u.valence)


def _resolve_post_modifiers(units: list[Token]) -> None:
    """'grave' after a sentiment word modifies it ("ça craint grave"); elsewhere it is a word ("c'est grave")."""
    for i, u in enumerate(units):
        if u.post_boost and u.valence is not None:
            prev = units[i - 1] if i > 0 else None
            if prev is not None and _is_sentiment(prev):
                u.valence = None
            else:
                u.post_boost = 0.0


def _negator(units: list[Token], i: int, ne_at: int | None) -> tuple[str, float] | None:
    """(word, scalar) when unit i negates what follows it, given where the pending "ne" is."""
    norm = units[i].norm
    if units[i].kind != WORD:
        return None
    if norm in NEGATORS:
        return norm, N_SCALAR
    if norm in AFTER_NE and ne_at is not None:
        return f"ne … {norm}", N_SCALAR
    if norm in WEAK_NEGATORS:
        return norm, WEAK_NEGATORS[norm]
    return None


def _scope(units: list[Token], start: int, negation: tuple[str, float]) -> bool:
    """Negate up to NEGATION_WINDOW words from `start`, stopping at clause breaks; True if a word was negated."""
    hit = False
    counted = 0
    for j in range(start, len(units)):
        u = units[j]
        if u.boundary or counted >= NEGATION_WINDOW or u.norm in NEGATORS:
            break
        if u.norm in _NE:
            continue
        if u.kind == WORD:
            counted += 1
            if u.valence and not _holds_negation(u):
                u.negation = negation
                hit = True
    return hit


def _holds_negation(u: Token) -> bool:
    """A phrase that already contains its negation ("aucun problème", "pas mal") is not negated again."""
    return " " in u.norm and any(w in _NEGATOR_WORDS for w in u.norm.split())


_NEGATOR_WORDS = frozenset({"pas", "jamais", "rien", "aucun", "aucune", "sans", "ni", "plus", "non", "moins"})


def _negate_previous(units: list[Token], i: int, negation: tuple[str, float]) -> bool:
    """Negate the word just before a bare "pas" when nothing after it could be negated."""
    prev = units[i - 1] if i > 0 else None
    if prev is None or prev.kind != WORD or prev.boundary or not prev.valence or _holds_negation(prev):
        return False
    prev.negation = negation
    return True


_SPOKEN_NEGATORS = frozenset({"pas", "jamais", "plus"})


def _apply_negation(units: list[Token], rules: list[str]) -> None:
    """Mark the units each negation reaches: the verb between "ne" and "pas", and the words after the negator."""
    ne_at: int | None = None
    for i, u in enumerate(units):
        if u.boundary:
            ne_at = None
            continue
        if u.norm in _NE:
            prev = units[i - 1].norm if i > 0 else ""
            if prev in SUBJECT_NEGATORS:  # "personne n'est venu", "rien ne va"
                _scope(units, i + 1, (f"{prev} ne", N_SCALAR))
            ne_at = i
            continue
        negation = _negator(units, i, ne_at)
        if negation is None:
            continue
        u.boost = 0.0  # "ne … plus" is a negation here, not the comparative
        hit = False
        if ne_at is not None:
            hit = _scope(units[: i], ne_at + 1, negation)  # "je ne l'aime pas"
        hit = _scope(units, i + 1, negation) or hit
        if not hit and ne_at is None and u.norm in _SPOKEN_NEGATORS:
            hit = _negate_previous(units, i, negation)  # spoken French: "j'aime pas", "je recommande pas"
        if hit and u.valence:  # "plus jamais" negates what follows instead of counting on its own
            rules.append(f"negation: '{u.norm}' negates the words that follow")
            u.valence = None
        ne_at = None


def analyse(text: str) -> Analysis:
    """Score a French text: lexicon hits after modifiers and negation, plus where the contrasts are."""
    lex = french_lexicon()
    prepared = prepare(text, _known())
    units = merge_phrases(prepared.tokens, _phrases())
    _assign_roles(units, lex)
    rules: list[str] = []
    _apply_negation(units, rules)
    hits = score_units(units, prepared, rules)
    contrasts = [(u.start, u.norm) for u in units if u.contrast]
    return Analysis(ENGINE, prepared, hits, rules, contrasts, frozenset({"merci", "bonjour", "svp", "stp"}))
