"""The crisis vocabulary: domains, wildcards, phrases anchored on their rarest word, structural cues, and what
the rest of the scorer does with them (harms are negative for the brand, amplifiers only raise the risk)."""

from __future__ import annotations

import pytest

from alerts.crisis import (
    AMPLIFIERS,
    CrisisMatch,
    compile_lexicon,
    load_crisis_lexicon,
    normalize_for_matching,
    parse_terms_file,
    tokenize,
)
from alerts.risk import score_text_risk
from alerts.scoring import Scorer, ScoringContext
from alerts.sentiment import Sentiment, score_sentiment

FR = load_crisis_lexicon("fr")
EN = load_crisis_lexicon("en")


def matches(lexicon, text: str) -> dict[str, tuple[int, str]]:
    return {m.term: (m.weight, m.domain) for m in lexicon.match(normalize_for_matching(text))}


def neutral() -> Sentiment:
    return Sentiment(compound=0.0, label="neutral", engine="test")


def negative(compound: float = -0.4) -> Sentiment:
    return Sentiment(compound=compound, label="negative", engine="test")


# ---------------------------------------------------------------------------------------------------------
# The files


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_term_has_a_domain_and_the_domains_are_few(lang: str) -> None:
    from alerts.crisis import DATA_DIR

    version, terms, domains = parse_terms_file(DATA_DIR / f"crisis_terms_{lang}.txt")
    assert version >= 2 and set(terms) == set(domains)
    harms = {"fraud", "scandal", "boycott", "warning", "legal", "health", "violence", "ethics", "labour", "data",
             "outage"}  # fmt: skip
    assert set(domains.values()) <= harms | AMPLIFIERS
    assert {"health", "legal", "data", "labour", "ethics", "media", "scale", "share", "authority"} <= set(
        domains.values()
    )


def test_a_wildcard_needs_four_letters() -> None:
    with pytest.raises(ValueError, match="4 letters"):
        compile_lexicon("xx", 1, {"hos*": 40})


# ---------------------------------------------------------------------------------------------------------
# Matching


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Ma fille a été hospitalisée", "hospitalis*"),
        ("3 hospitalisations après le repas", "hospitalis*"),
        ("HOSPITALISÉ depuis hier", "hospitalis*"),
        ("Mon fils s'est fracturé le bras", "fractur*"),
        ("Du racisme ordinaire à l'accueil", "racis*"),
    ],
)
def test_a_trailing_star_matches_every_ending_without_accents(text: str, term: str) -> None:
    assert term in matches(FR, text)


def test_the_most_specific_prefix_wins() -> None:
    assert "blessure*" in matches(FR, "Deux blessures graves")
    assert "bless*" not in matches(FR, "Deux blessures graves")


def test_a_phrase_is_found_from_its_rarest_word_even_after_common_words() -> None:
    assert matches(FR, "Relayé par Le Parisien ce matin") == {"relayé*": (20, "media"), "Le Parisien": (20, "media")}
    assert "le parisien" not in matches(FR, "Le train pour Paris")
    assert matches(EN, "Saw it in the news tonight") == {"the news": (20, "media")}


def test_a_phrase_that_means_something_else_masks_its_crisis_word() -> None:
    found = matches(FR, "J'ai bien eu l'accusé de réception")
    assert found == {"accusé de réception": (0, "neutral")}


def test_find_and_find_tokens_agree() -> None:
    text = "Intoxication alimentaire à la cantine, des dizaines de malades, #BoycottCantine"
    assert FR.find(text) == FR.find_tokens(tokenize(normalize_for_matching(text)))
    assert FR.find(text) == FR.find(text)  # the memo of seen words changes nothing


@pytest.mark.parametrize(
    ("lexicon", "text", "cue"),
    [
        (FR, "Plus de 50 000 partages en une nuit", "50 000 partages"),
        (FR, "déjà 80 000 signatures", "80 000 signatures"),
        (EN, "The clip has 2.1M views", "2.1m views"),
        (EN, "a Facebook group with 600 people in the same boat", "600 people"),
        (EN, "Thread 🧵 on what the app collects", "🧵"),
    ],
)
def test_counts_of_people_or_views_and_threads_are_structural_cues(lexicon, text: str, cue: str) -> None:
    assert cue in matches(lexicon, text)


@pytest.mark.parametrize("text", ["Vol de 7h20, 3 personnes devant moi", "2 likes sur mon post", "Version 1.400 users"])
def test_small_counts_are_not_a_crowd(text: str) -> None:
    assert not [m for m in FR.match(normalize_for_matching(text)) if m.domain == "scale"]


def test_a_cue_that_spans_a_lighter_term_replaces_it() -> None:
    found = matches(EN, "Does the recall cover the vanilla units too?")
    assert list(found.values()) == [(40, "health")]  # not also "recall" (25) on its own


@pytest.mark.parametrize(
    ("lexicon", "text"),
    [
        (EN, "The airline refused to let my dad board with his wheelchair"),
        (EN, "They lost my mother's wheelchair and returned it broken"),
        (FR, "On a refusé l'embarquement à mon frère en fauteuil roulant"),
    ],
)
def test_a_refusal_or_damage_next_to_a_disability_is_discrimination(lexicon, text: str) -> None:
    assert ("ethics" in {d for _, d in matches(lexicon, text).values()})


def test_a_workspace_term_that_looks_like_a_regex_is_a_plain_word() -> None:
    lexicon = load_crisis_lexicon("fr", extra_terms=("re:.*",))
    assert lexicon.find("tout et n'importe quoi") == {}


def test_the_repost_marker_is_skipped() -> None:
    assert "RT" not in matches(FR, "RT @julie: les gens partagent")


# ---------------------------------------------------------------------------------------------------------
# What the scorer does with them


def test_harms_are_negative_for_the_brand_even_without_an_opinion_word() -> None:
    burn = score_sentiment("Brûlure au 2e degré sur la main avec la bouilloire, certificat médical conservé.", "fr")
    assert burn.label == "negative" and burn.reasons["harms"]
    legion = score_sentiment("Three guests diagnosed with Legionnaires' after staying at the same rental.", "en")
    assert legion.label == "negative"


def test_a_harm_asked_about_or_denied_is_not_negative() -> None:
    asked = score_sentiment("Les pizzas achetées en janvier sont-elles concernées par le rappel ?", "fr")
    assert asked.label == "neutral" and not asked.reasons["harms"]
    denied = score_sentiment("Incident en gare, aucun blessé.", "fr")
    assert not denied.reasons["harms"]


def test_amplifiers_raise_the_risk_but_not_the_negativity() -> None:
    s = score_sentiment("Une vidéo virale relayée par BFM, des milliers de partages", "fr")
    assert not s.reasons["harms"] and s.label != "negative"


def test_one_amplifier_alone_counts_for_half_and_two_count_in_full() -> None:
    one = score_text_risk(text="File de 200 personnes au guichet", sentiment=negative(), lexicon=FR)
    text = "File de 200 personnes au guichet, on en parle sur BFM"
    two = score_text_risk(text=text, sentiment=negative(), lexicon=FR)
    terms = lambda r: next(s.contribution for s in r.signals if s.signal == "crisis_terms")  # noqa: E731
    assert terms(one) == 10 and terms(two) == 30


def test_a_neutral_question_about_a_recall_or_a_leak_is_a_crisis_conversation() -> None:
    scorer = Scorer(ScoringContext(brand_handles=("lactalis",)))
    score = scorer.score("Les lots de lait infantile rappelés par Lactalis concernent aussi la pharmacie ?", lang="fr")
    assert score.sentiment_label == "neutral" and score.crisis
    assert "crisis_question" in {s["signal"] for s in score.reasons["risk"]["signals"]}
    strike = scorer.score("La grève de jeudi concerne aussi les TER ?", lang="fr")
    assert not strike.crisis  # a strike timetable question is not one


def test_the_scorer_matches_once_and_risk_agrees_with_a_fresh_match() -> None:
    text = "Intoxication alimentaire après le buffet, trois hospitalisés. Partagez."
    s = score_sentiment(text, "fr")
    given = score_text_risk(text=text, sentiment=s, lexicon=FR, matches=s.crisis)
    fresh = score_text_risk(text=text, sentiment=s, lexicon=FR)
    assert given == fresh and given.score >= 60


def test_a_match_knows_whether_it_names_a_harm() -> None:
    assert CrisisMatch("brûlure", 40, "health").harm and not CrisisMatch("BFM", 20, "media").harm
