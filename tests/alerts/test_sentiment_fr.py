"""French sentiment, one linguistic case at a time: what a French CM reads in a post, Vigie must read too.

Each case is a real-looking French social-media text with the stance a community manager would give it.
Comparisons ("a < b") pin the rules themselves: remove the negation rule and "je n'aime pas" stops being
below zero; remove the intensifiers and "très déçu" stops being below "déçu".
"""

from __future__ import annotations

import json

import pytest

from alerts.sentiment import NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD, Sentiment, label_for, score_sentiment


def fr(text: str) -> Sentiment:
    return score_sentiment(text, "fr")


def c(text: str) -> float:
    return fr(text).compound


# --- the public contract -------------------------------------------------------------------------------------


def test_the_french_engine_answers_for_lang_fr_with_a_full_explanation() -> None:
    s = fr("Vol annulé et service client injoignable, c'est vraiment honteux 😡")
    assert s.engine == "vigie-fr-1" and s.label == "negative" and -1 <= s.compound <= -0.5
    assert s.compound == round(s.compound, 4)
    assert s.words[0] == "honteux" and "😡" in s.words  # strongest first
    assert s.complaint and "vol annulé" in s.complaint_signals and "injoignable" in s.complaint_signals
    assert {"word": "honteux", "valence": pytest.approx(-3.093, abs=0.01), "lexicon": -2.8} in s.reasons["words"]
    assert "intensifier: 'vraiment' boosts 'honteux'" in s.reasons["rules"]
    assert {c["signal"] for c in s.reasons["complaint"]} >= {"vol annulé", "injoignable"}
    json.dumps(s.reasons)  # JSON-ready as documented


@pytest.mark.parametrize("lang", ["fr", "FR", "fr-CA", "fr_FR"])
def test_regional_french_codes_use_the_french_engine(lang: str) -> None:
    assert score_sentiment("très déçu", lang).engine == "vigie-fr-1"


def test_labels_follow_vader_thresholds() -> None:
    assert (POSITIVE_THRESHOLD, NEGATIVE_THRESHOLD) == (0.05, -0.05)
    assert [label_for(x) for x in (0.05, 0.0499, 0.0, -0.0499, -0.05)] == [
        "positive", "neutral", "neutral", "neutral", "negative"]


def test_words_are_in_a_deterministic_strongest_first_order() -> None:
    text = "Personnel adorable, chambre propre, petit-déjeuner correct, bravo"
    assert fr(text).words == fr(text).words == ["adorable", "bravo", "propre", "correct"]


def test_an_empty_or_wordless_text_is_neutral() -> None:
    for text in ("", "   ", "AF1234 / 12:40", "@SNCF"):
        s = fr(text)
        assert (s.label, s.compound, s.words, s.complaint) == ("neutral", 0.0, [], False)


# --- negation --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("positive", "negated"),
    [
        ("j'aime ce produit", "je n'aime pas ce produit"),  # ne … pas around the verb
        ("je suis satisfait", "je ne suis pas satisfait"),
        ("je suis content du service", "je ne suis plus content du service"),  # ne … plus
        ("le service est aimable", "le service n'est jamais aimable"),  # ne … jamais
        ("il y a du bon", "il n'y a rien de bon"),  # ne … rien
        ("un vendeur aimable", "je n'ai trouvé aucun vendeur aimable"),  # aucun
        ("c'est bon", "c'est pas bon"),  # "pas" without "ne", as people write
        ("j'aime", "j'aime pas"),
        ("personnel compétent", "personnel pas du tout compétent"),
        ("un très bon accueil", "pas un très bon accueil"),
        ("le personnel est aimable", "personne n'est aimable"),  # personne ne …
    ],
)
def test_negation_turns_praise_into_criticism(positive: str, negated: str) -> None:
    assert c(negated) < 0 < c(positive)


@pytest.mark.parametrize(
    "text",
    [
        "sans aucun problème",
        "livraison sans problème",
        "jamais déçu par Air France",
        "aucun souci avec ma box",
        "pas mal du tout",
        "rien à redire",
        "ce n'est pas cher",
        "Je ne regrette pas du tout",
        "pas trop cher",
        "pas trop mal",
    ],
)
def test_negated_negatives_are_positive(text: str) -> None:
    assert fr(text).label == "positive"


def test_ne_que_is_not_a_negation() -> None:
    assert fr("je ne peux que recommander").label == "positive"


def test_pas_mal_is_positive_ish_and_pas_terrible_negative() -> None:
    assert 0 < c("pas mal") < c("très bien")
    assert c("pas terrible") < 0


def test_negation_stops_at_the_end_of_the_clause() -> None:
    # "pas cher" is praise; "efficace" after the comma is not negated
    assert fr("pas cher, efficace").label == "positive"
    assert c("pas rapide et efficace") > c("pas rapide")


# --- "plus": comparative or negation --------------------------------------------------------------------------


def test_plus_as_a_comparative_boosts() -> None:
    assert fr("plus rapide que prévu").label == "positive"
    assert c("de plus en plus nul") < c("nul") < 0
    assert c("le plus beau séjour") > c("beau séjour") > 0


def test_plus_after_ne_or_before_jamais_is_a_negation() -> None:
    assert fr("je ne reviendrai plus").label == "negative"
    assert fr("Plus jamais avec cette compagnie").label == "negative"
    assert fr("je ne prendrai plus jamais de billet chez eux").label == "negative"
    assert "negation: 'ne … plus' flips 'reviendrai'" in fr("je ne reviendrai plus").reasons["rules"]


# --- intensifiers and attenuators -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["très déçu", "trop déçu", "vraiment déçu", "super déçu", "hyper déçu", "grave déçu", "déçu grave",
     "tellement déçu", "si déçu", "archi déçu", "complètement déçu", "totalement déçu", "déçu beaucoup"],
)
def test_intensifiers_make_a_word_stronger(text: str) -> None:
    assert c(text) < c("déçu") < 0


@pytest.mark.parametrize("text", ["très content", "trop bien", "super content", "vraiment top", "hyper sympa"])
def test_intensifiers_work_on_praise_too(text: str) -> None:
    base = text.split()[-1]
    assert c(text) > c(base) > 0


@pytest.mark.parametrize("text", ["un peu déçu", "assez déçu", "plutôt déçu", "légèrement déçu"])
def test_attenuators_soften(text: str) -> None:
    assert c("déçu") < c(text) < 0


def test_ambiguous_modifiers_are_words_of_their_own_when_alone() -> None:
    assert fr("C'est super !").label == "positive"  # super alone is praise
    assert fr("C'est trop.").label == "neutral"  # trop alone says nothing
    assert fr("c'est grave").label == "negative"  # grave alone is a word


# --- elision, accents, elongation, capitals -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("j'adore", "positive"),
        ("c'est nul", "negative"),
        ("ce n'est pas top", "negative"),
        ("qu'est-ce qu'il est lent", "negative"),
        ("l'accueil était chaleureux", "positive"),
        ("d'une nullité affligeante", "negative"),
        ("ils m'ont déçu", "negative"),
        ("t'es nul", "negative"),
        ("ça s'est très bien passé", "positive"),
    ],
)
def test_elided_words_are_read(text: str, label: str) -> None:
    assert fr(text).label == label


@pytest.mark.parametrize(
    ("accented", "plain"),
    [
        ("très déçu", "tres decu"),
        ("génial", "genial"),
        ("écœurant", "ecoeurant"),
        ("colis abîmé, déçue", "colis abime, decue"),
    ],
)
def test_text_without_accents_scores_the_same(accented: str, plain: str) -> None:
    assert c(accented) == c(plain) != 0


def test_decomposed_accents_are_read_like_composed_ones() -> None:
    assert c("de\u0301c\u0327u") == c("déçu") < 0


@pytest.mark.parametrize(("elongated", "word"), [("nuuuul", "nul"), ("merciiii", "merci"), ("suuuuper", "super")])
def test_elongations_are_repaired_and_emphasised(elongated: str, word: str) -> None:
    assert abs(c(elongated)) > abs(c(word)) > 0 and (c(elongated) > 0) == (c(word) > 0)
    assert any(r.startswith(f"elongation: '{elongated}'") for r in fr(elongated).reasons["rules"])


def test_trooop_is_still_an_intensifier() -> None:
    assert c("trooop bien") > c("bien") > 0


def test_capitals_emphasise_unless_everything_is_shouted() -> None:
    assert c("Le service est NUL") < c("Le service est nul") < 0
    assert c("LE SERVICE EST NUL") == c("le service est nul")


# --- contrast -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("bon produit mais livraison catastrophique", "negative"),
        ("un peu cher mais excellent", "positive"),
        ("Chambre propre, cependant le personnel était désagréable", "negative"),
        ("Livraison lente, pourtant le produit est excellent", "positive"),
        ("L'hôtel est magnifique, par contre l'accueil est déplorable", "negative"),
        ("Un peu de retard au départ mais le personnel a été très pro", "positive"),
    ],
)
def test_what_follows_a_contrast_weighs_more(text: str, label: str) -> None:
    s = fr(text)
    assert s.label == label
    assert any(r.startswith("contrast:") for r in s.reasons["rules"])


def test_a_leading_mais_is_no_contrast() -> None:
    assert not any(r.startswith("contrast:") for r in fr("Mais c'est honteux !").reasons["rules"])


# --- emojis ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [("😡", "negative"), ("🤬🤬", "negative"), ("💩", "negative"), ("😍", "positive"), ("👍🏻", "positive"),
     ("Service 👏", "positive"), (":)", "positive"), (":(", "negative"), ("Livraison reçue ❤️", "positive")],
)
def test_emojis_carry_sentiment(text: str, label: str) -> None:
    assert fr(text).label == label


def test_an_emoji_is_not_negated_by_a_nearby_pas() -> None:
    assert fr("je ne suis pas content 😡").label == "negative"


# --- social-media and complaint vocabulary --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["honteux", "inadmissible", "arnaque", "quelle galère", "remboursez", "nul", "déçu", "déçue", "déçus",
     "déçues", "décevant", "décevante", "décevants", "lamentable", "scandaleux", "foutage de gueule", "relou",
     "n'importe quoi", "à fuir", "ras-le-bol", "inacceptable", "une honte"],
)
def test_complaint_vocabulary_is_negative(text: str) -> None:
    assert fr(text).label == "negative"


@pytest.mark.parametrize(
    "text", ["bravo", "top", "merci", "au top", "nickel", "génial", "impeccable", "je recommande", "ravie",
             "un régal", "aux petits soins", "rien à dire"],
)
def test_praise_vocabulary_is_positive(text: str) -> None:
    assert fr(text).label == "positive"


def test_the_french_engine_imports_no_gpl_or_unmaintained_code() -> None:
    """vaderSentiment-fr (and the GPL fuzzywuzzy it loads) is an evaluation baseline only, never a dependency."""
    import ast
    from pathlib import Path

    for path in (Path(__file__).resolve().parents[2] / "alerts").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {m for m in names if m.split(".")[0] in ("vaderSentiment_fr", "fuzzywuzzy", "unidecode")}, path


def test_the_lexicon_has_thousands_of_entries_with_inflected_forms() -> None:
    from alerts.lexicon import french_lexicon

    words = french_lexicon().words
    assert len(words) > 3000
    for form in ("decu", "decue", "decus", "decues", "decevant", "decevante", "decevants", "decevantes",
                 "honteux", "honteuse", "honteuses", "arnaque", "arnaques", "arnaquer", "arnaquee"):
        assert words[form] < 0, form


# --- complaints, questions, news, sarcasm ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "vol annulé, toujours pas de remboursement",
        "TER de 7h42 supprimé pour la 3e fois ce mois-ci",
        "colis jamais reçu",
        "toujours pas de réponse du service client",
        "service client injoignable",
        "en attente depuis le 3 mars",
        "remboursez-moi",
        "prélevé deux fois ce mois-ci",
        "ma box est en panne depuis lundi",
        "coupure internet chez moi depuis hier",
        "plus de connexion depuis ce matin",
        "retard de 3h sur mon TGV",
        "3h de retard, aucune info à bord",
        "Bagage perdu, dossier ouvert il y a 6 jours",
        "mon vol est annulé ?!",
    ],
)
def test_factual_complaints_without_sentiment_words_are_negative(text: str) -> None:
    s = fr(text)
    assert s.label == "negative" and s.complaint and s.complaint_signals, (text, s.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "le vol AF123 est-il annulé ?",
        "Quels trains circulent pendant la grève de jeudi ?",
        "Est-ce que la boutique est ouverte dimanche ?",
        "Bonjour, le petit-déjeuner est compris ? merci",
        "Quel est le meilleur forfait pour voyager au Canada ?",
        "La SNCF ouvre les réservations pour l'été le 13 mars.",
        "Air France lance une nouvelle ligne vers Montréal.",
        "Orange augmente de 2€ le prix de certaines offres au 1er juin.",
        "J'attends un colis pour l'anniversaire de ma mère.",
    ],
)
def test_questions_and_neutral_news_stay_neutral(text: str) -> None:
    s = fr(text)
    assert s.label == "neutral" and not s.complaint, (text, s.reasons)


def test_news_of_an_incident_is_negative_but_no_customer_complaint() -> None:
    s = fr("Grève à la SNCF : un TGV sur trois supprimé ce week-end.")
    assert s.label == "negative" and not s.complaint
    assert {c["reported_by_author"] for c in s.reasons["complaint"]} == {False}


@pytest.mark.parametrize(
    "text",
    [
        "merci @Brand pour ces 3h de retard 👏",
        "bravo la SNCF, encore en grève",
        "Super, encore une coupure 👏👏",
        "Génial, mon colis « livré » est introuvable 🙃",
        "Top le service client, toujours pas de réponse après 3 relances",
    ],
)
def test_sarcasm_praise_next_to_a_failure_is_negative(text: str) -> None:
    s = fr(text)
    assert s.label == "negative", (text, s.reasons)
    assert any(r.startswith(("irony:", "scare quotes:")) for r in s.reasons["rules"])


@pytest.mark.parametrize(
    "text",
    [
        "Merci Orange pour le geste commercial après la coupure, c'est apprécié.",
        "Bravo la SNCF pour la gestion de la panne, bus de substitution en 30 min.",
        "Pas de souci, merci pour l'info, la coupure est bien réparée chez moi 👍",
        "Jamais eu la moindre coupure en 8 ans, je recommande.",
    ],
)
def test_thanks_for_a_fixed_or_absent_failure_are_sincere(text: str) -> None:
    assert fr(text).label == "positive", fr(text).reasons


# --- long texts -----------------------------------------------------------------------------------------------


def test_long_texts_are_capped_at_their_opening() -> None:
    opening = "Service client injoignable depuis trois semaines, c'est honteux. "
    filler = "Le reste de l'article décrit l'historique de l'entreprise et ses résultats. " * 400
    s = fr(opening + filler + "Bravo, génial, parfait, merci !")
    assert s.label == "negative" and "génial" not in s.words  # the tail beyond the cap is not read
