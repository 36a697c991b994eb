"""The `stackexchange` source kind: pure parsing of recorded payloads, then collection from a faithful fake."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.config_file import load_config
from collectors.base import FetchDeferred, FetchError, SourceState
from collectors.http import Fetcher, LocalPacer, make_client
from collectors.stackexchange import PACE, StackExchangeCollector, describe_error, next_utc_midnight, parse_items
from tests.collectors.e2e import collect_via_api, collect_via_config
from tests.collectors.fakes.stackexchange import StackExchangeFake, throttle_violation
from tests.collectors.fetching import quiet_fetcher
from tests.fakeapi import FakeApi, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stackexchange"
NOW = datetime(2026, 11, 21, tzinfo=UTC)
collector = StackExchangeCollector()


def _recorded(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# -- parsing (pure) --------------------------------------------------------------------------------------


def test_parse_turns_questions_into_drafts_with_decoded_title_and_body() -> None:
    drafts = {d.external_id: d for d in parse_items(_recorded("search_advanced.json"), "stackoverflow", NOW)}
    assert set(drafts) == {"se:stackoverflow:79201001", "se:stackoverflow:79200900", "se:stackoverflow:98001",
                           "se:stackoverflow:79199999"}  # fmt: skip
    q = drafts["se:stackoverflow:79201001"]
    assert q.title == 'Acme SDK raises "401 Unauthorized" after upgrading to 3.0 & rotating keys'
    assert q.text.startswith(
        "Since Acme's outage this morning, every call fails:\nacme.errors.AuthError: 401 <Unauthorized>"
    )
    assert "<p>" not in q.text and "status page says all good" in q.text
    assert q.author == "Jean-François"  # display names come HTML-escaped
    assert q.author_reach is None  # reputation is not an audience
    assert q.engagement == {"score": 2, "comments": 0, "views": 48}
    assert (
        q.url == "https://stackoverflow.com/questions/79201001/acme-sdk-raises-401-unauthorized-after-upgrading-to-3-0"
    )
    assert q.published_at == datetime(2026, 11, 20, 9, 12, 44, tzinfo=UTC)


def test_parse_survives_deleted_owners_non_latin_text_and_broken_fields() -> None:
    drafts = {d.external_id: d for d in parse_items(_recorded("search_advanced.json"), "stackoverflow", NOW)}
    deleted = drafts["se:stackoverflow:79200900"]  # owner.user_type "does_not_exist": only a display name
    assert deleted.author == "user23145" and deleted.engagement == {"score": 14, "comments": 3, "views": 1250}
    assert deleted.text == "The Acme API times out after 30 s."  # &nbsp; is a space
    japanese = drafts["se:stackoverflow:98001"]
    assert japanese.title == "Acme APIで文字化けが発生する" and japanese.author == "山田 太郎"
    assert "مرحبا Acme" in japanese.text
    assert japanese.engagement == {"comments": 0, "views": 12}  # a negative score is not a count
    broken = drafts["se:stackoverflow:79199999"]  # no owner, dates not numbers, empty body
    assert broken.author is None and broken.published_at is None and broken.text == ""


def test_parse_turns_the_error_wrapper_into_an_error_naming_it() -> None:
    with pytest.raises(FetchError, match="error 502 throttle_violation: too many requests from this IP") as caught:
        parse_items(_recorded("throttle_violation.json"))
    assert "VIGIE_STACKEXCHANGE_KEY" in str(caught.value)
    assert describe_error(_recorded("bad_parameter.json")) == "Stack Exchange error 400 bad_parameter: site is required"
    with pytest.raises(FetchError, match="no `items` list"):
        parse_items({"quota_max": 300})


def test_quota_and_backoff_answers_are_ordinary_wrappers() -> None:
    assert parse_items(_recorded("quota_exhausted.json")) == []
    [draft] = parse_items(_recorded("backoff.json"), "stackoverflow", NOW)
    assert draft.external_id == "se:stackoverflow:79201001"


def test_the_quota_is_assumed_back_at_the_next_utc_midnight() -> None:
    assert next_utc_midnight(datetime(2026, 11, 20, 22, 30, tzinfo=UTC)) == datetime(2026, 11, 21, tzinfo=UTC)


# -- parameters ------------------------------------------------------------------------------------------


def test_validate_names_the_parameter_at_fault() -> None:
    with pytest.raises(ValueError, match="q: Field required"):
        collector.validate(None, {})
    with pytest.raises(ValueError, match="site"):
        collector.validate(None, {"q": "acme", "site": "Stack Overflow"})
    with pytest.raises(ValueError, match="tagged: .*'two words' is not a Stack Exchange tag"):
        collector.validate(None, {"q": "acme", "tagged": ["python", "two words"]})
    with pytest.raises(ValueError, match="tagged"):
        collector.validate(None, {"q": "acme", "tagged": ["a", "b", "c", "d", "e", "f"]})
    with pytest.raises(ValueError, match="tagged"):
        collector.validate(None, {"q": "acme", "tagged": "python"})  # a list, not a string
    with pytest.raises(ValueError, match="colour: unknown parameter"):
        collector.validate(None, {"q": "acme", "colour": "red"})
    with pytest.raises(ValueError, match="takes no url"):
        collector.validate("https://stackoverflow.com", {"q": "acme"})
    with pytest.raises(ValueError, match="'Python' is not a Stack Exchange tag"):
        collector.validate(None, {"q": "acme", "tagged": ["Python"]})
    collector.validate(None, {"q": "acme", "site": "fr.stackoverflow", "tagged": ["c#", "asp.net-core", "c++"]})
    collector.validate(None, {"q": "acme", "site": "ja.stackoverflow", "tagged": ["文字化け"]})


def test_params_doc_lists_every_parameter() -> None:
    doc = collector.params_doc
    assert doc["q"].endswith("(required)")
    assert "(default 'stackoverflow')" in doc["site"]
    assert set(doc) == {"q", "site", "tagged", "lookback_hours", "max_pages", "api_url"}


def test_the_example_config_file_is_valid() -> None:
    config = load_config(Path(__file__).resolve().parents[2] / "examples" / "sources" / "stackexchange.toml")
    assert config.sources and all(s.kind == "stackexchange" for s in config.sources)


# -- against the fake service ----------------------------------------------------------------------------


@pytest.fixture
def se():
    fake = StackExchangeFake()
    with FakeApi(fake) as api:
        yield fake, api


def _fetcher(local_limits, client, pacer=None, sleeps=None, credentials=None) -> Fetcher:
    return quiet_fetcher(local_limits, client, pacer, sleeps, credentials)


def test_collect_pages_through_gzipped_answers_then_only_gets_what_is_new(se, local_limits) -> None:
    fake, api = se
    now = int(time.time())
    for i in range(150):
        fake.add_question(f"Acme question {i}", at=now - 3600 + i)
    fake.add_question("Unrelated", at=now - 10)
    state = SourceState(url="", params={"q": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        assert len(first.drafts) == 150
        assert [r.arg("page") for r in api.requests] == ["1", "2"]
        ask = api.requests[0]
        assert (ask.arg("sort"), ask.arg("order"), ask.arg("filter"), ask.arg("site")) == (
            "creation", "desc", "withbody", "stackoverflow",
        )  # fmt: skip
        assert ask.arg("pagesize") == "100" and ask.arg("key") is None
        assert ask.headers["accept-encoding"] == "gzip"
        state.cursor = first.cursor
        assert state.cursor["since"] == now - 3600 + 149

        fake.add_question("Acme in the same second", at=now - 3600 + 149)
        fake.add_question("Acme again", at=now - 5)
        second = collector.collect(state, _fetcher(local_limits, client))
    assert sorted(d.title for d in second.drafts) == ["Acme again", "Acme in the same second"]
    assert api.requests[-1].arg("fromdate") == str(now - 3600 + 149)


def test_tags_and_key_are_sent(se, local_limits) -> None:
    fake, api = se
    fake.add_question("Acme SDK for Python", tags=["python", "acme"])
    fake.add_question("Acme SDK for Java", tags=["java", "acme"])
    state = SourceState(url="", params={"q": "acme", "tagged": ["python", "acme"], "api_url": api.base})
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client, credentials={"stackexchange_key": "k3y"}))
    assert [d.title for d in outcome.drafts] == ["Acme SDK for Python"]
    assert api.requests[0].arg("tagged") == "python;acme" and api.requests[0].arg("key") == "k3y"


def test_backoff_holds_the_host_for_every_source_and_keeps_the_cursor(se, local_limits) -> None:
    fake, api = se
    now = int(time.time())
    for i in range(120):
        fake.add_question(f"Acme question {i}", at=now - 3600 + i)
    fake.backoff_next = 30
    pacer = LocalPacer()
    state = SourceState(url="", params={"q": "acme", "api_url": api.base}, cursor={"since": now - 7200})
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client, pacer))
        assert len(outcome.drafts) == 100 and len(api.requests) == 1  # no second page during the backoff
        assert outcome.retry_after_seconds == 30
        assert outcome.cursor["since"] == now - 7200  # older pages are still to read next time
        with pytest.raises(FetchDeferred):
            collector.collect(
                SourceState(url="", params={"q": "other", "api_url": api.base}), _fetcher(local_limits, client, pacer)
            )
        state.cursor = outcome.cursor
        later = collector.collect(state, _fetcher(local_limits, client))  # once the backoff is over
    assert len(later.drafts) == 20  # the 100 already returned are skipped
    assert later.cursor["since"] == now - 3600 + 119


def test_a_spent_quota_holds_the_host_until_midnight_utc_and_says_so(se, local_limits, caplog) -> None:
    fake, api = se
    fake.quota_max = 2
    fake.add_question("Acme")
    pacer = LocalPacer()
    state = SourceState(url="", params={"q": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        collector.collect(state, _fetcher(local_limits, client, pacer))  # quota_remaining 1
        state.cursor = {}
        with caplog.at_level("WARNING", logger="collectors.stackexchange"):
            outcome = collector.collect(state, _fetcher(local_limits, client, pacer))  # quota_remaining 0
        assert "daily quota spent" in caplog.text
        assert outcome.retry_after_seconds >= 600
        with pytest.raises(FetchDeferred) as deferred:
            collector.collect(state, _fetcher(local_limits, client, pacer))
    assert deferred.value.retry_after >= 600
    assert len(api.requests) == 2  # nothing was asked once the quota was spent


def test_a_throttle_violation_400_is_an_error_with_the_usual_causes(se, local_limits) -> None:
    _, api = se
    api.fail_next(1, throttle_violation())
    state = SourceState(url="", params={"q": "acme", "api_url": api.base})
    with make_client(local_limits) as client, pytest.raises(FetchError) as caught:
        collector.collect(state, _fetcher(local_limits, client))
    assert caught.value.http_status == 400
    assert "throttle_violation" in str(caught.value) and "VIGIE_STACKEXCHANGE_KEY" in str(caught.value)


def test_an_unknown_site_is_an_error_naming_it(se, local_limits) -> None:
    _, api = se
    state = SourceState(url="", params={"q": "acme", "site": "nosuchsite", "api_url": api.base})
    with make_client(local_limits) as client, pytest.raises(FetchError, match="'nosuchsite'"):
        collector.collect(state, _fetcher(local_limits, client))


def test_429_with_retry_after_403_and_html_pages_are_errors(se, local_limits) -> None:
    _, api = se
    pacer = LocalPacer()
    state = SourceState(url="", params={"q": "acme", "api_url": api.base})
    api.fail_next(1, Reply.html_error(429, retry_after=120))
    with make_client(local_limits) as client:
        with pytest.raises(FetchError) as throttled:
            collector.collect(state, _fetcher(local_limits, client, pacer))
        assert throttled.value.retry_after == 120
        with pytest.raises(FetchDeferred):
            collector.collect(state, _fetcher(local_limits, client, pacer))
        api.fail_next(1, Reply.html_error(403, title="Forbidden"))
        with pytest.raises(FetchError, match="HTTP 403"):
            collector.collect(state, _fetcher(local_limits, client))
        api.fail_next(1, Reply.raw(b"<!DOCTYPE html><html><body>Just a moment...</body></html>", "text/html"))
        with pytest.raises(FetchError, match="HTML"):
            collector.collect(state, _fetcher(local_limits, client))


def test_requests_to_the_host_are_spaced_by_the_pace(se, local_limits) -> None:
    fake, api = se
    fake.add_question("Acme")
    sleeps: list[float] = []
    clock = [1000.0]
    pacer = LocalPacer(clock=lambda: clock[0])
    with make_client(local_limits) as client:
        for _ in range(3):
            state = SourceState(url="", params={"q": "acme", "api_url": api.base})
            collector.collect(state, _fetcher(local_limits, client, pacer, sleeps))
    assert sleeps == [PACE, 2 * PACE]


# -- end to end: API and config file, real worker, real database -------------------------------------------


@pytest.mark.parametrize("how", ["api", "config"])
def test_a_stackexchange_source_collects_end_to_end(how, se, client, engine, settings, tmp_path) -> None:
    fake, api = se
    now = int(time.time())
    fake.add_question("Acme SDK crashes on start & loses data", "<p>Since 3.0 Acme <b>loses</b> my data.</p>",
                      at=now - 120, tags=["python", "acme"], view_count=300, answer_count=2)  # fmt: skip
    fake.add_question("Acme login loop", at=now - 60, tags=["java", "acme"])
    params = {"q": "acme", "tagged": ["python"], "api_url": api.base}
    if how == "api":
        found = collect_via_api(client, engine, settings, kind="stackexchange", params=params)
    else:
        found = collect_via_config(tmp_path, client, engine, settings, kind="stackexchange", params=params)
    [question] = found
    assert question["title"] == "Acme SDK crashes on start & loses data"
    assert question["text"] == "Since 3.0 Acme loses my data."
    assert question["engagement"] == {"score": 0, "comments": 2, "views": 300}
    assert len(api.requests) == 1
