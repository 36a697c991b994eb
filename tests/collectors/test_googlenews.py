"""The `googlenews` source kind: pure parsing of recorded feeds, then collection from a faithful fake."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.base import FetchDeferred, FetchError, SourceState
from collectors.googlenews import BLOCK_BACKOFF, LOCALES, PACE, GoogleNewsCollector, parse_news
from collectors.http import LocalPacer, make_client
from tests.collectors.e2e import collect_via_api, collect_via_config
from tests.collectors.fakes.googlenews import GoogleNewsFake
from tests.collectors.fetching import quiet_fetcher as _fetcher
from tests.fakeapi import FakeApi, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "googlenews"
NOW = datetime(2026, 11, 22, tzinfo=UTC)
collector = GoogleNewsCollector()


def _parse(name: str, locale: str = "fr-FR"):
    return parse_news((FIXTURES / name).read_bytes(), locale=locale, now=NOW)


# -- parsing (pure) --------------------------------------------------------------------------------------


def test_parse_names_the_publisher_drops_it_from_the_title_and_drops_the_echoing_description() -> None:
    feed = _parse("search_acme_fr.xml")
    assert feed.error is None and len(feed.drafts) == 9
    first = feed.drafts[0]
    assert first.title == "Panne géante chez Acme : les clients privés de paiement par carte depuis ce matin"
    assert first.author == "Le Parisien"
    assert first.text == ""  # the description was "<a>title</a>&nbsp;&nbsp;<font>Le Parisien</font>"
    assert first.url is not None and first.url.startswith("https://news.google.com/rss/articles/CBMi")
    assert first.url.endswith("?oc=5")
    assert first.external_id.startswith("CBMi") and "?" not in first.external_id  # the guid
    assert first.published_at == datetime(2026, 11, 20, 8, 12, tzinfo=UTC)
    assert (first.lang, first.lang_reliable) == ("fr", False)
    assert [d.author for d in feed.drafts[1:4]] == ["franceinfo", "Ouest-France", "Les Echos"]
    assert feed.drafts[2].title == "« C'est inadmissible » : la colère des clients d'Acme après la panne"
    assert feed.drafts[3].title == "Acme & Visa : un partenariat pour le paiement sans contact"  # &amp; decoded


def test_one_story_from_two_publishers_gets_one_title_and_two_authors() -> None:
    drafts = _parse("search_acme_fr.xml").drafts
    same = [d for d in drafts if d.title == "Acme victime d'une panne informatique, les paiements perturbés"]
    assert [d.author for d in same] == ["Le Figaro", "Boursorama"]
    assert same[0].external_id != same[1].external_id and {d.text for d in same} == {""}


def test_odd_items_an_item_without_source_a_story_cluster_and_one_without_date() -> None:
    drafts = _parse("search_acme_fr.xml").drafts
    no_source = drafts[6]  # no <source>: nothing says which " - X" is a publisher, so the title stays whole
    assert no_source.title == "Acme recrute 300 conseillers à Lille - Emploi" and no_source.author is None
    cluster = drafts[7]  # an <ol> of related headlines: those stay, the echo and "full coverage" link go
    assert cluster.author == "60 Millions de consommateurs"
    assert cluster.text == "Frais bancaires 2027 : qui augmente ses tarifs ? Capital.fr"
    assert drafts[8].published_at is None and drafts[8].author == "BFMTV"


def test_parse_japanese_edition_strips_non_latin_publishers_and_declares_japanese() -> None:
    drafts = _parse("search_acme_ja.xml", locale="ja-JP").drafts
    assert [(d.title, d.author, d.lang) for d in drafts] == [
        ("Acme、日本でサービス障害 決済できず", "日本経済新聞", "ja"),
        ("Acmeのアプリ、約12時間ぶりに復旧「ご迷惑をおかけしました」", "ITmedia", "ja"),
    ]


def test_a_search_without_results_is_an_empty_feed_not_an_error() -> None:
    feed = _parse("search_empty.xml")
    assert feed.drafts == [] and feed.error is None


# -- parameters ------------------------------------------------------------------------------------------


def test_validate_names_the_parameter_at_fault() -> None:
    with pytest.raises(ValueError, match="query: Field required"):
        collector.validate(None, {})
    with pytest.raises(ValueError, match=r"locale: .*unknown Google News edition 'fr-XX'; use one of fr-FR, fr-BE"):
        collector.validate(None, {"query": "acme", "locale": "fr-XX"})
    with pytest.raises(ValueError, match="when: String should match pattern"):
        collector.validate(None, {"query": "acme", "when": "yesterday"})
    with pytest.raises(ValueError, match="colour: unknown parameter"):
        collector.validate(None, {"query": "acme", "colour": "red"})
    with pytest.raises(ValueError, match="takes no url"):
        collector.validate("https://news.google.com/rss/search?q=acme", {"query": "acme"})
    collector.validate(None, {"query": 'acme OR "acme bank"', "locale": "en-GB", "when": "7d"})


def test_locales_map_to_google_editions_and_are_read_leniently() -> None:
    assert LOCALES["fr-FR"] == ("fr", "FR", "FR:fr")
    assert LOCALES["fr-CA"] == ("fr-CA", "CA", "CA:fr") and LOCALES["en-US"] == ("en-US", "US", "US:en")
    assert collector.parse_params({"query": "acme", "locale": "fr_be"}).locale == "fr-BE"
    assert collector.parse_params({"query": "acme"}).locale == "fr-FR"


def test_params_doc_lists_every_parameter() -> None:
    doc = collector.params_doc
    assert doc["query"].endswith("(required)") and "(default 'fr-FR')" in doc["locale"]
    assert set(doc) == {"query", "locale", "when", "api_url"}


# -- against the fake service ----------------------------------------------------------------------------


@pytest.fixture
def gn():
    fake = GoogleNewsFake()
    with FakeApi(fake) as api:
        yield fake, api


def _state(api, **params) -> SourceState:
    return SourceState(url="", params={"query": "acme", "api_url": api.base, **params})


def _poll(state: SourceState, outcome) -> None:
    """What the worker stores between two polls."""
    if not outcome.not_modified:
        state.etag, state.last_modified = outcome.etag, outcome.last_modified
    if outcome.cursor is not None:
        state.cursor = outcome.cursor


def test_the_search_asks_the_edition_of_the_locale_with_the_when_window(gn, local_limits) -> None:
    _, api = gn
    with make_client(local_limits) as client:
        collector.collect(_state(api, locale="fr-CA", when="1d"), _fetcher(local_limits, client))
    request = api.requests[-1]
    assert request.path == "/rss/search"
    assert (request.arg("q"), request.arg("hl"), request.arg("gl"), request.arg("ceid")) == (
        "acme when:1d",
        "fr-CA",
        "CA",
        "CA:fr",
    )


def test_conditional_get_then_only_the_new_item_of_a_changed_feed(gn, local_limits) -> None:
    fake, api = gn
    state = _state(api)
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        assert len(first.drafts) == 9 and first.etag
        assert all(len(i) == 16 for i in first.cursor["seen"])  # digests, not 200-character guids
        _poll(state, first)

        second = collector.collect(state, _fetcher(local_limits, client))
        assert second.not_modified and second.http_status == 304 and second.drafts == []
        assert api.requests[-1].headers["if-none-match"] == first.etag
        _poll(state, second)

        fake.publish("Acme rembourse les frais de la panne", "Le Monde", site="https://www.lemonde.fr")
        third = collector.collect(state, _fetcher(local_limits, client))
    assert [(d.title, d.author) for d in third.drafts] == [("Acme rembourse les frais de la panne", "Le Monde")]
    assert third.etag != first.etag and len(third.cursor["seen"]) == 10


def test_a_consent_page_served_with_200_is_an_error_that_holds_every_googlenews_source(gn, local_limits) -> None:
    fake, api = gn
    fake.block("consent")
    pacer = LocalPacer()
    with make_client(local_limits) as client:
        with pytest.raises(FetchError, match="cookie consent or 'unusual traffic'") as caught:
            collector.collect(_state(api), _fetcher(local_limits, client, pacer))
        assert caught.value.retry_after == BLOCK_BACKOFF and caught.value.http_status == 200
        with pytest.raises(FetchDeferred):
            collector.collect(_state(api, query="other"), _fetcher(local_limits, client, pacer))
    assert len(api.requests) == 1


def test_the_sorry_captcha_after_a_redirect_is_a_429_that_holds_the_host(gn, local_limits) -> None:
    fake, api = gn
    fake.block("sorry")
    pacer = LocalPacer()
    with make_client(local_limits) as client:
        with pytest.raises(FetchError, match="HTTP 429.*'unusual traffic' check") as caught:
            collector.collect(_state(api), _fetcher(local_limits, client, pacer))
        assert (caught.value.http_status, caught.value.retry_after) == (429, BLOCK_BACKOFF)
        with pytest.raises(FetchDeferred):
            collector.collect(_state(api), _fetcher(local_limits, client, pacer))
    assert api.paths() == ["/rss/search", "/sorry/index"]


def test_a_429_with_retry_after_keeps_the_servers_delay(gn, local_limits) -> None:
    _, api = gn
    api.fail_next(1, Reply.html_error(429, retry_after=120))
    with make_client(local_limits) as client, pytest.raises(FetchError) as caught:
        collector.collect(_state(api), _fetcher(local_limits, client))
    assert (caught.value.http_status, caught.value.retry_after) == (429, 120)


def test_requests_to_the_host_are_spaced_by_the_pace_across_sources(gn, local_limits) -> None:
    _, api = gn
    sleeps: list[float] = []
    clock = [1000.0]
    pacer = LocalPacer(clock=lambda: clock[0])
    with make_client(local_limits) as client:
        for locale in ("fr-FR", "fr-BE", "en-GB"):
            collector.collect(_state(api, locale=locale), _fetcher(local_limits, client, pacer, sleeps))
    assert sleeps == [PACE, 2 * PACE]


# -- end to end: API and config file, real worker, real database -------------------------------------------


@pytest.mark.parametrize("how", ["api", "config"])
def test_a_googlenews_source_collects_end_to_end(how, gn, client, engine, settings, tmp_path) -> None:
    fake, api = gn
    fake.publish("Acme : la panne est réparée", "Le Parisien", at=time.time() - 600)
    params = {"query": "acme", "locale": "fr-FR", "api_url": api.base}
    if how == "api":
        found = collect_via_api(client, engine, settings, kind="googlenews", params=params)
    else:
        found = collect_via_config(tmp_path, client, engine, settings, kind="googlenews", params=params)
    titles = sorted(m["title"] for m in found)
    # 10 items; the same AFP story from Le Figaro and Boursorama has one title, so it is stored once.
    assert len(found) == 9 and titles.count("Acme victime d'une panne informatique, les paiements perturbés") == 1
    fixed = next(m for m in found if m["title"] == "Acme : la panne est réparée")
    assert fixed["author"] == "Le Parisien" and fixed["lang"] == "fr"
    assert len(api.requests) == 1
