"""The one scoring entry point: language, sentiment and risk of a mention with the reasons a CM reads, a
repost storm scored once, and articles that cost no more than their first paragraph."""

from __future__ import annotations

import json

import pytest

import alerts.scoring as scoring
from alerts.scoring import CRISIS_THRESHOLD, MAX_CHARS, MentionScore, Scorer, ScoringContext, cap_length, join_title

SNCF = ScoringContext(brand_handles=("sncf", "ouigo"))


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    """The (text, lang) of every call to the sentiment engine."""
    seen: list[tuple[str, str | None]] = []
    real = scoring.score_sentiment

    def counting(text: str, lang: str | None = None, **options):
        seen.append((text, lang))
        return real(text, lang, **options)

    monkeypatch.setattr(scoring, "score_sentiment", counting)
    return seen


def test_a_french_complaint_is_negative_with_its_reasons() -> None:
    score = Scorer(SNCF).score("@SNCF c'est scandaleux, train annulé sans prévenir, remboursez-moi !")
    assert isinstance(score, MentionScore)
    assert (score.lang, score.sentiment_label, score.complaint) == ("fr", "negative", True)
    assert score.sentiment_compound < 0
    reasons = json.loads(json.dumps(score.reasons))  # JSON-ready
    assert set(reasons) == {"language", "sentiment", "risk"}
    assert reasons["language"]["method"] == "detected"
    assert reasons["risk"]["score"] == score.risk
    assert sum(s["contribution"] for s in reasons["risk"]["signals"]) >= score.risk
    assert {s["signal"] for s in reasons["risk"]["signals"]} >= {"negativity", "complaint", "direct_address"}


def test_the_crisis_flag_follows_the_documented_threshold() -> None:
    scorer = Scorer(SNCF)
    calm = scorer.score("Merci @SNCF, TGV à l'heure et contrôleur très sympa !")
    storm = scorer.score(
        "ARNAQUE @SNCF : billets débités deux fois, des milliers de clients concernés. Je porte plainte. "
        "#BoycottSNCF, partagez !",
        author_reach=120_000,
    )
    assert not calm.crisis and calm.risk < 20
    assert storm.crisis and storm.risk >= CRISIS_THRESHOLD >= 30
    assert storm.reasons["risk"]["crisis"] is True and storm.reasons["risk"]["threshold"] == CRISIS_THRESHOLD


def test_the_cm_orderings_hold_end_to_end() -> None:
    scorer = Scorer(ScoringContext(brand_handles=("fnac",)))
    praise = scorer.score("Livraison Fnac en 24h, produit parfait, merci !").risk
    complaint = scorer.score("Commande Fnac jamais livrée, service client injoignable depuis 2 semaines.").risk
    crisis = scorer.score("Scandale Fnac : ils revendent comme neuves des consoles utilisées. C'est une arnaque.").risk
    viral = scorer.score(
        "Scandale Fnac : ils revendent comme neuves des consoles utilisées. C'est une arnaque.",
        author_reach=800_000,
        engagement={"likes": 12_000, "shares": 4_000},
    ).risk
    assert praise < 20 <= complaint < crisis < viral
    assert crisis >= 60 and viral >= 80


def test_the_given_language_is_used_and_not_detected(calls) -> None:
    score = Scorer().score("Worst service ever", lang="en")
    assert score.lang == "en" and score.reasons["language"]["method"] == "given"
    assert calls == [("Worst service ever", "en")]


def test_the_workspace_languages_frame_detection() -> None:
    scorer = Scorer(ScoringContext(languages=("fr", "en")))
    assert scorer.detect_language("El servicio fue terrible, nunca más compro aquí") == "es"
    assert scorer.detect_language("Merci !") in ("fr", "en")
    assert scorer.detect_language("ok", declared="fr-FR") == "fr"
    assert scorer.detect_language("Worst service ever, never again", declared="fr", declared_reliable=True) == "fr"


def test_identical_texts_are_scored_once_and_reach_is_applied_after(calls) -> None:
    scorer = Scorer(SNCF)
    text = "Encore une grève surprise @SNCF, aucun train, aucune info. Honteux. RT"
    small = scorer.score(text, author_reach=200)
    reposts = [scorer.score(text, author_reach=n) for n in (5_000, 90_000, 2_000_000)]
    assert len(calls) == 1
    assert small.risk < reposts[0].risk < reposts[1].risk < reposts[2].risk
    assert scorer.cache_info().hits == 3


def test_the_cache_key_is_text_title_and_language(calls) -> None:
    scorer = Scorer()
    scorer.score("Colis jamais reçu")
    scorer.score("Colis jamais reçu", title="Colissimo")
    scorer.score("Colis jamais reçu", lang="fr")
    scorer.score("Colis jamais reçu", lang="fr")
    assert len(calls) == 3


def test_without_a_cache_every_text_is_scored(calls) -> None:
    scorer = Scorer(cache_size=0)
    for _ in range(3):
        scorer.score("Colis jamais reçu", lang="fr")
    assert len(calls) == 3 and scorer.cache_info() is None


def test_cached_reasons_cannot_be_corrupted_by_a_caller() -> None:
    scorer = Scorer()
    first = scorer.score("Colis jamais reçu, c'est une honte", lang="fr")
    first.reasons["risk"]["signals"].clear()
    first.reasons["sentiment"]["words"].append("x")
    again = scorer.score("Colis jamais reçu, c'est une honte", lang="fr")
    assert again.reasons["risk"]["signals"] and "x" not in again.reasons["sentiment"]["words"]


def _article(sentences: int) -> str:
    lead = "La SNCF annonce un plan de modernisation des lignes TER en Normandie. "
    filler = "Le conseil régional a voté une enveloppe de 300 millions d'euros pour les travaux sur dix ans. "
    return lead + filler * sentences


def test_a_long_article_is_scored_on_its_title_and_first_sentences(calls) -> None:
    score = Scorer().score(_article(300), title="TER Normandie : un plan à 300 millions")
    ((text, lang),) = calls
    assert lang == "fr" and score.lang == "fr"
    assert text.startswith("TER Normandie : un plan à 300 millions. La SNCF annonce")
    assert MAX_CHARS // 2 <= len(text) <= MAX_CHARS and text.endswith(".")
    assert score.reasons["sentiment"]["chars_scored"] == len(text)


def test_a_short_text_is_scored_whole(calls) -> None:
    score = Scorer().score("Train annulé. Encore.", title="SNCF")
    assert calls[0][0] == "SNCF. Train annulé. Encore."
    assert "chars_scored" not in score.reasons["sentiment"]


@pytest.mark.parametrize(
    ("text", "title", "expected"),
    [
        ("Train annulé.", "", "Train annulé."),
        ("Train annulé.", "Grève", "Grève. Train annulé."),
        ("Train annulé.", "Grève ?", "Grève ? Train annulé."),
        ("Grève SNCF\nTrain annulé.", "Grève SNCF", "Grève SNCF\nTrain annulé."),  # the title is not doubled
        ("", "Grève SNCF", "Grève SNCF"),
    ],
)
def test_the_title_comes_first_once(text: str, title: str, expected: str) -> None:
    assert join_title(text, title) == expected


def test_cap_length_cuts_at_a_word_when_there_is_no_sentence_end() -> None:
    text = "mot " * 1_000
    capped = cap_length(text, 1_000)
    assert len(capped) <= 1_000 and capped.endswith("mot")


def test_ignored_terms_stop_a_brand_named_scandale_from_flagging_every_mention() -> None:
    text = "La nouvelle collection Scandale est sortie, les robes sont en boutique."
    plain = Scorer().score(text, lang="fr")
    scored = Scorer(ScoringContext(ignored_terms=("scandale",))).score(text, lang="fr")
    assert "crisis_terms" in json.dumps(plain.reasons["risk"])
    assert "crisis_terms" not in json.dumps(scored.reasons["risk"])
    assert scored.risk <= plain.risk - 40 and not scored.crisis


def test_extra_terms_of_the_workspace_count() -> None:
    text = "Encore une coupure géante chez EDF, plus de courant depuis ce matin dans tout le quartier"
    plain = Scorer().score(text, lang="fr")
    custom = Scorer(ScoringContext(crisis_terms=("coupure géante",))).score(text, lang="fr")
    assert custom.risk > plain.risk
    assert "coupure géante" in json.dumps(custom.reasons["risk"], ensure_ascii=False)


def test_an_english_crisis_is_flagged() -> None:
    scorer = Scorer(ScoringContext(brand_handles=("tmobile", "t-mobile")))
    score = scorer.score(
        "Data breach at T-Mobile: my full name and account number are out there. Class action incoming. RT",
        author_reach=40_000,
    )
    assert score.lang == "en" and score.sentiment_label == "negative" and score.crisis


def test_star_ratings_decide_the_label_of_a_review_unless_the_text_plainly_contradicts() -> None:
    from alerts.scoring import Scorer, ScoringContext

    scorer = Scorer(ScoringContext())
    neutral_text = "Mise à jour installée hier soir sur mon téléphone."
    one_star = scorer.score(neutral_text, lang="fr", engagement={"rating": 1, "votes": 3})
    assert one_star.sentiment_label == "negative" and one_star.sentiment_compound < -0.4
    assert one_star.reasons["sentiment"]["rating"] == 1 and one_star.reasons["sentiment"]["text_label"] == "neutral"
    assert scorer.score(neutral_text, lang="fr", engagement={"rating": 5}).sentiment_label == "positive"
    assert scorer.score(neutral_text, lang="fr", engagement={"rating": 3}).sentiment_label == "neutral"
    angry = "Application nulle, plante sans arrêt, arnaque totale, je veux être remboursé"
    assert scorer.score(angry, lang="fr", engagement={"rating": 5}).sentiment_label == "negative"
    assert scorer.score(neutral_text, lang="fr", engagement={"rating": 9}).reasons["sentiment"].get("rating") is None
    assert scorer.score(neutral_text, lang="fr").sentiment_label == "neutral"
