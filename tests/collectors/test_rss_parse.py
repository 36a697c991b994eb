"""parse_feed on recorded feeds (tests/fixtures/rss), and the rss collector against a live server."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from collectors.base import FetchError, FetchLimits, SourceState
from collectors.http import Fetcher, make_client
from collectors.rss import (
    PROLOG_SCAN_BYTES,
    ParsedFeed,
    RssCollector,
    normalize_language,
    parse_feed,
    refuse_entity_declarations,
)
from tests.feedserver import FeedServer

Fixture = Callable[[str], bytes]
NOW = datetime(2025, 3, 17, 12, 0, tzinfo=UTC)


def parse(
    body: bytes,
    base_url: str = "https://feeds.example.fr/rss.xml",
    response_headers: dict[str, str] | None = None,
) -> ParsedFeed:
    """parse_feed at a fixed "now", so that date checks do not depend on the day the tests run."""
    return parse_feed(body, base_url=base_url, response_headers=response_headers, now=NOW)


def rss(items: str, channel: str = "<language>fr</language>") -> bytes:
    """A small RSS 2.0 document around `items`, for edge cases no recorded feed shows."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Veille</title>'
        f"<link>https://feeds.example.fr/</link><description>Tests</description>{channel}{items}"
        "</channel></rss>"
    ).encode()


# -- recorded feeds -----------------------------------------------------------------------------------


def test_google_news_items_name_the_publisher_as_author_and_drop_it_from_the_title(
    rss_fixture: Fixture,
) -> None:
    feed = parse(rss_fixture("google_news_fr.xml"), "https://news.google.com/rss/search?q=SNCF&hl=fr")
    assert len(feed.drafts) == 8
    assert feed.error is None
    assert feed.language == "fr"
    first = feed.drafts[0]
    assert first.title == "Grève SNCF : le trafic des TGV fortement perturbé ce lundi"
    assert first.author == "Le Parisien"
    assert first.url is not None and first.url.startswith("https://news.google.com/rss/articles/CBMiowFBVV95")
    assert first.external_id.startswith("CBMiowFBVV95") and "?" not in first.external_id
    assert first.published_at == datetime(2025, 3, 17, 7, 12, tzinfo=UTC)
    assert first.lang == "fr"
    assert "Le Parisien" in first.text and "<a" not in first.text
    assert [d.author for d in feed.drafts][-3:] == ["Ouest-France", "Les Echos", "Le Monde"]
    assert feed.drafts[2].title.endswith("contre la SNCF")  # "- France 3 Régions" removed


def test_le_monde_feed_keeps_each_story_once_with_clean_text_and_absolute_links(rss_fixture: Fixture) -> None:
    feed = parse(rss_fixture("lemonde_rss2.xml"), "https://www.lemonde.fr/economie/rss_full.xml")
    assert len(feed.drafts) == 6  # 7 items, one of them listed twice
    assert feed.ttl_seconds == 3600  # <ttl>60</ttl> minutes
    assert feed.title == "Le Monde.fr - Économie"
    assert feed.language == "fr"  # from fr-FR
    by_title = {d.title.split(" :")[0]: d for d in feed.drafts}

    air_france = by_title["Air France"]
    assert air_france.text.startswith(
        "Le mouvement, lancé par le SNPNC-FO, doit durer jusqu’à mercredi. La compagnie"
    )
    assert "vérifier le statut de leur vol" in air_france.text  # the first copy is kept, not the shorter one
    assert air_france.author == "Le Monde avec AFP"
    assert air_france.published_at == datetime(2025, 3, 17, 9, 15, 4, tzinfo=UTC)  # +0100 → UTC

    sncf = by_title["SNCF"]  # content:encoded, longer than the description, wins
    assert "« C’est une mauvaise nouvelle pour les usagers" in sncf.text
    assert "TGV inOui : +1,5 %\nOuigo : inchangé" in sncf.text
    assert "lmd_tracking" not in sncf.text and "<" not in sncf.text
    assert sncf.author == "Philippe Jacqué"

    orange = by_title["Orange"]  # relative <link>, no <guid>
    assert orange.url == (
        "https://www.lemonde.fr/economie/article/2025/03/16/orange-panne-geante-de-la-fibre-dans-le-grand-est"
        "_6581950_3234.html"
    )
    assert orange.external_id == orange.url

    accor = by_title["Accor relève ses objectifs après une année record pour l’hôtellerie"]
    assert accor.published_at is None  # no <pubDate>
    assert accor.author is None

    eurostar = by_title["Transports"]
    assert "1 milliard d’euros & de nouvelles rames d'ici à 2031" in eurostar.text
    assert all(d.lang == "fr" for d in feed.drafts)


def test_atom_blog_resolves_xml_base_and_keeps_author_names_only(rss_fixture: Fixture) -> None:
    feed = parse(rss_fixture("atom_blog.xml"), "https://www.roadwarrior-notes.com/feed.atom")
    assert [d.url for d in feed.drafts] == [
        "https://www.roadwarrior-notes.com/posts/2025/03/novotel-paris-gare-de-lyon-review/",
        "https://www.roadwarrior-notes.com/posts/2025/03/air-france-lost-luggage/",
        "https://www.roadwarrior-notes.com/fr/articles/2025/03/ibis-styles-lyon-avis/",  # entry xml:base
        "https://www.roadwarrior-notes.com/posts/2025/02/orange-roaming-pass/",
    ]
    novotel, air_france, ibis, orange = feed.drafts
    assert novotel.text.startswith(
        "I expected a bland chain hotel. The Novotel Paris Gare de Lyon turned out"
    )
    assert "Check-in took two minutes." in novotel.text
    assert air_france.title == "Air France lost my luggage — again"
    assert air_france.author == "Megan Carter"  # not "Megan Carter (megan@...)"
    assert ibis.author == "Julien Morel" and ibis.lang == "fr"  # xml:lang="fr" on the entry
    assert ibis.published_at == datetime(2025, 3, 8, 19, 0, tzinfo=UTC)  # from <updated>
    assert (
        ibis.text == "Chambres propres, petit-déjeuner correct, mais une isolation phonique catastrophique."
    )
    assert orange.author == "Megan Carter"  # inherited from the feed's <author>
    assert orange.text.startswith("The Orange Holiday Europe SIM gave me 30 GB for €39.99. Coverage was")
    assert novotel.lang == "en" and feed.language == "en"
    assert (
        novotel.external_id
        == "tag:roadwarrior-notes.com,2025-03-16:/posts/2025/03/novotel-paris-gare-de-lyon-review/"
    )


def test_rdf_rss1_reads_dublin_core_dates_and_the_syndication_period(rss_fixture: Fixture) -> None:
    feed = parse(rss_fixture("rdf_rss1.xml"), "https://www.telecoms-infos.fr/backend.rdf")
    assert len(feed.drafts) == 3
    assert feed.ttl_seconds == 1800  # sy:updatePeriod hourly, sy:updateFrequency 2
    first = feed.drafts[0]
    assert first.title == "Orange : une panne de fibre prive 40 000 foyers bretons d’Internet"
    assert first.published_at == datetime(2025, 3, 17, 6, 42, tzinfo=UTC)
    assert first.author == "Claire Le Goff"
    assert first.lang == "fr"
    assert feed.drafts[2].text.endswith("avant une généralisation prévue en 2026.")  # content:encoded


def test_a_latin1_feed_declared_utf8_is_decoded_sensibly_without_an_error(rss_fixture: Fixture) -> None:
    feed = parse(rss_fixture("latin1_declared_utf8.xml"))
    assert len(feed.drafts) == 3
    assert feed.error is None  # every item is readable: the fix-up is logged, not reported as a failure
    assert feed.title == "L'Est Républicain - Besançon"
    assert (
        feed.drafts[0].title
        == "Orange : les abonnés à la fibre privés d'Internet depuis trois jours à Besançon"
    )
    assert "« On nous répète que c'est réglé, mais rien ne bouge »" in feed.drafts[0].text
    assert not any("\ufffd" in d.title + d.text for d in feed.drafts)


def test_a_windows_1252_feed_keeps_french_punctuation(rss_fixture: Fixture) -> None:
    feed = parse(rss_fixture("windows1252.xml"))
    assert feed.title == "Avis Hôtels – le blog"
    assert [d.title for d in feed.drafts] == [
        "Mercure Lille Centre : « une nuit cauchemardesque »",
        "Novotel Suites Paris : l’accueil à la française qu’on aime",
    ]
    assert "149 € la chambre : l’hôtel" in feed.drafts[0].text and "cœur" in feed.drafts[0].text
    assert feed.drafts[1].text.startswith("Des œufs brouillés")


def test_a_malformed_feed_keeps_its_readable_items_and_says_what_broke(rss_fixture: Fixture) -> None:
    feed = parse(rss_fixture("malformed.xml"))
    assert feed.error == "malformed feed: not well-formed (invalid token) at line 16 — kept 7 readable items"
    assert len(feed.drafts) == 7
    assert feed.drafts[1].title == "Air France & KLM : nos astuces pour voyager moins cher"  # the bare "&"
    assert feed.drafts[-1].title == "Croisière sur le Rhône : ce que personne ne vous dit"  # truncated item


def test_titles_with_markup_and_entities_come_out_as_plain_text(rss_fixture: Fixture) -> None:
    feed = parse(rss_fixture("html_titles.xml"))
    assert [d.title for d in feed.drafts] == [
        "Air France : la grève des PNC se durcit",
        "Orange & SFR : l'accord sur la fibre enfin signé",
        'Accor dévoile sa nouvelle marque d\'hôtels "lifestyle"',
        "SNCF : Ouigo & TGV inOui, le comparatif",
        "Ibis Budget's new rooms: small but smart",
        "Free Mobile : les forfaits < 10 € ont-ils encore un avenir ?",
    ]
    assert feed.title == "Actu Entreprises & Marques"
    assert feed.drafts[3].text == "Prix, confort, bagages : on a tout testé."  # <style> dropped
    assert feed.drafts[4].text == "A look at the chain’s redesigned 12 m² rooms."
    assert feed.drafts[0].external_id == "actu-marques-88121"  # a non-URL guid is kept as written


def test_the_billion_laughs_bomb_is_refused_before_parsing(rss_fixture: Fixture) -> None:
    started = time.perf_counter()
    with pytest.raises(
        FetchError, match=r"declares XML entities \(possible entity-expansion attack\); refused"
    ):
        parse(rss_fixture("billion_laughs.xml"))
    assert time.perf_counter() - started < 0.5


def test_an_html_page_is_not_a_feed(rss_fixture: Fixture) -> None:
    with pytest.raises(FetchError, match="^not a feed: looks like an HTML page$"):
        parse(rss_fixture("not_a_feed.html"))


# -- hostile and odd documents --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0">'
        b"<channel><title>&xxe;</title></channel></rss>",
        b'<?xml version="1.0"?><!-- <rss> --><!DOCTYPE rss [<!ENTITY a "aaaa">]><rss version="2.0"></rss>',
        b'<?xml version="1.0"?><?xml-stylesheet href="<rss>"?><!DOCTYPE rss [<!ENTITY a "b">]><rss/>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE rss [<!ENTITY a "b">]><rss/>'.encode("utf-16"),
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE rss [<!ENTITY a "b">]><rss/>'.encode("utf-16-be"),
    ],
    ids=["external-entity", "fake-root-in-comment", "fake-root-in-pi", "utf16-bom", "utf16-be-no-bom"],
)
def test_entity_declarations_are_refused_however_they_are_dressed(body: bytes) -> None:
    with pytest.raises(FetchError, match="declares XML entities"):
        refuse_entity_declarations(body)


@pytest.mark.parametrize(
    "padding",
    [b"<!DOCTYPE rss [" + b" " * PROLOG_SCAN_BYTES, b"<!-- " + b"x" * PROLOG_SCAN_BYTES + b" -->"],
    ids=["doctype", "comment"],
)
def test_a_prolog_too_long_to_check_is_refused(padding: bytes) -> None:
    body = b'<?xml version="1.0"?>' + padding + b'<!ENTITY a "b">]><rss/>'
    with pytest.raises(FetchError, match=f"^feed prolog longer than {PROLOG_SCAN_BYTES} bytes; refused$"):
        refuse_entity_declarations(body)


def test_the_word_entity_inside_an_article_is_not_an_attack() -> None:
    body = rss(
        "<item><title>XML security 101</title>"
        "<description><![CDATA[Never trust <!ENTITY x>]]></description></item>"
    )
    assert parse(body).drafts[0].text == "Never trust"


def test_an_external_dtd_is_never_fetched(feed_server: FeedServer) -> None:
    feed_server.add("/evil.dtd", b'<!ENTITY secret "leaked">', content_type="application/xml-dtd")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{feed_server.url("/evil.dtd")}">'
        '<rss version="2.0"><channel>'
        "<title>Veille</title><item><title>Orange : panne</title><link>https://x.example/1</link></item>"
        "</channel></rss>"
    ).encode()
    assert [d.title for d in parse(body).drafts] == ["Orange : panne"]
    assert feed_server.hits("/evil.dtd") == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b"   \n ", "empty body"),
        (b'{"items": [{"title": "SNCF"}]}', "looks like JSON"),
        (b"<!-- cached --><html><body>Mercure</body></html>", "looks like an HTML page"),
        (b"Service temporarily unavailable", "no RSS, Atom or RDF root element"),
    ],
)
def test_things_that_are_not_feeds_are_refused_with_the_reason(body: bytes, reason: str) -> None:
    with pytest.raises(FetchError, match=f"^not a feed: {reason}$"):
        parse(body)


def test_a_valid_feed_without_items_is_fine() -> None:
    feed = parse(rss(""))
    assert feed.drafts == [] and feed.error is None and feed.title == "Veille"


def test_a_feed_broken_before_its_first_item_is_an_error() -> None:
    with pytest.raises(FetchError, match="^malformed feed: .* at line 2; no readable items$"):
        parse(b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>A & B</title></channel></rss>')


def test_a_feed_served_as_text_html_is_not_reported_as_broken(rss_fixture: Fixture) -> None:
    feed = parse(rss_fixture("rdf_rss1.xml"), response_headers={"Content-Type": "text/html; charset=utf-8"})
    assert feed.error is None and len(feed.drafts) == 3


def test_dates_in_the_far_future_or_before_the_web_are_dropped() -> None:
    def item(date: str) -> str:
        return f"<item><title>Air France</title><link>https://x.example/{date}</link><pubDate>{date}</pubDate></item>"

    tomorrow = (NOW + timedelta(days=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    next_week = (NOW + timedelta(days=7)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = rss(
        item(tomorrow) + item(next_week) + item("Thu, 01 Jan 1970 00:00:00 GMT") + item("n'importe quand")
    )
    assert [d.published_at for d in parse(body).drafts] == [NOW + timedelta(days=1), None, None, None]


def test_items_without_id_or_link_get_a_stable_content_id() -> None:
    items = (
        "<item><title>SNCF : grève</title><pubDate>Mon, 17 Mar 2025 07:00:00 GMT</pubDate></item>"
        "<item><title>SNCF : reprise</title><pubDate>Mon, 17 Mar 2025 09:00:00 GMT</pubDate></item>"
        "<item><description>Sans titre mais avec du texte</description></item>"
    )
    first, second = parse(rss(items)), parse(rss(items), base_url="https://elsewhere.example/feed")
    ids = [d.external_id for d in first.drafts]
    assert ids == [d.external_id for d in second.drafts]
    assert len(set(ids)) == 3 and all(len(i) == 64 for i in ids)
    assert first.drafts[0].url is None


def test_a_big_feed_is_not_mistaken_for_a_long_prolog() -> None:
    item = "<item><title>SNCF : grève</title><guid>g-{}</guid><description>{}</description></item>"
    body = rss("".join(item.format(i, "texte " * 200) for i in range(100)))
    assert len(body) > PROLOG_SCAN_BYTES and len(parse(body).drafts) == 100


def test_items_with_neither_title_nor_text_are_skipped() -> None:
    assert parse(rss("<item><link>https://x.example/empty</link></item>")).drafts == []


def test_script_links_never_become_urls() -> None:
    body = rss("<item><title>Orange</title><link>javascript:alert(1)</link><guid>o-1</guid></item>")
    assert parse(body).drafts[0].url is None


def test_relative_links_are_resolved_against_the_feed_url() -> None:
    body = rss("<item><title>Accor</title><link>../articles/accor.html</link></item>")
    draft = parse(body, "https://www.example.fr/flux/rss.xml").drafts[0]
    assert draft.url == "https://www.example.fr/articles/accor.html"


@pytest.mark.parametrize(
    ("tag", "code"),
    [("fr-FR", "fr"), ("en_us", "en"), ("FR", "fr"), ("fre", "fr"), ("eng", "en"), ("de-DE-1996", "de"),
     ("", None), (None, None), ("x-default", None), ("français", None), ("zzz", None)],
)  # fmt: skip
def test_language_tags_are_normalized_to_two_letters(tag: str | None, code: str | None) -> None:
    assert normalize_language(tag) == code


# -- the collector --------------------------------------------------------------------------------------


def test_the_collector_validates_its_source() -> None:
    collector = RssCollector()
    collector.validate("https://www.lemonde.fr/economie/rss_full.xml", {})
    collector.validate("http://news.example/feed", {"language": "fr"})
    for url, params, message in [
        (None, {}, "needs a url"),
        ("ftp://files.example/feed.xml", {}, "http or https"),
        ("/relative/feed.xml", {}, "http or https"),
        ("https://x.example/feed", {"query": "SNCF"}, "unknown rss parameter"),
        ("https://x.example/feed", {"language": "français"}, "language code"),
        ("https://x.example/feed", {"language": 33}, "language code"),
    ]:
        with pytest.raises(ValueError, match=message):
            collector.validate(url, params)
    assert collector.kind == "rss" and collector.description


def test_the_collector_fetches_then_asks_again_with_the_validators(
    feed_server: FeedServer, rss_fixture: Fixture, local_limits: FetchLimits
) -> None:
    feed_server.add(
        "/economie/rss_full.xml",
        rss_fixture("lemonde_rss2.xml"),
        etag='"lm-6582011"',
        last_modified="Mon, 17 Mar 2025 09:22:41 GMT",
        headers={"Cache-Control": "public, max-age=300"},
    )
    collector = RssCollector()
    state = SourceState(url=feed_server.url("/economie/rss_full.xml"))
    with make_client(local_limits) as client:
        first = collector.collect(state, Fetcher(client, local_limits))
        assert (first.http_status, len(first.drafts), first.error) == (200, 6, None)
        assert (first.etag, first.last_modified) == ('"lm-6582011"', "Mon, 17 Mar 2025 09:22:41 GMT")
        assert (first.ttl_seconds, first.max_age_seconds, first.not_modified) == (3600, 300, False)
        assert first.drafts[2].url is not None and first.drafts[2].url.startswith(
            feed_server.url("/economie/article/")
        )

        state.etag, state.last_modified = first.etag, first.last_modified
        second = collector.collect(state, Fetcher(client, local_limits))
    assert (second.not_modified, second.http_status, second.drafts) == (True, 304, [])
    assert second.etag == '"lm-6582011"'
    assert feed_server.requests[1].headers["if-none-match"] == '"lm-6582011"'


def test_the_language_hint_fills_in_for_feeds_that_declare_none(
    feed_server: FeedServer, local_limits: FetchLimits
) -> None:
    feed_server.add("/feed", rss("<item><title>SNCF</title><guid>s-1</guid></item>", channel=""))
    state = SourceState(url=feed_server.url("/feed"), params={"language": "fr-FR"})
    with make_client(local_limits) as client:
        outcome = RssCollector().collect(state, Fetcher(client, local_limits))
    assert outcome.drafts[0].lang == "fr"


def test_the_collector_reports_a_partly_readable_feed(
    feed_server: FeedServer, rss_fixture: Fixture, local_limits: FetchLimits
) -> None:
    feed_server.add("/blog/feed", rss_fixture("malformed.xml"))
    with make_client(local_limits) as client:
        outcome = RssCollector().collect(SourceState(url=feed_server.url("/blog/feed")), Fetcher(client, local_limits))
    assert len(outcome.drafts) == 7 and outcome.error is not None and "kept 7 readable items" in outcome.error


def test_the_collector_raises_when_the_server_fails(
    feed_server: FeedServer, local_limits: FetchLimits
) -> None:
    with make_client(local_limits) as client, pytest.raises(FetchError) as caught:
        RssCollector().collect(SourceState(url=feed_server.url("/gone.xml")), Fetcher(client, local_limits))
    assert caught.value.http_status == 404
