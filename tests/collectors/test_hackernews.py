"""The `hackernews` source kind: pure parsing of recorded payloads, then collection from a faithful fake."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.base import FetchDeferred, FetchError, SourceState
from collectors.hackernews import PACE, HackerNewsCollector, parse_hits
from collectors.http import LocalPacer, make_client
from tests.collectors.e2e import collect_via_api, collect_via_config
from tests.collectors.fakes.hackernews import HackerNewsFake
from tests.collectors.fetching import quiet_fetcher as _fetcher
from tests.fakeapi import FakeApi, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hackernews"
NOW = datetime(2026, 11, 21, tzinfo=UTC)
collector = HackerNewsCollector()


def _recorded() -> dict:
    return json.loads((FIXTURES / "search_by_date.json").read_text(encoding="utf-8"))


# -- parsing (pure) --------------------------------------------------------------------------------------


def test_parse_turns_stories_and_comments_into_drafts_with_engagement() -> None:
    drafts = {d.external_id: d for d in parse_hits(_recorded(), NOW)}
    assert set(drafts) == {"hn:42170107", "hn:42170001", "hn:42169950", "hn:42169990", "hn:42169001"}
    story = drafts["hn:42170001"]
    assert story.title == "Acme Cloud is down"
    assert story.url == "https://news.ycombinator.com/item?id=42170001"
    assert story.engagement == {"points": 612, "comments": 184}
    assert story.author == "throwaway9"
    assert story.published_at == datetime(2026, 11, 20, 8, 50, 1, tzinfo=UTC)
    assert story.text == "https://status.acme.example/incidents/abc"  # a link story: its URL is its text


def test_parse_comment_html_becomes_text_and_takes_its_story_title() -> None:
    comment = {d.external_id: d for d in parse_hits(_recorded(), NOW)}["hn:42170107"]
    assert comment.title == "Re: Acme Cloud is down"
    assert comment.text.startswith("Acme's outage took down our checkout for 3 hours. status.acme.example")
    assert "<" not in comment.text and "&#x27;" not in comment.text
    assert "No refund so far" in comment.text
    assert comment.engagement == {}


def test_parse_keeps_non_latin_text_and_survives_missing_or_broken_fields() -> None:
    drafts = {d.external_id: d for d in parse_hits(_recorded(), NOW)}
    ask = drafts["hn:42169950"]
    assert "東京でAcmeの障害は起きていますか" in ask.text and ask.title.endswith("日本")
    deleted = drafts["hn:42169990"]  # a flagged comment: no author, no story title
    assert deleted.author is None and deleted.title == "Hacker News comment"
    broken = drafts["hn:42169001"]  # created_at_i is not a number, counts are null
    assert broken.published_at is None and broken.engagement == {}
    assert broken.title == "Acme & friends launch"


def test_parse_refuses_an_answer_without_hits() -> None:
    with pytest.raises(FetchError, match="no `hits` list"):
        parse_hits({"message": "Invalid query"})


# -- parameters ------------------------------------------------------------------------------------------


def test_validate_names_the_parameter_at_fault() -> None:
    with pytest.raises(ValueError, match="query: Field required"):
        collector.validate(None, {})
    with pytest.raises(ValueError, match="colour: unknown parameter"):
        collector.validate(None, {"query": "acme", "colour": "red"})
    with pytest.raises(ValueError, match="tags"):
        collector.validate(None, {"query": "acme", "tags": "jobs"})
    with pytest.raises(ValueError, match="max_pages"):
        collector.validate(None, {"query": "acme", "max_pages": 50})
    with pytest.raises(ValueError, match="takes no url"):
        collector.validate("https://news.ycombinator.com", {"query": "acme"})
    collector.validate(None, {"query": "acme", "tags": "story", "max_pages": 2})


def test_params_doc_lists_every_parameter_with_default_or_required() -> None:
    doc = collector.params_doc
    assert doc["query"].endswith("(required)")
    assert "(default 'all')" in doc["tags"]
    assert set(doc) == {"query", "tags", "lookback_hours", "max_pages", "api_url"}


# -- against the fake service ----------------------------------------------------------------------------


@pytest.fixture
def hn():
    fake = HackerNewsFake()
    with FakeApi(fake) as api:
        yield fake, api


def test_collect_pages_through_results_then_only_gets_what_is_new(hn, local_limits) -> None:
    fake, api = hn
    now = int(time.time())
    for i in range(230):
        fake.add_story(f"Acme story {i}", at=now - 3600 + i)
    fake.add_story("Unrelated", at=now - 10)
    state = SourceState(url="", params={"query": "acme", "api_url": api.base, "max_pages": 5})
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        assert len(first.drafts) == 230
        assert [r.arg("page") for r in api.requests] == ["0", "1", "2"]
        assert all(r.arg("tags") == "(story,comment)" for r in api.requests)
        state.cursor = first.cursor
        assert state.cursor["since"] == now - 3600 + 229

        fake.add_comment("Acme support is ignoring me", story_title="Ask HN: Acme", at=now - 3600 + 229)  # same second
        fake.add_story("Acme again", at=now - 5)
        second = collector.collect(state, _fetcher(local_limits, client))
    assert sorted(d.title for d in second.drafts) == ["Acme again", "Re: Ask HN: Acme"]
    assert api.requests[-1].arg("numericFilters") == f"created_at_i>={now - 3600 + 229}"


def test_first_poll_looks_back_lookback_hours(hn, local_limits) -> None:
    fake, api = hn
    now = int(time.time())
    fake.add_story("Acme old", at=now - 3 * 3600)
    fake.add_story("Acme recent", at=now - 600)
    state = SourceState(url="", params={"query": "acme", "api_url": api.base, "lookback_hours": 2})
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client))
    assert [d.title for d in outcome.drafts] == ["Acme recent"]


def test_a_429_with_retry_after_is_an_error_and_holds_the_host_for_every_source(hn, local_limits) -> None:
    fake, api = hn
    fake.add_story("Acme")
    api.fail_next(1, Reply.html_error(429, retry_after=120))
    pacer = LocalPacer()
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        with pytest.raises(FetchError) as caught:
            collector.collect(state, _fetcher(local_limits, client, pacer))
        assert caught.value.http_status == 429 and caught.value.retry_after == 120
        # Another source of the kind does not ask the host before the 120 s are over: it is deferred.
        with pytest.raises(FetchDeferred) as deferred:
            collector.collect(
                SourceState(url="", params={"query": "other", "api_url": api.base}),
                _fetcher(local_limits, client, pacer),
            )
    assert deferred.value.retry_after >= 100
    assert len(api.requests) == 1


def test_an_html_page_with_status_200_is_an_error_not_an_empty_result(hn, local_limits) -> None:
    _, api = hn
    api.fail_next(1, Reply.raw(b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "text/html"))
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client, pytest.raises(FetchError, match="HTML"):
        collector.collect(state, _fetcher(local_limits, client))


def test_requests_to_the_host_are_spaced_by_the_pace_across_sources(hn, local_limits) -> None:
    fake, api = hn
    fake.add_story("Acme")
    sleeps: list[float] = []
    clock = [1000.0]
    pacer = LocalPacer(clock=lambda: clock[0])
    with make_client(local_limits) as client:
        for query in ("acme", "acme", "acme"):
            state = SourceState(url="", params={"query": query, "api_url": api.base})
            collector.collect(state, _fetcher(local_limits, client, pacer, sleeps))
    assert sleeps == [PACE, 2 * PACE]  # the clock stood still: the 2nd and 3rd waited their turns


# -- end to end: API and config file, real worker, real database -------------------------------------------


def _storm(fake: HackerNewsFake) -> None:
    now = int(time.time())
    fake.add_story("Acme Cloud is down for everyone", at=now - 120, points=300, num_comments=80)
    fake.add_comment("Acme lost our data, terrible support", story_title="Acme Cloud is down", at=now - 60)


@pytest.mark.parametrize("how", ["api", "config"])
def test_a_hackernews_source_collects_end_to_end(how, hn, client, engine, settings, tmp_path) -> None:
    fake, api = hn
    _storm(fake)
    params = {"query": "acme", "api_url": api.base}
    if how == "api":
        found = collect_via_api(client, engine, settings, kind="hackernews", params=params)
    else:
        found = collect_via_config(tmp_path, client, engine, settings, kind="hackernews", params=params)
    assert sorted(m["title"] for m in found) == ["Acme Cloud is down for everyone", "Re: Acme Cloud is down"]
    story = next(m for m in found if m["title"].startswith("Acme Cloud"))
    assert story["engagement"] == {"points": 300, "comments": 80}


def test_the_example_config_file_is_valid() -> None:
    from app.config_file import load_config

    config = load_config(Path(__file__).resolve().parents[2] / "examples" / "sources" / "hackernews.toml")
    [source] = config.sources
    assert source.kind == "hackernews" and source.params["query"] == "orange livebox"
