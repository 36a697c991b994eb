"""The `lemmy` source kind: pure parsing of recorded payloads, then collection from a faithful fake."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.base import FetchDeferred, FetchError, SourceState
from collectors.http import LocalPacer, make_client
from collectors.lemmy import PACE, THROTTLE_WAIT, LemmyCollector, parse_search
from tests.collectors.e2e import collect_via_api, collect_via_config
from tests.collectors.fakes.lemmy import LemmyFake, rate_limited
from tests.collectors.fetching import quiet_fetcher as _fetcher
from tests.fakeapi import FakeApi, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lemmy"
NOW = datetime(2026, 11, 21, tzinfo=UTC)
collector = LemmyCollector()


def _recorded(name: str = "search_all.json") -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _by_id(drafts):
    return {d.external_id.removeprefix("lemmy:"): d for d in drafts}


# -- parsing (pure) --------------------------------------------------------------------------------------


def test_parse_turns_posts_and_comments_into_drafts_keyed_by_their_activitypub_id() -> None:
    drafts = _by_id(parse_search(_recorded(), NOW))
    assert set(drafts) == {
        "https://jlai.lu/post/11093377",
        "https://lemmy.world/post/21488001",
        "https://lemmy.ml/post/20110234",
        "https://lemmy.zip/post/3300112",
        "https://lemmy.world/comment/30112001",
        "https://jlai.lu/comment/9988776",
    }
    post = drafts["https://jlai.lu/post/11093377"]
    assert post.url == "https://jlai.lu/post/11093377"
    assert post.title == "Panne Acme : plus d'internet à Lyon depuis ce matin"
    assert post.text == (
        "L'appli **Acme** affiche « erreur réseau ».\nLe service client ? Injoignable. & la hotline <maintenance> "
        "aussi.\n> Édit : ça revient doucement."
    )
    assert post.author == "camille@jlai.lu" and post.author_reach is None
    assert post.engagement == {"score": 148, "comments": 37}
    assert post.published_at == datetime(2026, 11, 20, 9, 12, 44, 187012, tzinfo=UTC)


def test_parse_link_posts_comments_and_non_latin_text() -> None:
    drafts = _by_id(parse_search(_recorded(), NOW))
    link = drafts["https://lemmy.world/post/21488001"]  # no body at all: the field is absent
    assert link.text == "https://status.acme.example/incidents/abc" and link.engagement == {
        "score": 912,
        "comments": 240,
    }
    assert drafts["https://lemmy.ml/post/20110234"].title == "Acmeのサービスが東京で止まっています"
    arabic = drafts["https://lemmy.world/comment/30112001"]
    assert arabic.title == "Re: Acme Cloud status: major outage in eu-west"
    assert arabic.text == "هل خدمة Acme متوقفة عند أحد غيري؟" and arabic.author == "nasser@lemmy.world"
    assert arabic.engagement == {"score": 7, "comments": 1}
    quoted = drafts["https://jlai.lu/comment/9988776"]
    assert quoted.text == 'Same here, Acme support says "we\'re aware" & nothing else. <br> Not great.'


def test_parse_skips_removed_deleted_and_empty_items_and_forgets_deleted_authors() -> None:
    drafts = _by_id(parse_search(_recorded(), NOW))
    assert "https://lemmy.world/post/21487600" not in drafts  # removed by a moderator
    assert "https://lemmy.world/comment/30111800" not in drafts  # deleted comment
    assert "https://lemmy.world/post/21487500" not in drafts  # no title, no body, no link
    assert drafts["https://lemmy.zip/post/3300112"].author is None  # the account was deleted


def test_parse_reads_lemmy_0_18_timestamps_without_a_zone_as_utc() -> None:
    drafts = _by_id(parse_search(_recorded("search_all_0.18.json"), NOW))
    post = drafts["https://lemmy.ml/post/1603001"]
    assert post.published_at == datetime(2023, 6, 20, 12, 34, 56, 789012, tzinfo=UTC)
    assert post.engagement == {"score": 31, "comments": 1} and post.author == "olduser@lemmy.ml"
    comment = drafts["https://lemmy.ml/comment/880001"]
    assert comment.published_at == datetime(2023, 6, 20, 13, 0, 1, 500000, tzinfo=UTC)


def test_parse_refuses_an_answer_without_posts_or_comments() -> None:
    with pytest.raises(FetchError, match="couldnt_find_community"):
        parse_search({"error": "couldnt_find_community"})
    with pytest.raises(FetchError, match="no posts or comments list"):
        parse_search({"type_": "All"})


# -- parameters ------------------------------------------------------------------------------------------


def test_validate_names_the_parameter_at_fault() -> None:
    with pytest.raises(ValueError, match="query: Field required"):
        collector.validate(None, {})
    with pytest.raises(ValueError, match="type: Input should be 'all', 'posts' or 'comments'"):
        collector.validate(None, {"query": "acme", "type": "users"})
    with pytest.raises(ValueError, match="instance: String should match pattern"):
        collector.validate(None, {"query": "acme", "instance": "lemmy.world"})
    with pytest.raises(ValueError, match="community: String should match pattern"):
        collector.validate(None, {"query": "acme", "community": "!technology@lemmy.world"})
    with pytest.raises(ValueError, match="max_pages: Input should be greater than or equal to 1"):
        collector.validate(None, {"query": "acme", "max_pages": 0})
    with pytest.raises(ValueError, match="sort: unknown parameter"):
        collector.validate(None, {"query": "acme", "sort": "Hot"})
    with pytest.raises(ValueError, match="takes no url"):
        collector.validate("https://lemmy.world", {"query": "acme"})
    collector.validate(None, {"query": "acme", "community": "technology@lemmy.world", "type": "posts"})


def test_params_doc_lists_every_parameter_with_default_or_required() -> None:
    doc = collector.params_doc
    assert doc["query"].endswith("(required)")
    assert "(default 'https://lemmy.world')" in doc["instance"]
    assert set(doc) == {"query", "instance", "type", "community", "lookback_hours", "max_pages"}


# -- against the fake service ----------------------------------------------------------------------------


@pytest.fixture
def lemmy():
    fake = LemmyFake()
    with FakeApi(fake) as api:
        yield fake, api


def _state(api, **params) -> SourceState:
    return SourceState(url="", params={"query": "acme", "instance": api.base, **params})


def test_collect_pages_through_results_then_only_gets_what_is_new(lemmy, local_limits) -> None:
    fake, api = lemmy
    now = time.time()
    posts = [fake.add_post(f"Acme post {i}", at=now - 3600 + i) for i in range(120)]
    fake.add_comment("Acme support is slow", on=posts[0], at=now - 3600 + 50)
    fake.add_post("Unrelated", at=now - 10)
    state = _state(api, max_pages=5)
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        assert len(first.drafts) == 121 and first.error is None
        assert [r.arg("page") for r in api.requests] == ["1", "2", "3"]
        assert all(
            (r.arg("sort"), r.arg("type_"), r.arg("limit"), r.arg("listing_type")) == ("New", "All", "50", "All")
            for r in api.requests
        )
        state.cursor = first.cursor
        assert datetime.fromisoformat(state.cursor["since"]).timestamp() == pytest.approx(now - 3600 + 119, abs=1e-3)

        api.requests.clear()
        fake.add_post("Acme in the same instant", at=now - 3600 + 119)  # same microsecond as the cursor
        late = fake.add_post("Acme again", at=now - 5)
        fake.add_comment("Acme, a new comment on the second poll", on=late, at=now - 4)
        second = collector.collect(state, _fetcher(local_limits, client))
    assert sorted(d.title for d in second.drafts) == ["Acme again", "Acme in the same instant", "Re: Acme again"]
    assert [r.arg("page") for r in api.requests] == ["1"]


def test_type_and_community_are_passed_on(lemmy, local_limits) -> None:
    fake, api = lemmy
    post = fake.add_post("Acme en panne", community="france")
    fake.add_post("Acme is down", community="technology")
    fake.add_comment("Acme aussi chez moi", on=post)
    with make_client(local_limits) as client:
        outcome = collector.collect(_state(api, type="posts", community="france"), _fetcher(local_limits, client))
    assert [d.title for d in outcome.drafts] == ["Acme en panne"]
    assert api.requests[0].arg("type_") == "Posts" and api.requests[0].arg("community_name") == "france"


def test_an_unknown_community_is_a_clear_error(lemmy, local_limits) -> None:
    _, api = lemmy
    with make_client(local_limits) as client, pytest.raises(FetchError, match="unknown community 'nosuch'") as err:
        collector.collect(_state(api, community="nosuch"), _fetcher(local_limits, client))
    assert err.value.http_status == 400


def test_first_poll_looks_back_lookback_hours(lemmy, local_limits) -> None:
    fake, api = lemmy
    now = time.time()
    fake.add_post("Acme old", at=now - 3 * 3600)
    fake.add_post("Acme recent", at=now - 600)
    with make_client(local_limits) as client:
        outcome = collector.collect(_state(api, lookback_hours=2), _fetcher(local_limits, client))
    assert [d.title for d in outcome.drafts] == ["Acme recent"]


def test_a_lemmy_0_18_instance_without_time_zones_is_collected_incrementally(local_limits) -> None:
    fake = LemmyFake(version="0.18")
    now = time.time()
    fake.add_post("Acme first", at=now - 100)
    with FakeApi(fake) as api, make_client(local_limits) as client:
        state = _state(api)
        first = collector.collect(state, _fetcher(local_limits, client))
        state.cursor = first.cursor
        fake.add_post("Acme second", at=now - 50)
        second = collector.collect(state, _fetcher(local_limits, client))
    assert [d.title for d in first.drafts] == ["Acme first"] and [d.title for d in second.drafts] == ["Acme second"]
    assert first.drafts[0].published_at.tzinfo is UTC


def test_a_429_is_an_error_that_keeps_every_source_away_a_while(lemmy, local_limits) -> None:
    _, api = lemmy
    api.fail_next(1, rate_limited())
    pacer = LocalPacer()
    with make_client(local_limits) as client:
        with pytest.raises(FetchError, match="rate limit") as caught:
            collector.collect(_state(api), _fetcher(local_limits, client, pacer))
        assert caught.value.http_status == 429 and caught.value.retry_after == THROTTLE_WAIT
        with pytest.raises(FetchDeferred):
            collector.collect(_state(api, query="other"), _fetcher(local_limits, client, pacer))
    assert len(api.requests) == 1


def test_a_503_with_retry_after_holds_the_host_that_long(lemmy, local_limits) -> None:
    _, api = lemmy
    api.fail_next(1, Reply.html_error(503, retry_after=120, title="503 Service Temporarily Unavailable"))
    pacer = LocalPacer()
    with make_client(local_limits) as client:
        with pytest.raises(FetchError) as caught:
            collector.collect(_state(api), _fetcher(local_limits, client, pacer))
        assert caught.value.http_status == 503 and caught.value.retry_after == 120
        with pytest.raises(FetchDeferred) as deferred:
            collector.collect(_state(api), _fetcher(local_limits, client, pacer))
    assert deferred.value.retry_after >= 100


def test_an_error_on_a_later_page_keeps_what_was_read_and_the_cursor_in_place(lemmy, local_limits) -> None:
    fake, api = lemmy
    now = time.time()
    for i in range(70):
        fake.add_post(f"Acme {i}", at=now - 3000 + i)
    first_page_only = fake.handle
    fake.handle = lambda request: rate_limited() if request.arg("page") != "1" else first_page_only(request)
    state = _state(api)
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client))
        assert len(outcome.drafts) == 50 and "HTTP 429" in (outcome.error or "")
        assert datetime.fromisoformat(outcome.cursor["since"]).timestamp() < now - 3000
        fake.handle = first_page_only
        state.cursor = outcome.cursor
        rest = collector.collect(state, _fetcher(local_limits, client))  # a new pacer: the hold was local
    assert sorted(int(d.title.split()[1]) for d in rest.drafts) == list(range(20))


def test_an_html_page_with_status_200_is_an_error_not_an_empty_result(lemmy, local_limits) -> None:
    _, api = lemmy
    api.fail_next(1, Reply.raw(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "text/html"))
    with make_client(local_limits) as client, pytest.raises(FetchError, match="HTML"):
        collector.collect(_state(api), _fetcher(local_limits, client))


def test_requests_to_the_host_are_spaced_by_the_pace_across_sources(lemmy, local_limits) -> None:
    fake, api = lemmy
    fake.add_post("Acme")
    sleeps: list[float] = []
    clock = [1000.0]
    pacer = LocalPacer(clock=lambda: clock[0])
    with make_client(local_limits) as client:
        for _ in range(3):
            collector.collect(_state(api), _fetcher(local_limits, client, pacer, sleeps))
    assert sleeps == [PACE, 2 * PACE]


# -- end to end: API and config file, real worker, real database -------------------------------------------


def _storm(fake: LemmyFake) -> None:
    now = time.time()
    post = fake.add_post("Acme Cloud is down for everyone", at=now - 120, score=300, comments=80)
    fake.add_comment("Panne Acme à Lyon aussi, le réseau ne répond plus", on=post, at=now - 60, creator="camille")


@pytest.mark.parametrize("how", ["api", "config"])
def test_a_lemmy_source_collects_end_to_end(how, lemmy, client, engine, settings, tmp_path) -> None:
    fake, api = lemmy
    _storm(fake)
    params = {"query": "acme", "instance": api.base}
    if how == "api":
        found = collect_via_api(client, engine, settings, kind="lemmy", params=params)
    else:
        found = collect_via_config(tmp_path, client, engine, settings, kind="lemmy", params=params)
    assert sorted(m["title"] for m in found) == [
        "Acme Cloud is down for everyone",
        "Re: Acme Cloud is down for everyone",
    ]
    post = next(m for m in found if m["title"].startswith("Acme Cloud"))
    assert post["engagement"] == {"score": 300, "comments": 80}
    assert len(api.requests) == 1
