"""Language of a mention, made for short texts (tweets, reviews, titles).

URLs, @handles and hashtags are removed first (they are names, not language: "#SNCF @Ouigo" says nothing).
A text that uses three or more French-only (or English-only) function words ("vous", "avec", "c'est";
"the", "your", "didn't") is settled without a classifier. Otherwise py3langid classifies it over the
workspace's languages plus a fixed set of common others. The workspace's languages come first: another
language wins only with clear evidence (enough letters and a high probability), because on a short text
"Merci !" or "lol" py3langid's best guess among seven languages is close to a coin toss, and calling a
French complaint Italian would score it with the wrong lexicon. A text clearly in another language ("El
servicio fue terrible") returns that language, so the caller can treat it as "other" for the workspace.

The declared language (a feed's `<language>`, an API field) is used as is when it is reliable, and as the
answer when detection is uncertain (too few letters, low probability). None means too few letters and
nothing declared.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

DEFAULT_LANGUAGES = ("fr", "en")
# Languages always in the classifier, so that a text in one of them is recognised as "other" rather than
# forced into the closest workspace language (Spanish into French, Dutch into English).
COMMON_LANGUAGES = ("fr", "en", "es", "de", "it", "pt", "nl")

MIN_LETTERS = 3  # fewer letters than this: nothing to detect ("ok", "👍", "?!")
# Detection is trusted over a declared language only from this many letters and this probability. The
# probability is py3langid's normalised one, which is damped on short inputs (scores / sqrt(bytes)).
CONFIDENT_LETTERS = 12
MIN_CONFIDENCE = 0.70
# A language outside the workspace needs more: it is the costly mistake (the mention is set aside).
OTHER_MIN_LETTERS = 15
OTHER_MIN_CONFIDENCE = 0.90
# Only the beginning of a long text is read: it is enough to tell, and keeps the cost bounded.
MAX_CHARS = 400

# Words only French (or only English) uses all the time among the common languages: "je" and "of" are Dutch
# too, "was" and "so" German, "mais" Portuguese, "ne" and "ai" Italian, "me" Spanish, so they are left out.
# Three distinct ones and none of the other set settle a text without the classifier: ~4 µs instead of ~40,
# and py3langid's large tables stay out of the CPU caches the sentiment engine needs next (in the full
# scorer, that interference cost as much as the detection itself).
FUNCTION_WORDS = {
    "fr": frozenset(("vous", "est", "les", "une", "avec", "dans", "nous", "c'est", "j'ai", "ça", "très", "sont",
                     "mon", "votre", "aux", "pour", "n'est", "d'un", "d'une", "qu'on", "été", "leur", "depuis",
                     "au", "avez", "suis", "fait", "était", "être", "sans", "chez", "rien", "toujours", "encore",
                     "merci", "bonjour", "cette", "ces", "ils", "elle", "aussi", "sur", "jamais", "déjà", "où",
                     "qu'il", "l'on", "j'attends", "s'il", "n'ai", "m'a")),
    "en": frozenset(("the", "and", "you", "your", "with", "this", "that", "they", "their", "are", "have", "it's",
                     "i'm", "been", "what", "why", "from", "just", "my", "our", "can't", "don't", "didn't",
                     "to", "it", "for", "not", "but", "all", "get", "got", "still", "after", "we", "at", "be", "has",
                     "if", "out", "about", "there", "would", "any", "never", "ever", "again", "thanks", "please",
                     "hours", "days", "i've", "won't", "isn't", "than"))
}  # fmt: skip
MIN_FUNCTION_WORDS = 3
_FUNCTION_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.\-]+|&\w+;", re.UNICODE)


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """A language code (or None) and how it was chosen, for the score's reasons."""

    lang: str | None
    # "declared" (reliable), "detected" (confident), "function_words" (clear without the classifier),
    # "declared_fallback" (uncertain: the declaration wins), "workspace_fallback" (uncertain: the likeliest
    # workspace language), "too_short" (None), "given" (by the caller)
    method: str
    confidence: float | None = None
    letters: int = 0  # counted up to OTHER_MIN_LETTERS

    def as_dict(self) -> dict:
        """JSON-ready reasons."""
        conf = None if self.confidence is None else round(self.confidence, 3)
        return {"lang": self.lang, "method": self.method, "confidence": conf, "letters": self.letters}


_LOADING = threading.Lock()


def _identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    # lru_cache alone lets every thread that misses load its own copy of the model (~70 MB each): the eight
    # fetch threads of a collector that start ingesting at once on PostgreSQL took the process from ~230 MB to
    # ~590 MB. The lock makes them wait for the one load; an uncontended acquire costs far less than a guess.
    with _LOADING:
        return _load_identifier(languages)


@lru_cache(maxsize=16)
def _load_identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    # One identifier per language set, loaded once: loading the model takes ~0.3 s.
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    known = set(ident.labels)  # a workspace may list a code the model lacks: it can only be declared
    ident.set_languages([lang for lang in languages if lang in known])
    return ident


def normalize_declared(declared: str | None) -> str | None:
    """'fr-FR', 'en_US', 'FR' → 'fr', 'en', 'fr'; '' or None → None."""
    if not declared:
        return None
    code = declared.strip().lower()[:2]
    return code if len(code) == 2 and code.isalpha() else None


def strip_noise(text: str) -> str:
    """The text without URLs, @handles, #hashtags and HTML entities, which are names rather than language."""
    return _NOISE.sub(" ", text[:MAX_CHARS])


def count_letters(text: str, enough: int = OTHER_MIN_LETTERS) -> int:
    """Letters in `text`, counted up to `enough`: the rules need no more, and long texts stop early."""
    n = 0
    for ch in text:
        if ch.isalpha():
            n += 1
            if n >= enough:
                break
    return n


def by_function_words(clean: str, workspace: tuple[str, ...]) -> str | None:
    """The one workspace language whose function words the text uses (3+ of them, none of the other's)."""
    words = set(_FUNCTION_TOKEN.findall(clean.lower().replace("’", "'")))
    hits = {lang: len(words & FUNCTION_WORDS[lang]) for lang in FUNCTION_WORDS}
    for lang in workspace:
        if lang in hits and hits[lang] >= MIN_FUNCTION_WORDS and sum(hits.values()) == hits[lang]:
            return lang
    return None


def guess_language(
    text: str,
    *,
    declared: str | None = None,
    declared_reliable: bool = False,
    languages: tuple[str, ...] = DEFAULT_LANGUAGES,
) -> LanguageGuess:
    """The language of `text` with the rule that chose it (see the module docstring)."""
    declared = normalize_declared(declared)
    if declared and declared_reliable:
        return LanguageGuess(declared, "declared")
    clean = strip_noise(text)
    letters = count_letters(clean)
    if letters < MIN_LETTERS:
        return LanguageGuess(declared, "declared_fallback" if declared else "too_short", letters=letters)
    workspace = tuple(dict.fromkeys(languages))
    if letters >= OTHER_MIN_LETTERS and (quick := by_function_words(clean, workspace)):
        return LanguageGuess(quick, "function_words", None, letters)
    ranking = _identifier(tuple(sorted(set(workspace + COMMON_LANGUAGES)))).rank(clean)
    best, prob = ranking[0]
    confident = letters >= CONFIDENT_LETTERS and prob >= MIN_CONFIDENCE
    if declared and not confident:
        return LanguageGuess(declared, "declared_fallback", prob, letters)
    if best in workspace:
        return LanguageGuess(best, "detected" if confident else "workspace_fallback", prob, letters)
    if letters >= OTHER_MIN_LETTERS and prob >= OTHER_MIN_CONFIDENCE:
        return LanguageGuess(best, "detected", prob, letters)
    # Not clearly another language: the likeliest of the workspace's languages.
    lang, prob = next((lang, p) for lang, p in ranking if lang in workspace)
    return LanguageGuess(lang, "workspace_fallback", prob, letters)


def detect_language(
    text: str,
    *,
    declared: str | None = None,
    declared_reliable: bool = False,
    languages: tuple[str, ...] = DEFAULT_LANGUAGES,
) -> str | None:
    """Two-letter language code of `text`, or None when there are too few letters and nothing declared."""
    return guess_language(text, declared=declared, declared_reliable=declared_reliable, languages=languages).lang
