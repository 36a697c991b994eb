"""The `gdelt` source kind: pure parsing of recorded payloads, then collection from a faithful fake."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.config_file import load_config
from collectors.base import FetchDeferred, FetchError, SourceState
from collectors.gdelt import (
    MAX_RECORDS,
    PACE,
    RATE_LIMIT_HOLD,
    GdeltCollector,
    external_id,
    parse_articles,
    read_answer,
)
from collectors.http import Fetcher, LocalPacer, make_client
from tests.collectors.e2e import collect_via_api, collect_via_config
from tests.collectors.fakes.gdelt import GdeltFake, rate_limited, text_error
from tests.collectors.fetching import quiet_fetcher as _fetcher
from tests.fakeapi import FakeApi, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gdelt"
NOW = datetime(2026, 11, 21, tzinfo=UTC)
collector = GdeltCollector()


def _recorded(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# -- parsing (pure) --------------------------------------------------------------------------------------


def test_parse_turns_articles_into_drafts_with_outlet_language_and_seen_date() -> None:
    drafts = {d.url: d for d in parse_articles(read_answer(_recorded("artlist.json")), NOW)}
    assert len(drafts) == 5  # the article without a title and the one without a url are skipped
    monde = drafts[next(u for u in drafts if "lemonde.fr" in u)]
    assert monde.title == "Panne géante chez Acme : les clients privés d internet depuis ce matin"
    assert monde.external_id == f"gdelt:{monde.url}"
    assert monde.author == "lemonde.fr"  # the outlet stands for the author
    assert (monde.lang, monde.lang_reliable) == ("fr", True)
    assert monde.published_at == datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
    assert monde.text == "" and monde.engagement == {}


def test_parse_decodes_entities_keeps_non_latin_titles_and_survives_missing_fields() -> None:
    drafts = {d.author: d for d in parse_articles(read_answer(_recorded("artlist.json")), NOW)}
    assert drafts["reuters.com"].title == "Acme & Partners : cloud outage hits Europe , shares fall"
    assert drafts["nikkei.com"].title == "Acme障害 、東京で通信に影響" and drafts["nikkei.com"].lang == "ja"
    assert drafts["albayan.ae"].title == "انقطاع خدمة Acme في دبي" and drafts["albayan.ae"].lang == "ar"
    malta = drafts["timesofmalta.com"]  # no url_mobile, no sourcecountry, a broken seendate, an unknown language
    assert malta.published_at is None and malta.lang is None and malta.lang_reliable is False


def test_an_empty_object_or_an_empty_body_is_no_article_not_an_error() -> None:
    assert parse_articles(read_answer(_recorded("empty.json"))) == []
    assert parse_articles(read_answer(b"")) == []


def test_raw_control_characters_in_gdelt_json_are_tolerated() -> None:
    [draft] = parse_articles(read_answer(_recorded("control_characters.json")), NOW)
    assert draft.title == "Acme panne : les abonnés en colère"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("rate_limited.txt", "GDELT is rate limiting: 'Please limit requests to one every 5 seconds"),
        ("phrase_too_short.txt", "GDELT refused the query: 'The specified phrase is too short.'"),
        ("or_without_parentheses.txt", "GDELT refused the query: \"Queries containing OR'd terms"),
        ("timespan_too_short.txt", "GDELT refused the query: 'Timespan is too short.'"),
    ],
)
def test_gdelt_plain_text_messages_become_errors_that_quote_them(fixture: str, expected: str) -> None:
    with pytest.raises(FetchError) as caught:
        read_answer(_recorded(fixture))
    assert str(caught.value).startswith(expected)
    assert caught.value.retry_after == (RATE_LIMIT_HOLD if fixture == "rate_limited.txt" else None)


def test_html_pages_and_broken_json_are_errors() -> None:
    with pytest.raises(FetchError, match="HTML page"):
        read_answer(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")
    with pytest.raises(FetchError, match="invalid JSON"):
        read_answer(b'{"articles": [ {"url": ')
    with pytest.raises(FetchError, match="not an object"):
        read_answer(b"[1, 2]")
    with pytest.raises(FetchError, match="not a list"):
        parse_articles({"articles": "none"})


def test_a_very_long_url_gets_a_hashed_external_id() -> None:
    long_url = "https://news.example/" + "a" * 600
    assert external_id(long_url).startswith("gdelt:sha256:") and len(external_id(long_url)) < 512
    assert external_id("https://news.example/x") == "gdelt:https://news.example/x"


# -- parameters ------------------------------------------------------------------------------------------


def test_validate_names_the_parameter_at_fault() -> None:
    with pytest.raises(ValueError, match="query: Field required"):
        collector.validate(None, {})
    with pytest.raises(ValueError, match="language"):
        collector.validate(None, {"query": "acme", "language": "klingon"})
    with pytest.raises(ValueError, match="parentheses"):
        collector.validate(None, {"query": "acme OR acmecorp"})
    with pytest.raises(ValueError, match="use the `language` and `country` parameters"):
        collector.validate(None, {"query": "acme sourcelang:french"})
    with pytest.raises(ValueError, match="country"):
        collector.validate(None, {"query": "acme", "country": "united kingdom"})
    with pytest.raises(ValueError, match="max_pages"):
        collector.validate(None, {"query": "acme", "max_pages": 9})
    with pytest.raises(ValueError, match="colour: unknown parameter"):
        collector.validate(None, {"query": "acme", "colour": "red"})
    with pytest.raises(ValueError, match="takes no url"):
        collector.validate("https://api.gdeltproject.org", {"query": "acme"})
    collector.validate(None, {"query": '(acme OR "acme corp") panne', "language": "french", "country": "FR"})


def test_params_doc_lists_every_parameter() -> None:
    doc = collector.params_doc
    assert doc["query"].endswith("(required)")
    assert "(default 'any')" in doc["language"]
    assert set(doc) == {"query", "language", "country", "lookback_hours", "max_pages", "api_url"}


def test_the_example_config_file_is_valid() -> None:
    config = load_config(Path(__file__).resolve().parents[2] / "examples" / "sources" / "gdelt.toml")
    assert config.sources and all(s.kind == "gdelt" for s in config.sources)


# -- against the fake service ----------------------------------------------------------------------------


@pytest.fixture
def gdelt():
    fake = GdeltFake()
    with FakeApi(fake) as api:
        yield fake, api


def test_collect_pages_back_through_full_answers_then_gets_only_what_is_new(gdelt, local_limits) -> None:
    fake, api = gdelt
    now = int(time.time())
    for i in range(300):
        fake.add_article(f"Acme news {i}", at=now - 3 * 3600 + i * 30)
    fake.add_article("Unrelated story", at=now - 60)
    state = SourceState(url="", params={"query": "acme", "api_url": api.base, "max_pages": 3, "lookback_hours": 4})
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        assert len(first.drafts) == 300
        assert len(api.requests) == 2  # 250, then what is older than the oldest of those
        ask = api.requests[0]
        assert (ask.arg("mode"), ask.arg("format"), ask.arg("sort")) == ("artlist", "json", "datedesc")
        assert ask.arg("maxrecords") == str(MAX_RECORDS)
        assert api.requests[1].arg("enddatetime") < ask.arg("enddatetime")
        newest = now - 3 * 3600 + 299 * 30
        assert first.cursor["since"] == newest
        state.cursor = first.cursor

        fake.add_article("Acme again", at=now - 5)
        second = collector.collect(state, _fetcher(local_limits, client))
    assert [d.title for d in second.drafts] == ["Acme again"]
    # The window of a later poll starts at the cursor or two hours back, whichever is earlier.
    start = datetime.strptime(api.requests[-1].arg("startdatetime"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    assert int(start.timestamp()) <= min(newest, now - 7200 + 5)


def test_language_and_country_become_gdelt_operators(gdelt, local_limits) -> None:
    fake, api = gdelt
    now = int(time.time())
    fake.add_article("Acme en panne", at=now - 600, language="French", domain="lemonde.fr", country="France")
    fake.add_article("Acme outage", at=now - 600, language="English")
    params = {"query": "acme", "language": "french", "country": "FR", "api_url": api.base}
    with make_client(local_limits) as client:
        outcome = collector.collect(SourceState(url="", params=params), _fetcher(local_limits, client))
    assert [d.title for d in outcome.drafts] == ["Acme en panne"]
    assert api.requests[0].arg("query") == "acme sourcelang:french sourcecountry:fr"


def test_no_result_is_an_empty_poll_that_keeps_the_cursor(gdelt, local_limits) -> None:
    _, api = gdelt
    state = SourceState(url="", params={"query": "acme", "api_url": api.base}, cursor={"since": 1795165000})
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client))
    assert outcome.drafts == [] and outcome.error is None
    assert outcome.cursor["since"] == 1795165000


def test_the_rate_limit_text_with_status_200_is_an_error_that_holds_the_host(gdelt, local_limits) -> None:
    fake, api = gdelt
    fake.add_article("Acme")
    api.fail_next(1, rate_limited(200))
    pacer = LocalPacer()
    with make_client(local_limits) as client:
        with pytest.raises(FetchError) as caught:
            collector.collect(
                SourceState(url="", params={"query": "acme", "api_url": api.base}),
                _fetcher(local_limits, client, pacer),
            )
        assert "Please limit requests to one every 5 seconds" in str(caught.value)
        assert caught.value.http_status == 200 and caught.value.retry_after == RATE_LIMIT_HOLD
        with pytest.raises(FetchDeferred):  # every other gdelt source waits
            collector.collect(
                SourceState(url="", params={"query": "other", "api_url": api.base}),
                _fetcher(local_limits, client, pacer),
            )
    assert len(api.requests) == 1


def test_a_429_without_retry_after_still_holds_the_host(gdelt, local_limits) -> None:
    _, api = gdelt
    api.fail_next(1, rate_limited(429))
    pacer = LocalPacer()
    with make_client(local_limits) as client:
        with pytest.raises(FetchError) as caught:
            collector.collect(
                SourceState(url="", params={"query": "acme", "api_url": api.base}),
                _fetcher(local_limits, client, pacer),
            )
        assert caught.value.http_status == 429 and caught.value.retry_after == RATE_LIMIT_HOLD
        assert "every gdelt source waits" in str(caught.value)
        with pytest.raises(FetchDeferred):
            collector.collect(
                SourceState(url="", params={"query": "acme", "api_url": api.base}),
                _fetcher(local_limits, client, pacer),
            )


def test_a_429_with_retry_after_and_a_403_are_errors(gdelt, local_limits) -> None:
    _, api = gdelt
    api.fail_next(1, Reply.html_error(429, retry_after=120))
    api.fail_next(1, Reply.html_error(403, title="Forbidden"))
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        with pytest.raises(FetchError) as throttled:
            collector.collect(state, _fetcher(local_limits, client))
        assert throttled.value.retry_after == 120
        with pytest.raises(FetchError, match="HTTP 403"):
            collector.collect(state, _fetcher(local_limits, client))


def test_an_html_page_with_status_200_is_an_error(gdelt, local_limits) -> None:
    _, api = gdelt
    api.fail_next(1, Reply.raw(b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "text/html"))
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client, pytest.raises(FetchError, match="HTML"):
        collector.collect(state, _fetcher(local_limits, client))


def test_a_query_gdelt_refuses_is_reported_in_gdelt_words(gdelt, local_limits) -> None:
    _, api = gdelt
    state = SourceState(url="", params={"query": '"ac"', "api_url": api.base})
    with make_client(local_limits) as client, pytest.raises(FetchError) as caught:
        collector.collect(state, _fetcher(local_limits, client))
    assert str(caught.value) == "GDELT refused the query: 'The specified phrase is too short.'"
    api.fail_next(1, text_error(b"Timespan is too short.\n"))
    with make_client(local_limits) as client, pytest.raises(FetchError, match="Timespan is too short"):
        collector.collect(
            SourceState(url="", params={"query": "acme", "api_url": api.base}), _fetcher(local_limits, client)
        )


def test_requests_are_spaced_five_seconds_apart_across_sources_as_gdelt_demands(gdelt, local_limits) -> None:
    fake, api = gdelt
    clock = [1000.0]
    fake.min_interval, fake.clock = 5.0, lambda: clock[0]  # the fake refuses anything sooner than 5 s
    fake.add_article("Acme")
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    pacer = LocalPacer(clock=lambda: clock[0])
    with make_client(local_limits) as client:
        for query in ("acme", "acme corp", "acme cloud"):
            state = SourceState(url="", params={"query": query, "api_url": api.base})
            fetcher = Fetcher(client, local_limits, pacer=pacer, sleep=sleep)
            assert collector.collect(state, fetcher).error is None  # never the rate-limit text
    assert PACE == 5.0 and sleeps == [PACE, PACE]


def test_without_pacing_gdelt_answers_its_rate_limit_text(gdelt, local_limits) -> None:
    fake, api = gdelt
    clock = [1000.0]
    fake.min_interval, fake.clock = 5.0, lambda: clock[0]
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        collector.collect(state, _fetcher(local_limits, client))  # a pacer of its own each time: no spacing
        with pytest.raises(FetchError, match="GDELT is rate limiting"):
            collector.collect(state, _fetcher(local_limits, client))


# -- end to end: API and config file, real worker, real database -------------------------------------------


@pytest.mark.parametrize("how", ["api", "config"])
def test_a_gdelt_source_collects_end_to_end(how, gdelt, client, engine, settings, tmp_path) -> None:
    fake, api = gdelt
    now = int(time.time())
    fake.add_article(
        "Panne géante chez Acme : les abonnés en colère", at=now - 900, language="French", domain="lemonde.fr"
    )
    fake.add_article("Acme outage hits Europe", at=now - 1800, domain="reuters.com")
    fake.add_article("Nothing to see here", at=now - 600)
    params = {"query": "acme", "api_url": api.base}
    if how == "api":
        found = collect_via_api(client, engine, settings, kind="gdelt", params=params)
    else:
        found = collect_via_config(tmp_path, client, engine, settings, kind="gdelt", params=params)
    assert sorted(m["title"] for m in found) == [
        "Acme outage hits Europe",
        "Panne géante chez Acme : les abonnés en colère",
    ]
    french = next(m for m in found if m["title"].startswith("Panne"))
    assert french["author"] == "lemonde.fr" and french["lang"] == "fr"
    assert len(api.requests) == 1  # one request: no 5 s pacing wait in the worker
