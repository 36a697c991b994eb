"""Complaint awareness as a pure function: which service failures a mention reports, and which it only mentions.

"Mon vol est annulé" is a complaint, "le vol AF123 est-il annulé ?" a question, "200 vols annulés jeudi" news of
an incident, "sans aucune coupure" praise. The prefilter that keeps this fast must never change an answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts.complaints import ComplaintSignal, _patterns, find_complaints
from alerts.prefilter import StemIndex, required_stems, words_of
from alerts.sentiment import score_sentiment
from alerts.tokens import clean, fold

ROOT = Path(__file__).resolve().parents[2]


def signals(text: str, lang: str, **kw) -> list[ComplaintSignal]:
    text = clean(text)
    return find_complaints(text, fold(text), lang, **kw)


def kinds(text: str, lang: str) -> list[str]:
    return [s.kind for s in signals(text, lang)]


@pytest.mark.parametrize(
    ("text", "kind", "written"),
    [
        ("Mon vol annulé hier soir", "cancelled", "vol annulé"),
        ("Train supprimé ce matin, encore", "cancelled", "train supprimé"),
        ("colis jamais reçu", "not_received", "jamais reçu"),
        ("Toujours pas de réponse du SAV", "no_answer", "toujours pas de réponse"),
        ("Service client injoignable", "no_answer", "injoignable"),
        ("En attente depuis le 3 mars", "waiting", "en attente depuis"),
        ("Remboursez-moi !", "refund", "remboursez-moi"),
        ("Prélevé deux fois ce mois-ci", "charged", "prélevé deux fois"),
        ("Ma box est en panne", "outage", "en panne"),
        ("Coupure internet chez moi", "outage", "coupure"),
        ("Plus de connexion depuis ce matin", "outage", "plus de connexion"),
        ("Retard de 3h sur mon TGV", "delay", "retard de 3h"),
        ("Lave-linge livré avec la porte enfoncée", "broken", "livré avec la porte enfoncée"),
        ("Bravo, encore en grève", "delay", "encore en grève"),
    ],
)
def test_french_failures(text: str, kind: str, written: str) -> None:
    found = signals(text, "fr")
    assert (kind, written) in [(s.kind, s.text) for s in found], found
    assert all(s.personal for s in found)


@pytest.mark.parametrize(
    ("text", "kind", "written"),
    [
        ("my flight got cancelled", "cancelled", "flight got cancelled"),
        ("my train is late again", "delay", "late again"),
        ("delayed 3 hours at JFK", "delay", "delayed 3 hours"),
        ("they lost my bag", "not_received", "lost my bag"),
        ("the screen arrived broken", "broken", "arrived broken"),
        ("box came damaged", "broken", "came damaged"),
        ("charged twice for one ticket", "charged", "charged twice"),
        ("I was overcharged", "charged", "overcharged"),
        ("no answer from support", "no_answer", "no answer"),
        ("still waiting on my refund", "waiting", "still waiting"),
        ("I want my refund", "refund", "want my refund"),
        ("on hold for 2 hours", "waiting", "on hold for 2 hours"),
        ("package never arrived", "not_received", "never arrived"),
        ("I never received the voucher", "not_received", "never received"),
    ],
)
def test_english_failures(text: str, kind: str, written: str) -> None:
    found = signals(text, "en")
    assert (kind, written) in [(s.kind, s.text) for s in found], found


def test_the_signal_is_the_text_as_written_at_its_offset() -> None:
    text = "Vol AF1234 ANNULÉ, toujours pas de remboursement"
    for s in signals(text, "fr"):
        assert s.text == text[s.start : s.end].lower()
    assert [s.text for s in signals(text, "fr")] == ["vol af1234 annulé", "toujours pas de remboursement"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("le vol AF123 est-il annulé ?", "fr"),
        ("Le RER B sera perturbé demain avec le mouvement social ?", "fr"),
        ("Is flight UA123 cancelled?", "en"),
        ("Will the strike affect trains on Friday? I have a meeting.", "en"),
    ],
)
def test_a_plain_question_reports_nothing(text: str, lang: str) -> None:
    assert signals(text, lang) == []


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Pourquoi mon vol est annulé ?", "fr"), ("mon vol est annulé ?!", "fr"),
     ("Why is my train late again?", "en"), ("Where is my refund?", "en")],
)
def test_a_question_that_presupposes_the_failure_reports_it(text: str, lang: str) -> None:
    assert any(s.personal for s in signals(text, lang))


def test_news_of_an_incident_is_not_a_personal_complaint() -> None:
    news = signals("Grève : 200 vols annulés jeudi au départ de Paris", "fr")
    assert news and not any(s.personal for s in news)
    mine = signals("Mon vol est annulé", "fr")
    assert mine and all(s.personal for s in mine)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Aucun retard en deux ans", "fr"),
        ("Jamais eu la moindre coupure", "fr"),
        ("sans aucune panne", "fr"),
        ("Never late, never cancelled", "en"),
        ("Zero outages in a year", "en"),
        ("no delays at all", "en"),
    ],
)
def test_a_denied_failure_is_no_complaint(text: str, lang: str) -> None:
    assert signals(text, lang) == []


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Merci pour le geste commercial après la coupure", "fr"),
        ("Bravo pour la gestion de la panne", "fr"),
        ("La coupure est bien réparée", "fr"),
        ("Crew kept us calm during the delay", "en"),
        ("The outage was fixed in an hour", "en"),
    ],
)
def test_a_failure_in_the_background_or_fixed_is_no_complaint(text: str, lang: str) -> None:
    assert signals(text, lang) == []


def test_a_price_rise_is_a_complaint_only_when_the_author_pays_it() -> None:
    assert signals("Orange augmente de 2€ le prix de certaines offres", "fr") == []
    assert kinds("Orange augmente encore mon forfait de 3€", "fr") == ["price"]
    assert signals("T-Mobile raises the price of some older plans", "en") == []
    assert kinds("T-Mobile raised my bill again", "en") == ["price"]


# --- the patterns as data ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pattern_files_are_versioned_and_every_pattern_compiles(lang: str) -> None:
    path = ROOT / "alerts" / "data" / f"complaints_{lang}.tsv"
    language = "French" if lang == "fr" else "English"
    assert path.read_text(encoding="utf-8").startswith(f"# Vigie complaint patterns, {language}, version")
    patterns, _ = _patterns(lang)
    assert len(patterns) > 30
    assert {p.tier for p in patterns} == {"strong", "weak", "personal"}


# --- the prefilter ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "stems"),
    [
        (r"\b(?:toujours|encore) (?:pas|rien)\b", {"toujours", "encore"}),
        (r"\b(?:en )?retard(?:s|e)?\b", {"retard"}),
        (r"\bcoupee?s?\b|\bpannes?\b", {"coupe", "panne"}),
        (r"\b\d+ ?(?:h|heures?) de retard\b", {"retard"}),
        (r"\bj'attends depuis\b", {"attends"}),
        (r"\bx ?2\b", None),  # nothing provable: the pattern always runs
        (r"poireaut\w*", None),  # no word boundary before it: it could match inside a word
    ],
)
def test_required_stems_are_derived_from_the_regex(pattern: str, stems: set[str] | None) -> None:
    found = required_stems(pattern)
    assert (set(found) if found is not None else None) == stems


def test_the_stem_index_matches_word_starts() -> None:
    index = StemIndex(["panne", "hs", "rembours"])
    assert index.present({"pannes", "hs", "remboursez", "depanne"}) == {"panne", "hs", "rembours"}
    assert index.present({"depanne", "ths"}) == set()


def _corpus() -> list[tuple[str, str]]:
    texts = [(t, "fr") for t in ("Vol annulé ?!", "colis jamais recu", "TGV supprimé pour la 3e fois", "Pas de 4G")]
    texts += [(t, "en") for t in ("flight cancelled again!", "still no refund", "Tracking says delivered")]
    for lang in ("fr", "en"):  # the hand-labelled dev sets, when present, widen the check
        dev = ROOT / "eval" / "data" / f"{lang}_dev.jsonl"
        if dev.exists():
            texts += [(json.loads(line)["text"], lang) for line in dev.read_text(encoding="utf-8").splitlines()]
    return texts


def test_the_prefilter_never_changes_an_answer() -> None:
    for text, lang in _corpus():
        assert signals(text, lang) == signals(text, lang, prefilter=False), text


def test_the_prefilter_words_include_what_tokens_split() -> None:
    assert {"attends", "j'attends", "n'a", "a"} <= words_of("j'attends, il n'a rien")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("easyJet, where the carry-on costs more than the seat. Innovation at its finest.", "en"),
        ("Nothing says luxury like a $400 room facing the parking garage.", "en"),
        ("Vueling, la seule compagnie où l'embarquement dure plus longtemps que le vol.", "fr"),
        ("8€ de frais pour m'informer que j'avais 8€ de découvert. Logique imparable.", "fr"),
    ],
)
def test_sarcastic_frames_are_complaints_in_disguise(text: str, lang: str) -> None:
    assert "sarcasm" in kinds(text, lang)
    assert score_sentiment(text, lang).label == "negative"


@pytest.mark.parametrize(
    ("text", "lang", "kind"),
    [
        ("PayPal locked my account after a login from my own laptop.", "en", "outage"),
        ("Uber Eats delivered someone else's order. Entirely different restaurant.", "en", "broken"),
        ("The connection drops every evening between 8 and 10.", "en", "outage"),
        ("Il manquait 4 vis et une étagère dans le carton.", "fr", "broken"),
        ("Ma carte est bloquée depuis lundi sans explication.", "fr", "outage"),
        ("Decathlon ne m'a jamais prévenu de quoi que ce soit.", "fr", "no_answer"),
    ],
)
def test_factual_failures_of_version_2(text: str, lang: str, kind: str) -> None:
    assert kind in kinds(text, lang)
