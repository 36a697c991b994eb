"""Language detection on short French and English mentions: the workspace's languages first, other
languages only when clear, the declared language when reliable or when detection cannot tell."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from py3langid.langid import LanguageIdentifier

from alerts.language import detect_language, guess_language, normalize_declared, strip_noise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Encore un train annulé, merci la SNCF pour rien, remboursez-moi !", "fr"),
        ("Bonjour @Orange, je pars 3 semaines au Canada, quelle option pour avoir internet là-bas ?", "fr"),
        ("Super séjour à l'hôtel, personnel adorable et petit-déjeuner copieux", "fr"),
        ("Worst customer service ever, my parcel never arrived and nobody answers the phone", "en"),
        ("Great flight with @airfrance, thanks to the crew for the upgrade!", "en"),
        ("Data breach? I'm getting phishing texts with my exact account number. Anyone else?", "en"),
    ],
)
def test_french_and_english_mentions_are_detected(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("El servicio al cliente fue terrible, nunca más compro en esta tienda", "es"),
        ("Der Zug ist schon wieder zu spät und niemand sagt uns etwas", "de"),
        ("Il treno è di nuovo in ritardo e nessuno ci dice niente", "it"),
        ("O atendimento foi péssimo, nunca mais compro nessa loja", "pt"),
        ("De trein is weer te laat en niemand vertelt ons iets", "nl"),
    ],
)
def test_a_text_clearly_in_another_language_returns_that_language(text: str, expected: str) -> None:
    lang = detect_language(text, languages=("fr", "en"))
    assert lang == expected and lang not in ("fr", "en")  # "other" for this workspace


@pytest.mark.parametrize("text", ["Merci !", "lol", "Top 👍", "Bof bof"])
def test_a_short_ambiguous_text_stays_in_the_workspace_languages(text: str) -> None:
    # py3langid's best guess over seven languages is often Italian or Spanish for these: not clear enough.
    assert detect_language(text, languages=("fr", "en")) in ("fr", "en")


def test_a_workspace_language_outside_the_common_set_is_detected() -> None:
    assert detect_language("Pociąg znowu się spóźnił i nikt nic nie mówi", languages=("pl", "fr")) == "pl"


def test_too_few_letters_and_nothing_declared_is_none() -> None:
    assert detect_language("👍👍 !!") is None
    assert detect_language("ok") is None
    assert guess_language("?!").method == "too_short"


def test_too_few_letters_falls_back_to_the_declared_language() -> None:
    assert detect_language("ok 👍", declared="fr-FR") == "fr"
    assert guess_language("ok", declared="en").method == "declared_fallback"


def test_a_reliable_declaration_wins_even_against_the_text() -> None:
    text = "Worst customer service ever, my parcel never arrived and nobody answers the phone"
    guess = guess_language(text, declared="fr", declared_reliable=True)
    assert (guess.lang, guess.method) == ("fr", "declared")


def test_an_unreliable_declaration_loses_to_a_confident_detection() -> None:
    # A French feed that declares <language>fr</language> but carries an English wire story.
    text = "Worst customer service ever, my parcel never arrived and nobody answers the phone"
    assert detect_language(text, declared="fr", declared_reliable=False) == "en"


def test_an_unreliable_declaration_is_used_when_detection_is_uncertain() -> None:
    guess = guess_language("Merci !", declared="en")
    assert (guess.lang, guess.method) == ("en", "declared_fallback")


def test_hashtags_handles_and_urls_do_not_decide_the_language() -> None:
    # English hashtags and handles around a French sentence.
    text = "#TravelTuesday #customerservice @SNCF_Voyageurs mon train est encore annulé https://t.co/AbC123"
    assert detect_language(text) == "fr"
    assert "SNCF" not in strip_noise(text) and "http" not in strip_noise(text)


def test_a_text_made_only_of_hashtags_and_links_has_no_language() -> None:
    assert detect_language("#SNCF #greve @Ouigo https://t.co/xyz") is None
    assert detect_language("#SNCF #greve @Ouigo https://t.co/xyz", declared="fr") == "fr"


def test_shouted_text_is_detected_like_normal_text() -> None:
    assert detect_language("C'EST UNE HONTE, REMBOURSEZ MOI TOUT DE SUITE") == "fr"


@pytest.mark.parametrize(
    ("declared", "expected"),
    [("fr-FR", "fr"), ("en_US", "en"), ("FR", "fr"), ("", None), (None, None), ("1", None)],
)
def test_declared_codes_are_normalised(declared: str | None, expected: str | None) -> None:
    assert normalize_declared(declared) == expected


def test_the_reasons_say_how_the_language_was_chosen() -> None:
    reasons = guess_language("Encore un train annulé, merci la SNCF pour rien").as_dict()
    assert reasons["lang"] == "fr" and reasons["method"] == "function_words" and reasons["letters"] == 15
    detected = guess_language("Le TGV Paris-Lyon a été supprimé ce matin").as_dict()
    assert detected["method"] == "detected" and 0.7 <= detected["confidence"] <= 1


def test_a_long_text_is_read_from_its_beginning_only() -> None:
    text = "Le conseil municipal a voté le budget de la ville ce mardi soir. " * 200 + "The end, in English."
    assert detect_language(text) == "fr"


def test_french_or_english_function_words_settle_a_text_without_the_classifier() -> None:
    assert guess_language("Je suis toujours sans nouvelles de mon colis, merci pour rien").method == "function_words"
    assert guess_language("Still no refund and it's been three weeks, thanks for nothing").method == "function_words"
    # Mixed, or only a word or two in common with other languages: the classifier decides.
    assert guess_language("Merci for the great service, c'est top").method != "function_words"
    assert guess_language("Mais uma vez o serviço não funciona, não tem nada para fazer aqui").lang == "pt"


def test_function_words_only_decide_for_the_workspace_languages() -> None:
    # An English workspace does not take a clear French text as English, nor use the French word list.
    assert detect_language("Je suis toujours sans nouvelles de mon colis, merci pour rien", languages=("en",)) == "fr"


def test_a_workspace_language_the_model_does_not_know_is_only_used_when_declared() -> None:
    assert detect_language("Encore un train annulé, merci la SNCF pour rien", languages=("fr", "xx")) == "fr"
    assert detect_language("ok", declared="xx", languages=("fr", "xx")) == "xx"


def test_threads_that_start_at_once_load_the_language_model_once(monkeypatch) -> None:
    """A collector's fetch threads start ingesting together: one loads the model, the others wait for it, rather
    than each loading a copy of its own (~70 MB each)."""
    loads = []
    real = LanguageIdentifier.from_model_file

    def counting(*args, **kwargs):
        loads.append(1)
        time.sleep(0.2)  # a slow load: every thread arrives while it is under way
        return real(*args, **kwargs)

    monkeypatch.setattr(LanguageIdentifier, "from_model_file", counting)
    start = threading.Barrier(6)

    def guess(_: int) -> str | None:
        start.wait()
        return detect_language("Le TGV Paris-Lyon a été supprimé ce matin", languages=("fr", "sv"))

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(guess, range(6))) == ["fr"] * 6
    assert len(loads) == 1
