"""The `reddit` source kind: pure parsing of recorded payloads, then collection from a faithful fake."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.base import FetchDeferred, FetchError, SourceState
from collectors.http import LocalPacer, make_client
from collectors.reddit import PACE, THROTTLE_WAIT, RedditCollector, parse_listing
from tests.collectors.e2e import collect_via_api, collect_via_config
from tests.collectors.fakes.reddit import RedditFake, blocked, too_many_requests
from tests.collectors.fetching import quiet_fetcher as _fetcher
from tests.fakeapi import FakeApi, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reddit"
NOW = datetime(2026, 11, 21, tzinfo=UTC)
collector = RedditCollector()


def _recorded() -> dict:
    return json.loads((FIXTURES / "search_new.json").read_text(encoding="utf-8"))


# -- parsing (pure) --------------------------------------------------------------------------------------


def test_parse_turns_posts_into_drafts_with_engagement_and_permalink() -> None:
    drafts = {d.external_id: d for d in parse_listing(_recorded(), NOW)}
    assert set(drafts) == {
        "reddit:t3_1gx9k2p",
        "reddit:t3_1gx8zzq",
        "reddit:t3_1gx8m01",
        "reddit:t3_1gx7q3a",
        "reddit:t3_1gx7a11",
        "reddit:t3_1gx6nsf",
        "reddit:t3_1gx5old",
    }
    post = drafts["reddit:t3_1gx9k2p"]
    assert post.title == "Panne Acme : impossible de se connecter depuis ce matin"
    assert (
        post.url == "https://www.reddit.com/r/france/comments/1gx9k2p/panne_acme_impossible_de_se_connecter_depuis_ce/"
    )
    assert post.engagement == {"score": 248, "comments": 97}
    assert post.author == "camille_lyon" and post.author_reach is None
    assert post.published_at == datetime(2026, 11, 20, 9, 12, 44, tzinfo=UTC)
    assert "« erreur réseau »" in post.text and "Édit : ça revient à Lyon." in post.text
    assert "\u200b" not in post.text and "&#x200B;" not in post.text  # the rich editor's empty paragraph


def test_parse_link_post_takes_its_link_as_text_and_keeps_the_reddit_discussion_as_url() -> None:
    link = {d.external_id: d for d in parse_listing(_recorded(), NOW)}["reddit:t3_1gx8zzq"]
    assert link.text == "https://status.acme.example/incidents/abc"
    assert link.url == "https://www.reddit.com/r/sysadmin/comments/1gx8zzq/acme_cloud_status_major_outage_in_euwest/"
    assert link.engagement == {"score": 1532, "comments": 412}


def test_parse_deleted_posts_non_latin_text_and_markdown_that_looks_like_html() -> None:
    drafts = {d.external_id: d for d in parse_listing(_recorded(), NOW)}
    deleted = drafts["reddit:t3_1gx8m01"]
    assert deleted.author is None and deleted.text == "" and deleted.title == "[deleted by user]"
    japanese = drafts["reddit:t3_1gx7q3a"]
    assert japanese.title == "Acmeのサービスが東京で止まっています"
    assert japanese.text == "ログインできません。Acme support says <maintenance> & nothing else."  # Markdown, not HTML
    arabic = drafts["reddit:t3_1gx7a11"]
    assert arabic.title == "انقطاع خدمة Acme في الرياض" and arabic.text == "هل الخدمة متوقفة عند أحد غيري؟"
    broken = drafts["reddit:t3_1gx5old"]  # created_utc is not a number, counts are null
    assert broken.published_at is None and broken.engagement == {}
    assert broken.title == "Acme <3 & friends: a thread"


def test_parse_leaves_out_nsfw_posts_when_asked() -> None:
    ids = {d.external_id for d in parse_listing(_recorded(), NOW, include_over_18=False)}
    assert "reddit:t3_1gx6nsf" not in ids and "reddit:t3_1gx9k2p" in ids


def test_parse_finds_the_posts_in_a_multi_type_answer_and_refuses_what_is_not_a_listing() -> None:
    subreddits = {"kind": "Listing", "data": {"after": None, "children": [{"kind": "t5", "data": {"id": "x"}}]}}
    assert [d.external_id for d in parse_listing([subreddits, _recorded()], NOW)][0] == "reddit:t3_1gx9k2p"
    with pytest.raises(FetchError, match="not a Listing"):
        parse_listing({"kind": "t3", "data": {}})
    with pytest.raises(FetchError, match="Forbidden"):
        parse_listing({"message": "Forbidden", "error": 403})
    with pytest.raises(FetchError, match="no `children` list"):
        parse_listing({"kind": "Listing", "data": {"after": None}})


# -- parameters ------------------------------------------------------------------------------------------


def test_validate_names_the_parameter_at_fault() -> None:
    with pytest.raises(ValueError, match="query: Field required"):
        collector.validate(None, {})
    with pytest.raises(ValueError, match="sort: unknown parameter"):
        collector.validate(None, {"query": "acme", "sort": "hot"})
    with pytest.raises(ValueError, match="subreddit: String should match pattern"):
        collector.validate(None, {"query": "acme", "subreddit": "r/france"})
    with pytest.raises(ValueError, match="max_pages: Input should be less than or equal to 10"):
        collector.validate(None, {"query": "acme", "max_pages": 50})
    with pytest.raises(ValueError, match="include_over_18: Input should be a valid boolean"):
        collector.validate(None, {"query": "acme", "include_over_18": "yes"})
    with pytest.raises(ValueError, match="takes no url"):
        collector.validate("https://www.reddit.com/r/france", {"query": "acme"})
    collector.validate(None, {"query": "acme", "subreddit": "france+sysadmin", "max_pages": 3})


def test_params_doc_lists_every_parameter_with_default_or_required() -> None:
    doc = collector.params_doc
    assert doc["query"].endswith("(required)")
    assert "(default 'https://www.reddit.com')" in doc["api_url"]
    assert set(doc) == {"query", "subreddit", "include_over_18", "lookback_hours", "max_pages", "api_url"}


# -- against the fake service ----------------------------------------------------------------------------


@pytest.fixture
def reddit():
    fake = RedditFake()
    with FakeApi(fake) as api:
        yield fake, api


def test_collect_follows_after_then_only_gets_what_is_new(reddit, local_limits) -> None:
    fake, api = reddit
    now = int(time.time())
    for i in range(230):
        fake.add_post(f"Acme post {i}", at=now - 3600 + i)
    fake.add_post("Unrelated", at=now - 10)
    state = SourceState(url="", params={"query": "acme", "api_url": api.base, "max_pages": 5})
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        assert len(first.drafts) == 230 and first.error is None
        assert [r.arg("after") for r in api.requests] == [None, "t3_" + _name(fake, 100), "t3_" + _name(fake, 200)]
        assert all(r.arg("sort") == "new" and r.arg("raw_json") == "1" for r in api.requests)
        assert all(r.arg("limit") == "100" for r in api.requests)
        assert all(r.path == "/search.json" and r.arg("restrict_sr") is None for r in api.requests)
        assert "Vigie-test" in api.requests[0].headers["user-agent"]
        state.cursor = first.cursor
        assert state.cursor["since"] == now - 3600 + 229

        fake.add_post("Acme in the same second", at=now - 3600 + 229)
        fake.add_post("Acme again", at=now - 5)
        second = collector.collect(state, _fetcher(local_limits, client))
    assert sorted(d.title for d in second.drafts) == ["Acme again", "Acme in the same second"]
    assert len(api.requests) == 4  # the first page already reached the cursor


def _name(fake: RedditFake, index: int) -> str:
    """Id of the `index`-th matching post, newest first (the `after` of the page that ends just before it)."""
    matching = [p for p in fake.posts if "acme" in p["title"].lower()]
    return matching[index - 1]["id"]


def test_a_subreddit_source_searches_inside_it_only(reddit, local_limits) -> None:
    fake, api = reddit
    fake.add_post("Acme en panne", subreddit="france")
    fake.add_post("Acme is down", subreddit="sysadmin")
    state = SourceState(url="", params={"query": "acme", "api_url": api.base, "subreddit": "france"})
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client))
    assert [d.title for d in outcome.drafts] == ["Acme en panne"]
    assert api.requests[0].path == "/r/france/search.json" and api.requests[0].arg("restrict_sr") == "on"


def test_an_unknown_subreddit_is_a_clear_error_not_an_empty_result(reddit, local_limits) -> None:
    _, api = reddit
    state = SourceState(url="", params={"query": "acme", "api_url": api.base, "subreddit": "nosuchsub"})
    with make_client(local_limits) as client, pytest.raises(FetchError, match="r/nosuchsub does not exist"):
        collector.collect(state, _fetcher(local_limits, client))


def test_nsfw_posts_are_asked_for_unless_excluded(reddit, local_limits) -> None:
    fake, api = reddit
    fake.add_post("Acme swearing", over_18=True)
    fake.add_post("Acme polite")
    with make_client(local_limits) as client:
        kept = collector.collect(
            SourceState(url="", params={"query": "acme", "api_url": api.base}), _fetcher(local_limits, client)
        )
        left = collector.collect(
            SourceState(url="", params={"query": "acme", "api_url": api.base, "include_over_18": False}),
            _fetcher(local_limits, client),
        )
    assert len(kept.drafts) == 2 and [d.title for d in left.drafts] == ["Acme polite"]
    assert api.requests[0].arg("include_over_18") == "on" and api.requests[1].arg("include_over_18") is None


def test_first_poll_looks_back_lookback_hours(reddit, local_limits) -> None:
    fake, api = reddit
    now = int(time.time())
    fake.add_post("Acme old", at=now - 3 * 3600)
    fake.add_post("Acme recent", at=now - 600)
    state = SourceState(url="", params={"query": "acme", "api_url": api.base, "lookback_hours": 2})
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client))
    assert [d.title for d in outcome.drafts] == ["Acme recent"]


def test_an_exhausted_rate_limit_window_stops_paging_and_holds_the_host_until_it_resets(local_limits) -> None:
    fake = RedditFake(window=2, reset=300)
    now = int(time.time())
    for i in range(250):
        fake.add_post(f"Acme {i}", at=now - 3000 + i)
    pacer = LocalPacer()
    with FakeApi(fake) as api, make_client(local_limits) as client:
        state = SourceState(url="", params={"query": "acme", "api_url": api.base, "max_pages": 5})
        outcome = collector.collect(state, _fetcher(local_limits, client, pacer))
        assert len(api.requests) == 2 and len(outcome.drafts) == 200  # x-ratelimit-remaining: 0.0 after the 2nd
        assert outcome.error is None
        # The poll was cut short: the cursor stays, the ids read are remembered for the next poll.
        assert outcome.cursor["since"] < now - 3000 and len(outcome.cursor["seen"]) == 200
        with pytest.raises(FetchDeferred) as deferred:
            collector.collect(state, _fetcher(local_limits, client, pacer))
        assert deferred.value.retry_after >= 290 and len(api.requests) == 2

        fake.window = 100  # the window reset: the next poll finishes the job without storing twice
        state.cursor = outcome.cursor
        rest = collector.collect(state, _fetcher(local_limits, client))
    assert sorted(int(d.title.split()[1]) for d in rest.drafts) == list(range(0, 50))


def test_a_429_without_retry_after_still_keeps_every_source_away(reddit, local_limits) -> None:
    _, api = reddit
    api.fail_next(1, too_many_requests())
    pacer = LocalPacer()
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        with pytest.raises(FetchError, match="rate limit") as caught:
            collector.collect(state, _fetcher(local_limits, client, pacer))
        assert caught.value.http_status == 429 and caught.value.retry_after == THROTTLE_WAIT
        with pytest.raises(FetchDeferred):
            collector.collect(state, _fetcher(local_limits, client, pacer))
    assert len(api.requests) == 1


def test_a_429_with_retry_after_holds_the_host_that_long(reddit, local_limits) -> None:
    _, api = reddit
    api.fail_next(1, Reply.html_error(429, retry_after=120))
    pacer = LocalPacer()
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        with pytest.raises(FetchError) as caught:
            collector.collect(state, _fetcher(local_limits, client, pacer))
        assert caught.value.retry_after == 120
        with pytest.raises(FetchDeferred) as deferred:
            collector.collect(state, _fetcher(local_limits, client, pacer))
    assert deferred.value.retry_after >= 100


def test_a_403_block_page_is_an_error_that_says_why(reddit, local_limits) -> None:
    _, api = reddit
    api.fail_next(1, blocked())
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client, pytest.raises(FetchError, match="blocks some networks") as caught:
        collector.collect(state, _fetcher(local_limits, client))
    assert caught.value.http_status == 403


def test_an_html_page_with_status_200_is_an_error_not_an_empty_result(reddit, local_limits) -> None:
    _, api = reddit
    api.fail_next(1, Reply.raw(b"<!DOCTYPE html><html><body>whoa there, pardner!</body></html>", "text/html"))
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client, pytest.raises(FetchError, match="HTML"):
        collector.collect(state, _fetcher(local_limits, client))


def test_an_error_on_a_later_page_keeps_what_was_read_and_the_cursor_in_place(reddit, local_limits) -> None:
    fake, api = reddit
    now = int(time.time())
    for i in range(150):
        fake.add_post(f"Acme {i}", at=now - 3000 + i)
    first_page_only = fake.handle
    fake.handle = lambda request: blocked() if request.arg("after") else first_page_only(request)
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client))
    assert len(outcome.drafts) == 100 and "HTTP 403" in (outcome.error or "")  # a partial read, not a failure
    assert outcome.cursor["since"] < now - 3000 and len(outcome.cursor["seen"]) == 100


def test_requests_to_the_host_are_spaced_by_the_pace_across_sources(reddit, local_limits) -> None:
    fake, api = reddit
    fake.add_post("Acme")
    sleeps: list[float] = []
    clock = [1000.0]
    pacer = LocalPacer(clock=lambda: clock[0])
    with make_client(local_limits) as client:
        for _ in range(3):
            state = SourceState(url="", params={"query": "acme", "api_url": api.base})
            collector.collect(state, _fetcher(local_limits, client, pacer, sleeps))
    assert sleeps == [PACE, 2 * PACE]


# -- end to end: API and config file, real worker, real database -------------------------------------------


def _storm(fake: RedditFake) -> None:
    now = int(time.time())
    fake.add_post("Acme Cloud is down for everyone", at=now - 120, score=300, num_comments=80, subreddit="sysadmin")
    fake.add_post("Panne Acme à Lyon", selftext="Le réseau Acme ne répond plus.", at=now - 60, author="[deleted]")


@pytest.mark.parametrize("how", ["api", "config"])
def test_a_reddit_source_collects_end_to_end(how, reddit, client, engine, settings, tmp_path) -> None:
    fake, api = reddit
    _storm(fake)
    params = {"query": "acme", "api_url": api.base, "max_pages": 1}
    if how == "api":
        found = collect_via_api(client, engine, settings, kind="reddit", params=params)
    else:
        found = collect_via_config(tmp_path, client, engine, settings, kind="reddit", params=params)
    assert sorted(m["title"] for m in found) == ["Acme Cloud is down for everyone", "Panne Acme à Lyon"]
    story = next(m for m in found if m["title"].startswith("Acme Cloud"))
    assert story["engagement"] == {"score": 300, "comments": 80}
    assert len(api.requests) == 1
