"""Risk of a mention from its text, sentiment and audience: each signal with its visible contribution, and
the orderings a CM expects (a complaint is not a crisis; a boycott call from a big account is)."""

from __future__ import annotations

import json

import pytest

from alerts.risk import (
    Risk,
    RiskSignal,
    load_crisis_lexicon,
    read_terms_file,
    score_risk,
    score_text_risk,
    with_audience,
)
from alerts.sentiment import Sentiment

FR = load_crisis_lexicon("fr")
EN = load_crisis_lexicon("en")


def sentiment(compound: float, *, complaint: bool = False, signals: tuple[str, ...] = ()) -> Sentiment:
    """A sentiment as the engine returns it: the risk rules are tested apart from the engine's numbers."""
    label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
    return Sentiment(
        compound=compound,
        label=label,
        engine="test",
        words=[],
        complaint=complaint,
        complaint_signals=list(signals),
        reasons={},
    )


def contributions(risk: Risk) -> dict[str, int]:
    return {s.signal: s.contribution for s in risk.signals}


# ---------------------------------------------------------------------------------------------------------
# The crisis lexicon


REQUIRED_FR = [
    "boycott", "scandale", "arnaque", "plainte", "porter plainte", "avocat", "intoxication",
    "intoxication alimentaire", "rappel produit", "rappel", "fuite de données", "piratage", "piraté", "grève",
    "danger", "dangereux", "mensonge", "menteurs", "bad buzz", "escroquerie", "escrocs", "voleurs", "honte",
    "discrimination", "raciste", "harcèlement", "blessé", "mort", "justice", "tribunal",
    "60 millions de consommateurs", "UFC-Que Choisir", "DGCCRF", "signalconso", "class action", "partagez",
    "faites tourner",
]  # fmt: skip
REQUIRED_EN = [
    "boycott", "scam", "scammers", "lawsuit", "sue", "recall", "breach", "data breach", "hacked", "outage",
    "food poisoning", "fraud", "fraudulent", "lawyer", "class action", "unsafe", "injured", "discrimination",
    "racist", "harassment", "lies", "liars", "stolen", "theft", "BBB", "FTC", "go viral", "spread the word", "RT",
]  # fmt: skip


@pytest.mark.parametrize("term", REQUIRED_FR)
def test_the_french_file_has_every_required_term(term: str) -> None:
    assert term in FR.terms
    assert FR.find(f"Franchement, {term}.") == {term: FR.terms[term]}


@pytest.mark.parametrize("term", REQUIRED_EN)
def test_the_english_file_has_every_required_term(term: str) -> None:
    assert term in EN.terms
    assert EN.find(f"Honestly, {term}.") == {term: EN.terms[term]}


def test_the_files_are_versioned_and_weighted() -> None:
    assert FR.version == 2 and EN.version == 2
    assert FR.terms["arnaque"] > FR.terms["partagez"]


def test_a_terms_file_without_a_version_header_is_refused(tmp_path) -> None:
    path = tmp_path / "crisis_terms_xx.txt"
    path.write_text("boycott\t35\n", encoding="utf-8")
    with pytest.raises(ValueError, match="version"):
        read_terms_file(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Encore des SCANDALES chez eux", {"scandale"}),
        ("Que des arnaques, ces escrocs", {"arnaque", "escrocs"}),
        ("Deux fuites de données en un an", {"fuite de données"}),
        ("fuite de donnees chez mon operateur, greve demain", {"fuite de données", "grève"}),
        ("Le produit est DANGEREUX", {"dangereux"}),
        ("Ils sont tous menteurs, des voleurs", {"menteurs", "voleurs"}),
        ("L’arnaque du siècle", {"arnaque"}),
        ("Quelle honte #BoycottSNCF", {"honte", "boycott"}),
        ("#arnaques en série", {"arnaque"}),
    ],
)
def test_french_terms_match_without_case_accents_or_plural(text: str, expected: set[str]) -> None:
    assert set(FR.find(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("More SCAMS from this company", {"scam"}),
        ("Two data breaches this year, class-action lawsuits coming", {"data breach", "class action", "lawsuit"}),
        ("Food poisoning after lunch there", {"food poisoning"}),
        ("RT if you got hacked too", {"RT", "hacked"}),
    ],
)
def test_english_terms_match_whole_words_and_plurals(text: str, expected: set[str]) -> None:
    assert set(EN.find(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Le rappel de mon rendez-vous est arrivé : il me rappelle demain",  # "rappel" once, not "rappelle"
        "Un film mortel, des scampis délicieux",
        "J'écoute RTL dans le TGV",
        "Lie-flat bed and lovely crew",
    ],
)
def test_only_whole_words_match(text: str) -> None:
    found = set(FR.find(text)) | set(EN.find(text))
    assert found <= {"rappel"}


def test_the_longest_phrase_wins_over_its_parts() -> None:
    assert FR.find("Je vais porter plainte") == {"porter plainte": FR.terms["porter plainte"]}
    assert set(FR.find("Intoxication alimentaire à la cantine")) == {"intoxication alimentaire"}


def test_ignored_terms_leave_a_brand_named_like_a_term_alone() -> None:
    lexicon = load_crisis_lexicon("fr", ignored_terms=("Scandale",))
    assert lexicon.find("Nouvelle collection Scandale : superbe !") == {}
    assert set(lexicon.find("Scandale vend des produits dangereux, arnaque")) == {"dangereux", "arnaque"}


def test_extra_terms_are_added_with_the_default_weight() -> None:
    lexicon = load_crisis_lexicon("fr", extra_terms=("panne de courant", "blackout"))
    assert lexicon.find("Panne de courant géante, blackout total") == {"panne de courant": 20, "blackout": 20}
    assert "panne de courant" not in FR.terms  # the shared lexicon is untouched


def test_lexicons_are_cached() -> None:
    assert load_crisis_lexicon("fr") is FR
    assert load_crisis_lexicon("fr", ignored_terms=("rappel",)) is load_crisis_lexicon("fr", ignored_terms=("rappel",))


def test_a_language_without_a_file_gets_every_term() -> None:
    lexicon = load_crisis_lexicon("es")
    assert lexicon.lang == "any"
    assert set(lexicon.find("Boicot? No: boycott, scam y arnaque")) == {"boycott", "scam", "arnaque"}


# ---------------------------------------------------------------------------------------------------------
# Each signal and its contribution


@pytest.mark.parametrize(("compound", "points"), [(0.4, 0), (0.0, 0), (-0.05, 8), (-0.4, 19), (-0.75, 30), (-1, 30)])
def test_negativity_grows_with_the_compound(compound: float, points: int) -> None:
    risk = score_text_risk(text="Le colis est arrivé", sentiment=sentiment(compound), lexicon=FR)
    assert contributions(risk).get("negativity", 0) == points


def test_a_complaint_adds_ten_points_with_its_signals() -> None:
    s = sentiment(-0.4, complaint=True, signals=("remboursement", "annulé"))
    risk = score_text_risk(text="Train annulé, j'attends mon remboursement", sentiment=s, lexicon=FR)
    assert RiskSignal("complaint", 10, "remboursement, annulé") in risk.signals


def test_crisis_terms_count_the_heaviest_in_full_and_the_others_for_half() -> None:
    risk = score_text_risk(text="Arnaque ! Partagez", sentiment=sentiment(-0.6), lexicon=FR)
    assert RiskSignal("crisis_terms", 40 + 20 // 2, "arnaque, partagez") in risk.signals


def test_crisis_terms_are_capped() -> None:
    text = "Arnaque, escroquerie, scandale, boycott, fuite de données, plainte, avocat, tribunal"
    risk = score_text_risk(text=text, sentiment=sentiment(-0.9), lexicon=FR)
    assert contributions(risk)["crisis_terms"] == 55


def test_crisis_terms_in_a_positive_text_contribute_little() -> None:
    risk = score_text_risk(text="Pas d'arnaque, super service, merci", sentiment=sentiment(0.8), lexicon=FR)
    assert contributions(risk)["crisis_terms"] <= 10
    assert risk.score < 20


def test_crisis_terms_in_neutral_news_still_count() -> None:
    text = "Rappel produit : des lots de camembert retirés pour risque de listeria"
    risk = score_text_risk(text=text, sentiment=sentiment(0.0), lexicon=FR)
    assert contributions(risk)["crisis_terms"] >= 30


def test_shouting_and_bursts_add_intensity_in_a_negative_text() -> None:
    text = "C'EST UNE HONTE TOTALE !!! Vous vous moquez de nous ?!"
    risk = score_text_risk(text=text, sentiment=sentiment(-0.7), lexicon=FR)
    assert RiskSignal("intensity", 6, "4/8 words in capitals, 2 '!!'/'?!'") in risk.signals  # 5 + 2 x 2, capped


def test_enthusiasm_is_not_intensity() -> None:
    risk = score_text_risk(text="SUPER SÉJOUR, MERCI BEAUCOUP !!!", sentiment=sentiment(0.9), lexicon=FR)
    assert "intensity" not in contributions(risk)


def test_one_acronym_is_not_shouting() -> None:
    risk = score_text_risk(text="La SNCF a encore annulé mon train", sentiment=sentiment(-0.4), lexicon=FR)
    assert "intensity" not in contributions(risk)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("@SNCF pourquoi mon train est-il encore annulé ?", "@sncf + question"),
        ("@SNCF_Voyageurs remboursez-moi mon billet, train supprimé", "@sncf_voyageurs + imperative"),
        ("Ouigo, merci de répondre à mes messages, ça fait une semaine", "ouigo + imperative"),
        ("Air France can you please answer my emails, lost bag for 10 days", "air france + imperative"),
    ],
)
def test_a_negative_request_to_the_brand_is_a_direct_address(text: str, detail: str) -> None:
    s = sentiment(-0.5)
    risk = score_text_risk(text=text, sentiment=s, lexicon=FR, brand_handles=("sncf", "ouigo", "Air France"))
    assert RiskSignal("direct_address", 5, detail) in risk.signals


def test_naming_the_brand_without_asking_anything_is_not_a_direct_address() -> None:
    risk = score_text_risk(
        text="La SNCF a encore annulé mon train", sentiment=sentiment(-0.5), lexicon=FR, brand_handles=("sncf",)
    )
    assert "direct_address" not in contributions(risk)


def test_a_neutral_question_to_the_brand_counts_a_little_and_without_handles_not_at_all() -> None:
    text = "@Orange je pars au Canada, quelle option pour avoir internet là-bas ?"
    with_handles = score_text_risk(text=text, sentiment=sentiment(0.0), lexicon=FR, brand_handles=("orange",))
    without = score_text_risk(text=text, sentiment=sentiment(0.0), lexicon=FR)
    assert contributions(with_handles) == {"direct_address": 3}
    assert without.score == 0


@pytest.mark.parametrize(("followers", "points"), [(500, 0), (1_000, 5), (10_000, 12), (100_000, 19), (1_000_000, 26)])
def test_author_reach_counts_on_a_log_scale(followers: int, points: int) -> None:
    base = Risk(40, [RiskSignal("negativity", 40, "")])
    assert contributions(with_audience(base, author_reach=followers)).get("author_reach", 0) == points


def test_engagement_counts_on_a_log_scale() -> None:
    base = Risk(40, [RiskSignal("negativity", 40, "")])
    small = contributions(with_audience(base, engagement={"likes": 80, "shares": 5, "comments": 2}))
    big = contributions(with_audience(base, engagement={"likes": 40_000, "shares": 15_000, "views": 3_000_000}))
    assert small["engagement"] == 5
    assert big["engagement"] == 20
    signal = next(s for s in with_audience(base, engagement={"likes": 80, "shares": 5}).signals)
    assert signal.signal == "negativity"


def test_audience_amplifies_what_the_text_says_and_nothing_else() -> None:
    positive = score_risk(
        text="Super séjour, merci !", sentiment=sentiment(0.8), lexicon=FR, author_reach=2_000_000,
        engagement={"likes": 50_000, "shares": 9_000},
    )  # fmt: skip
    assert positive.score == 0
    half = with_audience(Risk(20, [RiskSignal("negativity", 20, "")]), author_reach=1_000_000)
    assert contributions(half)["author_reach"] == 13  # 26 points x 20/40


def test_the_signals_sum_to_the_score_and_it_is_clamped() -> None:
    s = sentiment(-0.9, complaint=True, signals=("remboursez",))
    text = "ARNAQUE TOTALE !!! @Free escrocs, fuite de données, je porte plainte, remboursez-moi. #BoycottFree RT"
    risk = score_risk(
        text=text, sentiment=s, lexicon=FR, brand_handles=("free",), author_reach=500_000,
        engagement={"likes": 20_000, "shares": 6_000},
    )  # fmt: skip
    assert sum(s.contribution for s in risk.signals) > 100
    assert risk.score == 100
    assert all(s.contribution > 0 for s in risk.signals)


def test_as_dict_is_json_ready() -> None:
    risk = score_risk(text="Arnaque !", sentiment=sentiment(-0.6), lexicon=FR, author_reach=12_000)
    data = json.loads(json.dumps(risk.as_dict()))
    assert data["score"] == risk.score
    assert data["signals"][0] == {"signal": "negativity", "contribution": 25, "detail": "compound -0.60"}
    assert {s["signal"] for s in data["signals"]} == {"negativity", "crisis_terms", "author_reach"}


# ---------------------------------------------------------------------------------------------------------
# The orderings a CM expects


def test_a_neutral_or_positive_mention_without_crisis_terms_stays_low() -> None:
    cases = [
        ("Bonjour @Orange, quelle option pour avoir internet au Canada ?", sentiment(0.0)),
        ("Merci @transavia pour le surclassement surprise, ça fait plaisir", sentiment(0.8)),
        ("Grève ? Non : le TGV Paris-Lyon circule normalement ce matin.", sentiment(0.1)),
    ]
    for text, s in cases:
        assert score_risk(text=text, sentiment=s, lexicon=FR, brand_handles=("orange", "transavia")).score < 20


def test_an_ordinary_complaint_is_moderate() -> None:
    s = sentiment(-0.6, complaint=True, signals=("colis", "jamais reçu"))
    risk = score_risk(text="Colis jamais reçu, service client injoignable. Nul.", sentiment=s, lexicon=FR)
    assert 30 <= risk.score <= 45


def test_crisis_vocabulary_in_a_negative_text_is_high() -> None:
    text = "Free c'est une arnaque, ils facturent des options jamais demandées"
    risk = score_risk(text=text, sentiment=sentiment(-0.6), lexicon=FR)
    assert risk.score >= 60


def test_crisis_vocabulary_from_a_big_account_is_very_high() -> None:
    s = sentiment(-0.6)
    text = "Data breach at T-Mobile: my account number is out there. Spread the word."
    risk = score_risk(text=text, sentiment=s, lexicon=EN, author_reach=250_000)
    assert risk.score >= 80


@pytest.mark.parametrize("lexicon", [FR, EN], ids=["fr", "en"])
def test_every_term_of_the_files_is_reachable(lexicon) -> None:
    # Two spellings of one term ("arnaque"/"arnaqué", "escroc"/"escrocs") would shadow each other.
    shadowed = [term for term in lexicon.terms if term not in lexicon.find(f"... {term} ...")]
    assert shadowed == []


def test_a_repost_marker_is_not_a_call_to_share() -> None:
    s = sentiment(-0.5)
    repost = score_text_risk(text="RT @julie: train annulé, aucune info", sentiment=s, lexicon=FR)
    call = score_text_risk(text="Train annulé, aucune info, on nous abandonne. RT", sentiment=s, lexicon=FR)
    assert "crisis_terms" not in contributions(repost)
    assert contributions(call)["crisis_terms"] == 20


@pytest.mark.parametrize(
    "text",
    [
        "no refund yet for the Amtrak trip that got cancelled on March 3rd",  # "refund" is a noun here
        "Amazing how T-Mobile needs 6 weeks to fix my bill",
        "Orange, vous m'avez vendu la fibre et 2 mois après toujours rien",
    ],
)
def test_a_verb_inside_a_sentence_is_not_an_imperative(text: str) -> None:
    s = sentiment(-0.5)
    risk = score_text_risk(text=text, sentiment=s, lexicon=EN, brand_handles=("amtrak", "t-mobile", "orange"))
    assert "direct_address" not in contributions(risk)


def test_the_angriest_complaint_without_crisis_words_peaks_at_51() -> None:
    s = sentiment(-0.95, complaint=True, signals=("remboursement",))
    text = "@SNCF REMBOURSEZ MON BILLET TOUT DE SUITE !!! Trois semaines d'attente ?!"
    risk = score_text_risk(text=text, sentiment=s, lexicon=FR, brand_handles=("sncf",))
    assert set(contributions(risk)) == {"negativity", "complaint", "intensity", "direct_address"}
    assert risk.score == 30 + 10 + 6 + 5


def test_a_workspace_term_never_lowers_a_built_in_weight_and_hashtags_are_terms() -> None:
    from alerts.risk import load_crisis_lexicon

    plain = load_crisis_lexicon("fr")
    extended = load_crisis_lexicon("fr", extra_terms=("listeria", "#PanneOrange"))
    assert extended.terms["listeria"] == plain.terms["listeria"]
    assert "#PanneOrange" in extended.terms
