"""The brand query language, as a community manager writes it, against real French and English mentions."""

from __future__ import annotations

import pickle

import pytest

from app.query import (
    MatchDocument,
    Query,
    QueryError,
    brand_matches,
    normalize_lang,
    normalize_text,
    parse_query,
    prepare_document,
    tokenize,
)


def matches(query: str, text: str, lang: str | None = None) -> bool:
    return parse_query(query).matches(prepare_document(text, lang))


# --- normalisation and tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Café", "cafe"),
        ("CAFÉ crème", "cafe creme"),
        ("Hôtel Négresco à Nice", "hotel negresco a nice"),
        ("Œuvre d’art", "oeuvre d'art"),
        ("cœur brisé", "coeur brise"),
        ("Ex æquo", "ex aequo"),
        ("Straße", "strasse"),
        ("l’Orange", "l'orange"),
        ("l‘SNCF", "l'sncf"),
        ("ﬁnal", "final"),  # ligature folded by NFKD
        ("ÇA SUFFIT", "ca suffit"),
        ("plain ascii", "plain ascii"),
        ("", ""),
    ],
)
def test_normalize_text_lowercases_and_strips_accents(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l'orange", ["l", "orange"]),
        ("d'air france", ["d", "air", "france"]),
        ("air-france", ["air", "france"]),
        ("#sncf @sncf sncf's", ["sncf", "sncf", "sncf", "s"]),
        ("iphone 15 pro max!!!", ["iphone", "15", "pro", "max"]),
        ("retard 😡🚄 encore...", ["retard", "encore"]),
        ("@air_france", ["air", "france"]),
        ("remboursez-moi, svp", ["remboursez", "moi", "svp"]),
        ("", []),
        ("!!! ?? 🙄", []),
    ],
)
def test_tokenize_splits_on_punctuation_apostrophes_and_hyphens(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_prepare_document_precomputes_tokens_and_set() -> None:
    doc = prepare_document("Merci la SNCF, merci la #SNCF 😡", lang="fr-FR")
    assert doc.tokens == ("merci", "la", "sncf", "merci", "la", "sncf")
    assert doc.token_set == frozenset({"merci", "la", "sncf"})
    assert doc.lang == "fr"
    assert doc.vocabulary == ("la", "merci", "sncf")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "fr"), ("FR", "fr"), ("fr-FR", "fr"), ("en_GB", "en"), ("", None), (None, None), (" en ", "en")],
)
def test_normalize_lang_keeps_the_primary_subtag(lang: str | None, expected: str | None) -> None:
    assert normalize_lang(lang) == expected


# --- matching: words --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("cafe", "Le Café de Flore est fermé"),
        ("CAFÉ", "un cafe trop cher"),
        ("SNCF", "Encore un retard, merci #sncf"),
        ("SNCF", "@SNCF my train to Lyon is 2 hours late"),
        ("SNCF", "SNCF's customer service never answers"),
        ("SNCF", "c'est la faute à l'SNCF"),
        ("sncf", "SNCF!!!"),
        ("Orange", "Panne chez l'Orange ce matin"),
        ("orange", "Panne de fibre chez l’Orange depuis hier"),
        ("orange", "ORANGE: réseau coupé à Lyon"),
        ("Ouigo", "Mon #OUIGO est annulé 😡"),
        ("élysée", "Visite de l'Elysee"),
        ("coeur", "J'ai le cœur brisé"),
        ("cœur", "coeur"),
        ("15", "L'iPhone 15 chauffe"),
        ("#airfrance", "Bagage perdu, merci #AirFrance"),
        ("@sncf", "Merci sncf"),
        ("or", "either this or that"),  # lower-case keywords are plain words
        ("and", "rock and roll"),
        ("not", "I am not happy with @SNCF"),
    ],
)
def test_word_matches_case_accent_and_punctuation_insensitive(query: str, text: str) -> None:
    assert matches(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("Orange", "Une orangeade bien fraîche"),  # whole words only, never substrings
        ("Orange", "Un kilo d'oranges"),  # 'oranges' is another token: no stemming
        ("sncf", "sncfconnect ne marche pas"),
        ("tgv", "TGVs everywhere"),
        ("air", "airfrance"),
        ("or", "orange"),
        ("ouigo", ""),
        ("cafe", "😡🚄!!!"),
    ],
)
def test_word_does_not_match_inside_another_word(query: str, text: str) -> None:
    assert not matches(query, text)


# --- matching: phrases ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ('"Air France"', "Vol annulé par Air France ce matin"),
        ('"Air France"', "Le PDG d'Air France s'explique"),
        ('"Air France"', "Air-France perd encore mes bagages"),
        ('"Air France"', "AIR FRANCE!!!"),
        ("air-france", "Merci Air France pour ce vol"),
        ("Air-France", "le service client d'air france"),
        ('"TGV inOui"', "Mon TGV INOUI Paris-Lyon a 40 min de retard"),
        ('"iPhone 15"', "My new iPhone 15 Pro overheats"),
        ('"jus d\'orange"', "Un jus d’orange pressé, svp"),
        ("l'orange", "chez l'Orange"),
        ('"Merci SNCF !"', "merci sncf"),  # punctuation in a phrase is ignored, like in mentions
        ('"air fr*"', "Grève chez Air France demain"),
        ('"rembours* moi"', "Remboursez-moi maintenant !"),
        ('"service client"', "Le service, le service client, toujours le service client"),
        ('"la la la"', "la la la la"),
        ("\u201cAir France\u201d", "vol Air France annulé"),  # typographic quotes from a phone keyboard
        ("\u00abAir France\u00bb", "vol Air France annulé"),
    ],
)
def test_phrase_matches_consecutive_tokens(query: str, text: str) -> None:
    assert matches(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ('"Air France"', "France : l'air est irrespirable à Paris"),  # both words, wrong order
        ('"Air France"', "air pur en France"),  # both words, not consecutive
        ('"Air France"', "Air"),
        ('"TGV inOui"', "Le TGV est arrivé, inOui !"),
        ('"jus d\'orange"', "Un jus d'oranges"),
        ('"air fr*"', "air comprimé, France"),
        ('"iPhone 15"', "iPhone 14 vs Galaxy 15"),
    ],
)
def test_phrase_does_not_match_scattered_words(query: str, text: str) -> None:
    assert not matches(query, text)


# --- matching: prefixes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Remboursez-moi, c'est scandaleux", True),
        ("J'attends mon remboursement depuis 3 mois", True),
        ("Toujours pas REMBOURSÉ", True),
        ("rembourser", True),
        ("rembours", True),  # the prefix itself is a word
        ("Le bourse est en baisse", False),
        ("nonremboursable", False),  # a prefix anchors at the start of a word
    ],
)
def test_prefix_matches_words_that_start_with_it(text: str, expected: bool) -> None:
    assert matches("rembours*", text) is expected


def test_prefix_is_accent_insensitive() -> None:
    assert matches("réserv*", "Impossible de reserver en ligne")
    assert matches("RESERV*", "Ma réservation a disparu")


# --- boolean logic ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("sncf OR ouigo", "Mon Ouigo est en retard", True),
        ("sncf OR ouigo", "Mon TER est en retard", False),
        ("sncf AND retard", "SNCF: encore un retard", True),
        ("sncf AND retard", "SNCF: train à l'heure", False),
        ("sncf retard", "retard de 2h, merci SNCF", True),  # juxtaposition means AND
        ("sncf retard", "merci SNCF", False),
        ("sncf -emploi", "SNCF recrute : offre d'emploi", False),
        ("sncf -emploi", "SNCF: grève demain", True),
        ("sncf NOT emploi", "SNCF recrute : offre d'emploi", False),
        ("sncf NOT emploi", "SNCF: grève demain", True),
        ('sncf -"offre d\'emploi"', "SNCF: offre d'emploi à Lyon", False),
        ('sncf -"offre d\'emploi"', "SNCF: l'emploi du temps des trains", True),
        ("sncf NOT (emploi OR job)", "SNCF job offer in Paris", False),
        ("sncf NOT (emploi OR job)", "SNCF strike tomorrow", True),
        ("sncf -(emploi OR job)", "SNCF job offer in Paris", False),
        ("sncf AND NOT NOT retard", "SNCF retard", True),
        # only the first '-' follows a space: the second is part of the word, so this is NOT retard
        ("sncf --retard", "SNCF à l'heure", True),
        ("sncf --retard", "SNCF en retard", False),
        # AND binds tighter than OR: a OR (b AND c)
        ("ouigo OR sncf retard", "Ouigo à l'heure", True),
        ("ouigo OR sncf retard", "SNCF à l'heure", False),
        ("(ouigo OR sncf) retard", "Ouigo à l'heure", False),
        ("(ouigo OR sncf) retard", "Ouigo en retard", True),
        ("((sncf))", "sncf", True),
        ("sncf AND (retard OR annulé) AND NOT emploi", "SNCF : train annulé", True),
        ("sncf(retard)", "SNCF retard", True),
    ],
)
def test_boolean_operators(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


def test_hyphen_inside_a_word_is_a_phrase_not_a_negation() -> None:
    query = parse_query("air-france")
    assert query.matches(prepare_document("Vol Air France annulé"))
    assert not query.matches(prepare_document("L'air de la France"))
    assert parse_query("sncf -tgv").matches(prepare_document("sncf"))
    assert not parse_query("sncf -tgv").matches(prepare_document("sncf tgv"))
    assert parse_query("sncf (-tgv)").matches(prepare_document("sncf ter"))


# --- real brand queries -----------------------------------------------------------------------------------

SNCF_QUERY = '("SNCF" OR ouigo OR "TGV inOui") -job -emploi'
ORANGE_QUERY = '(orange OR sosh) AND (réseau OR panne OR fibre) -"jus d\'orange"'
AIR_FRANCE_QUERY = '"Air France" OR airfrance OR #airfrance'


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        (SNCF_QUERY, "Encore 1h de retard sur le TGV INOUI Paris-Marseille, merci la #SNCF 😡", True),
        (SNCF_QUERY, "Mon Ouigo est annulé et personne ne répond", True),
        (SNCF_QUERY, "@SNCF train cancelled again, terrible service", True),
        (SNCF_QUERY, "La SNCF recrute : 200 offres d'emploi en Île-de-France", False),
        (SNCF_QUERY, "Apply now: SNCF job fair in Lyon", False),
        (SNCF_QUERY, "Le TGV est en retard", False),
        (ORANGE_QUERY, "Panne de fibre chez Orange depuis ce matin, aucun réseau", True),
        (ORANGE_QUERY, "@sosh_fr plus de réseau à Lyon depuis 2h", True),
        (ORANGE_QUERY, "Orange: le réseau mobile est saturé", True),
        (ORANGE_QUERY, "Un jus d'orange et une panne de réveil", False),
        (ORANGE_QUERY, "Une orangeade et une panne de réveil", False),
        (ORANGE_QUERY, "J'adore Orange", False),
        (AIR_FRANCE_QUERY, "Vol AF1234 annulé, Air France ne rembourse pas", True),
        (AIR_FRANCE_QUERY, "Lost my luggage again #AirFrance @airfrance", True),
        (AIR_FRANCE_QUERY, "Grève d'Air-France demain", True),
        (AIR_FRANCE_QUERY, "Air quality in France is bad today", False),
    ],
)
def test_real_brand_queries(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


def test_exclusions_after_or_only_apply_to_the_last_branch() -> None:
    # AND binds tighter than OR, so without parentheses '-emploi' belongs to the "TGV inOui" branch only.
    query = parse_query('"SNCF" OR ouigo OR "TGV inOui" -job -emploi')
    assert query.matches(prepare_document("La SNCF recrute : offres d'emploi"))
    assert not query.matches(prepare_document("TGV inOui : offres d'emploi à bord"))


# --- explanations -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        (SNCF_QUERY, "TGV inOui en retard, merci la SNCF", ["SNCF", "TGV inOui"]),
        (SNCF_QUERY, "Mon ouigo est annulé", ["ouigo"]),
        (ORANGE_QUERY, "Panne de fibre chez Orange", ["orange", "panne", "fibre"]),
        (AIR_FRANCE_QUERY, "#AirFrance strike", ["airfrance"]),  # same word written twice: listed once
        ("rembours* OR scandal*", "Scandaleux, remboursez-moi !", ["rembours*", "scandal*"]),
        ("sncf -emploi", "sncf emploi", ["sncf"]),  # excluded words are never explanations
        ("sncf NOT (NOT retard)", "sncf retard", ["sncf", "retard"]),  # a double negation is positive
        ("sncf lang:fr", "sncf", ["sncf"]),
        ("sncf", "ouigo", []),
    ],
)
def test_matched_terms_lists_positive_terms_found_in_query_order(query: str, text: str, expected: list[str]) -> None:
    assert parse_query(query).matched_terms(prepare_document(text, "fr")) == expected


# --- language filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("sncf lang:fr", "fr", True),
        ("sncf lang:fr", "fr-FR", True),
        ("sncf lang:fr", "en", False),
        ("sncf lang:fr", None, False),  # unknown language never satisfies a lang: term
        ("sncf lang:FR", "fr", True),
        ("sncf -lang:en", "fr", True),
        ("sncf -lang:en", "en", False),
        ("sncf -lang:en", None, True),
        ("sncf (lang:fr OR lang:en)", "en", True),
        ("sncf (lang:fr OR lang:en)", "de", False),
    ],
)
def test_lang_term_filters_on_document_language(query: str, lang: str | None, expected: bool) -> None:
    assert matches(query, "Grève SNCF demain", lang) is expected


@pytest.mark.parametrize(
    ("languages", "lang", "expected"),
    [
        (None, "de", True),
        ([], "de", True),
        (["fr", "en"], "fr", True),
        (["fr", "en"], "en", True),
        (["fr", "en"], "de", False),
        (["fr"], None, True),  # the language may be unknown: do not lose the mention
        (["FR"], "fr", True),
        (["fr-FR"], "fr", True),
    ],
)
def test_brand_language_list(languages: list[str] | None, lang: str | None, expected: bool) -> None:
    doc = prepare_document("Grève SNCF demain", lang)
    assert brand_matches(parse_query("sncf"), doc, languages) is expected


def test_brand_matches_still_requires_the_query() -> None:
    doc = prepare_document("Grève à la RATP", "fr")
    assert not brand_matches(parse_query("sncf"), doc, ["fr"])


# --- errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("(sncf", 0, "unbalanced parenthesis: '(' at position 0 is never closed"),
        ("sncf OR (tgv", 8, "unbalanced parenthesis: '(' at position 8 is never closed"),
        ("(", 0, "unbalanced parenthesis: '(' at position 0 is never closed"),
        ("sncf)", 4, "unbalanced parenthesis: ')' at position 4 has no matching '('"),
        (")", 0, "unbalanced parenthesis: ')' at position 0 has no matching '('"),
        ("(sncf))", 6, "unbalanced parenthesis: ')' at position 6 has no matching '('"),
        ("sncf OR", 5, "expected a term after 'OR' at position 5"),
        ("sncf AND", 5, "expected a term after 'AND' at position 5"),
        ("AND sncf", 0, "expected a term before 'AND' at position 0"),
        ("OR sncf", 0, "expected a term before 'OR' at position 0"),
        ("(OR sncf)", 1, "expected a term before 'OR' at position 1"),
        ("sncf AND AND tgv", 9, "expected a term after 'AND' at position 5, but found 'AND' at position 9"),
        ("sncf OR OR tgv", 8, "expected a term after 'OR' at position 5, but found 'OR' at position 8"),
        ("(sncf OR )", 9, "expected a term after 'OR' at position 6, but found ')' at position 9"),
        ('"sncf', 0, "unterminated quote starting at position 0"),
        ('sncf OR "tgv inoui', 8, "unterminated quote starting at position 8"),
        ("", 0, "empty query"),
        ("   ", 0, "empty query"),
        ("NOT", 0, "expected a term after 'NOT' at position 0"),
        ("sncf NOT", 5, "expected a term after 'NOT' at position 5"),
        ("-", 0, "expected a term after '-' at position 0"),
        ("sncf -", 5, "expected a term after '-' at position 5"),
        ("()", 0, "empty parentheses at position 0"),
        ('""', 0, "empty phrase at position 0"),
        ('sncf " "', 5, "empty phrase at position 5"),
        ("-foo", 0, "nothing to look for at position 0"),
        ("NOT emploi", 0, "nothing to look for at position 0"),
        ("-job -emploi", 0, "nothing to look for at position 0"),
        ("sncf OR -emploi", 8, "nothing to look for at position 8"),
        ("lang:fr", 0, "nothing to look for at position 0"),
        ("lang:fr -emploi", 0, "nothing to look for at position 0"),
        ("re*bours", 2, "misplaced '*' in 're*bours' at position 2"),
        ('"rem*b moi"', 4, "misplaced '*' in 'rem*b' at position 4"),
        ("a*", 0, "'a*' at position 0 is too short"),
        ("sncf *", 5, "'*' at position 5 is too short"),
        ("🚄", 0, "'🚄' at position 0 has no letters or digits to look for"),
        ("sncf lang:french", 5, "unknown language in 'lang:french' at position 5"),
        ("sncf lang:", 5, "unknown language in 'lang:' at position 5"),
    ],
)
def test_invalid_queries_say_where_and_why(query: str, position: int, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


def test_error_messages_are_sentences_with_a_hint() -> None:
    with pytest.raises(QueryError, match=r"add the closing \" after the phrase"):
        parse_query('"Air France')
    with pytest.raises(QueryError, match="add a word or phrase to look for"):
        parse_query("-emploi")
    with pytest.raises(QueryError, match="a '\\*' can only end a word"):
        parse_query("rem*bours")


def test_query_error_survives_pickling() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("(sncf")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (str(copy), copy.position) == (str(caught.value), 0)


# --- the compiled object ----------------------------------------------------------------------------------


def test_query_is_immutable_and_comparable() -> None:
    query = parse_query("sncf OR ouigo")
    assert isinstance(query, Query)
    assert query.source == "sncf OR ouigo"
    with pytest.raises(AttributeError):
        query.source = "tgv"  # type: ignore[misc]
    assert parse_query("sncf OR ouigo") == query
    assert hash(parse_query("sncf OR ouigo")) == hash(query)


def test_document_is_immutable() -> None:
    doc = prepare_document("sncf")
    assert isinstance(doc, MatchDocument)
    with pytest.raises(AttributeError):
        doc.lang = "fr"  # type: ignore[misc]


def test_one_document_against_many_queries() -> None:
    doc = prepare_document("Vol Air France annulé, et Orange coupe la fibre : journée de 💩", "fr")
    brands = {
        "sncf": parse_query(SNCF_QUERY),
        "orange": parse_query(ORANGE_QUERY),
        "air france": parse_query(AIR_FRANCE_QUERY),
    }
    assert [name for name, query in brands.items() if query.matches(doc)] == ["orange", "air france"]


def test_phrase_at_the_very_end_and_start_of_a_long_text() -> None:
    filler = " ".join(["bla"] * 500)
    assert matches('"air france"', f"air france {filler}")
    assert matches('"air france"', f"{filler} air france")
    assert not matches('"air france"', f"air {filler} france")
