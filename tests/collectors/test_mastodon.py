"""The `mastodon` source kind: pure parsing of recorded payloads, then collection from a faithful fake."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.base import FetchDeferred, FetchError, SourceState
from collectors.http import LocalPacer, make_client
from collectors.mastodon import PACE, MastodonCollector, parse_links, parse_statuses
from tests.collectors.e2e import collect_via_api, collect_via_config
from tests.collectors.fakes.mastodon import MastodonFake
from tests.collectors.fetching import quiet_fetcher as _fetcher
from tests.fakeapi import FakeApi, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon"
NOW = datetime(2026, 11, 21, tzinfo=UTC)
# The Link header mastodon.social sent with tag_timeline.json (limit=40).
RECORDED_LINK = (
    '<https://mastodon.social/api/v1/timelines/tag/acme?limit=40&max_id=113520000000000006>; rel="next", '
    '<https://mastodon.social/api/v1/timelines/tag/acme?limit=40&min_id=113520400000000001>; rel="prev"'
)
collector = MastodonCollector()


def _recorded() -> list:
    return json.loads((FIXTURES / "tag_timeline.json").read_text(encoding="utf-8"))


def _by_id(drafts):
    return {d.external_id.removeprefix("mastodon:"): d for d in drafts}


# -- parsing (pure) --------------------------------------------------------------------------------------


def test_parse_turns_statuses_into_drafts_with_reach_engagement_and_language() -> None:
    drafts = _by_id(parse_statuses(_recorded(), NOW))
    status = drafts["https://mastodon.social/users/camille/statuses/113520400000000001"]
    assert status.url == "https://mastodon.social/@camille/113520400000000001"
    assert status.text == (
        "Encore une panne #Acme ce matin à Lyon… L'appli affiche « erreur réseau » & le service client ne répond "
        "pas 😡\ncc @acme_support"
    )
    assert status.title.startswith("Encore une panne #Acme ce matin à Lyon…") and status.title.endswith("…")
    assert len(status.title) <= 101
    assert status.author == "camille@mastodon.social"  # a local account's acct has no server: its URL tells it
    assert status.author_reach == 1250
    assert status.engagement == {"likes": 11, "shares": 4, "comments": 2}
    assert status.lang == "fr" and status.lang_reliable is False
    assert status.published_at == datetime(2026, 11, 20, 9, 12, 44, 187000, tzinfo=UTC)


def test_parse_link_markup_becomes_the_whole_url_and_remote_authors_keep_their_server() -> None:
    status = _by_id(parse_statuses(_recorded(), NOW))[
        "https://fosstodon.org/users/devops_dana/statuses/113520290000000000"
    ]
    assert status.text == "Acme Cloud outage postmortem: https://status.acme.example/incidents/abc #acme #sre"
    assert status.author == "devops_dana@fosstodon.org" and status.author_reach == 8400


def test_parse_a_boost_is_its_original_status() -> None:
    drafts = parse_statuses(_recorded(), NOW)
    original = "mastodon:https://mstdn.jp/users/kenji/statuses/113519999000000001"
    assert [d.external_id for d in drafts].count(original) == 2  # the boost and the status itself: one mention
    boost = next(d for d in drafts if d.external_id == original)
    assert boost.author == "kenji@mstdn.jp" and boost.text == "東京でも#Acmeが使えません。ログイン画面でエラーです。"
    assert boost.lang == "ja" and boost.url == "https://mstdn.jp/@kenji/113519999000000001"
    assert not any("lea" in (d.author or "") for d in drafts)


def test_parse_content_warning_is_the_title_and_odd_statuses_survive() -> None:
    drafts = _by_id(parse_statuses(_recorded(), NOW))
    arabic = drafts["https://mastodon.online/users/nasser/statuses/113520099000000000"]
    assert arabic.title == "شكوى: خدمة العملاء"
    assert arabic.text == "خدمة #Acme متوقفة في الرياض منذ الصباح\nهل من أحد آخر؟" and arabic.lang == "ar"
    quiet = drafts["https://pleroma.example/objects/6f1c2a9e-1111-4d2b-9c1e-acme00000001"]
    assert quiet.url == "https://pleroma.example/objects/6f1c2a9e-1111-4d2b-9c1e-acme00000001"  # no url: the uri
    assert quiet.author_reach is None and quiet.lang is None and quiet.engagement == {"likes": 0, "comments": 0}
    assert "https://mastodon.social/users/photos/statuses/113520000000000006" not in drafts  # media only, no text


def test_parse_refuses_an_answer_that_is_not_a_list_of_statuses() -> None:
    with pytest.raises(FetchError, match="This method requires an authenticated user"):
        parse_statuses({"error": "This method requires an authenticated user"})
    with pytest.raises(FetchError, match="not a list"):
        parse_statuses({"statuses": []})


def test_parse_links_reads_the_recorded_link_header() -> None:
    links = parse_links(RECORDED_LINK)
    assert links == {
        "next": {"limit": "40", "max_id": "113520000000000006"},
        "prev": {"limit": "40", "min_id": "113520400000000001"},
    }
    assert parse_links(None) == {} and parse_links("garbage") == {}


# -- parameters ------------------------------------------------------------------------------------------


def test_validate_names_the_parameter_at_fault() -> None:
    with pytest.raises(ValueError, match="give `hashtag` or `hashtags`"):
        collector.validate(None, {})
    with pytest.raises(ValueError, match="hashtags: List should have at most 10 items"):
        collector.validate(None, {"hashtags": [f"t{i}" for i in range(11)]})
    with pytest.raises(ValueError, match="hashtags.1: String should match pattern"):
        collector.validate(None, {"hashtags": ["acme", "acme cloud"]})
    with pytest.raises(ValueError, match="at most 10 hashtags in all"):
        collector.validate(None, {"hashtag": "x", "hashtags": [f"t{i}" for i in range(10)]})
    with pytest.raises(ValueError, match="instance: String should match pattern"):
        collector.validate(None, {"hashtag": "acme", "instance": "mastodon.social"})
    with pytest.raises(ValueError, match="query: unknown parameter"):
        collector.validate(None, {"hashtag": "acme", "query": "acme"})
    with pytest.raises(ValueError, match="takes no url"):
        collector.validate("https://mastodon.social", {"hashtag": "acme"})
    collector.validate(None, {"hashtag": "#Acme", "hashtags": ["acmecloud", "日本", "café"], "local": True})


def test_params_doc_and_hashtags_without_hash_each_once() -> None:
    doc = collector.params_doc
    assert set(doc) == {"instance", "hashtags", "hashtag", "local", "lookback_hours", "max_pages"}
    assert "(default 'https://mastodon.social')" in doc["instance"]
    params = collector.parse_params({"hashtag": "#Acme", "hashtags": ["acme", "AcmeCloud"]})
    assert params.tags == ["Acme", "AcmeCloud"]


# -- against the fake service ----------------------------------------------------------------------------


@pytest.fixture
def masto():
    fake = MastodonFake()
    with FakeApi(fake) as api:
        yield fake, api


def _state(api, **params) -> SourceState:
    return SourceState(url="", params={"hashtag": "acme", "instance": api.base, **params})


def test_first_poll_walks_back_through_next_links_then_polls_forward_from_min_id(masto, local_limits) -> None:
    fake, api = masto
    now = time.time()
    made = [fake.add_status(f"Acme status {i}", at=now - 3000 + i) for i in range(100)]
    state = _state(api)
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        assert len(first.drafts) == 100 and first.error is None
        # Newest page, then older ones through rel="next" (max_id = the oldest status of the page before).
        assert [(r.arg("min_id"), r.arg("max_id")) for r in api.requests] == [
            (None, None),
            (None, made[60]["id"]),
            (None, made[20]["id"]),
        ]
        assert all(r.arg("limit") == "40" and r.path == "/api/v1/timelines/tag/acme" for r in api.requests)
        assert first.cursor["min_id"] == {"acme": made[-1]["id"]}
        state.cursor = first.cursor

        api.requests.clear()
        late = fake.add_status("Acme, a new status on the second poll", at=now - 1)
        second = collector.collect(state, _fetcher(local_limits, client))
    assert [d.text for d in second.drafts] == ["Acme, a new status on the second poll #acme"]
    assert [r.arg("min_id") for r in api.requests] == [made[-1]["id"]]
    assert second.cursor["min_id"] == {"acme": late["id"]}


def test_forward_polls_follow_prev_links_and_resume_where_max_pages_stopped(masto, local_limits) -> None:
    fake, api = masto
    now = time.time()
    start = fake.add_status("Acme before", at=now - 5000)
    state = _state(api, max_pages=2)
    state.cursor = {"min_id": {"acme": start["id"]}}
    burst = [fake.add_status(f"Acme burst {i}", at=now - 4000 + i) for i in range(90)]
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        # min_id gives the statuses immediately after the cursor; rel="prev" then moves forward 40 at a time.
        assert [r.arg("min_id") for r in api.requests] == [start["id"], burst[39]["id"]]
        assert sorted(int(d.text.split()[2]) for d in first.drafts) == list(range(80))
        assert first.cursor["min_id"] == {"acme": burst[79]["id"]}
        state.cursor = first.cursor
        rest = collector.collect(state, _fetcher(local_limits, client))
    assert sorted(int(d.text.split()[2]) for d in rest.drafts) == list(range(80, 90))
    assert rest.cursor["min_id"] == {"acme": burst[-1]["id"]}


def test_a_cursor_from_another_server_is_not_used(masto, local_limits) -> None:
    fake, api = masto
    fake.add_status("Acme")
    state = _state(api)
    state.cursor = {"instance": "https://other.example", "min_id": {"acme": "999999999999999999999"}}
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client))
    assert len(outcome.drafts) == 1 and api.requests[0].arg("min_id") is None
    assert outcome.cursor["instance"] == api.base


def test_first_poll_looks_back_lookback_hours_only(masto, local_limits) -> None:
    fake, api = masto
    now = time.time()
    fake.add_status("Acme old", at=now - 3 * 3600)
    fake.add_status("Acme recent", at=now - 600)
    with make_client(local_limits) as client:
        outcome = collector.collect(_state(api, lookback_hours=2), _fetcher(local_limits, client))
    assert [d.text for d in outcome.drafts] == ["Acme recent #acme"]


def test_several_hashtags_have_their_own_cursor_and_a_status_with_both_is_one_mention(masto, local_limits) -> None:
    fake, api = masto
    fake.add_status("Acme and its cloud", tags=("acme", "acmecloud"))
    fake.add_status("Only the cloud", tags=("acmecloud",))
    state = SourceState(url="", params={"hashtags": ["#acme", "AcmeCloud"], "instance": api.base})
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client))
    texts = sorted(d.text for d in outcome.drafts)
    assert texts == ["Acme and its cloud #acme #acmecloud", "Only the cloud #acmecloud"]
    assert set(outcome.cursor["min_id"]) == {"acme", "acmecloud"}
    assert [r.path for r in api.requests] == ["/api/v1/timelines/tag/acme", "/api/v1/timelines/tag/AcmeCloud"]


def test_a_boost_of_a_status_already_collected_is_not_collected_again(masto, local_limits) -> None:
    fake, api = masto
    original = fake.add_status("Acme ate my homework", user="kenji", server="mstdn.jp", followers=310)
    state = _state(api)
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        state.cursor = first.cursor
        fake.add_status("", user="lea", boost_of={k: v for k, v in original.items() if k != "_local"})
        second = collector.collect(state, _fetcher(local_limits, client))
    assert [d.author for d in first.drafts] == ["kenji@mstdn.jp"] and second.drafts == []
    assert second.cursor["min_id"]["acme"] != first.cursor["min_id"]["acme"]  # the boost moved the cursor on


def test_local_only_is_passed_on_and_kept_while_paging(masto, local_limits) -> None:
    fake, api = masto
    fake.add_status("Acme here", server="mastodon.social")
    fake.add_status("Acme elsewhere", server="fosstodon.org")
    with make_client(local_limits) as client:
        outcome = collector.collect(_state(api, local=True), _fetcher(local_limits, client))
    assert [d.text for d in outcome.drafts] == ["Acme here #acme"] and api.requests[0].arg("local") == "true"


def test_an_exhausted_rate_limit_holds_the_host_until_the_reset(masto, local_limits) -> None:
    fake, api = masto
    now = time.time()
    for i in range(100):
        fake.add_status(f"Acme {i}", at=now - 3000 + i)
    fake.rate_remaining = 1  # the next answer says 0 left
    pacer = LocalPacer()
    with make_client(local_limits) as client:
        outcome = collector.collect(_state(api), _fetcher(local_limits, client, pacer))
        assert len(outcome.drafts) == 40 and len(api.requests) == 1
        with pytest.raises(FetchDeferred) as deferred:
            collector.collect(_state(api), _fetcher(local_limits, client, pacer))
    assert 200 <= deferred.value.retry_after <= 301 and len(api.requests) == 1


def test_a_429_with_retry_after_is_an_error_and_holds_the_host(masto, local_limits) -> None:
    fake, api = masto
    fake.add_status("Acme")
    api.fail_next(1, Reply.json({"error": "Too many requests"}, status=429, headers={"Retry-After": "90"}))
    pacer = LocalPacer()
    with make_client(local_limits) as client:
        with pytest.raises(FetchError, match="rate limit") as caught:
            collector.collect(_state(api), _fetcher(local_limits, client, pacer))
        assert caught.value.http_status == 429 and caught.value.retry_after == 90
        with pytest.raises(FetchDeferred):
            collector.collect(_state(api, hashtag="other"), _fetcher(local_limits, client, pacer))
    assert len(api.requests) == 1


def test_a_server_that_hides_its_timelines_or_knows_no_such_tag_gives_a_clear_error(masto, local_limits) -> None:
    fake, api = masto
    fake.public_feeds = False
    with make_client(local_limits) as client:
        with pytest.raises(FetchError, match="without an account") as hidden:
            collector.collect(_state(api), _fetcher(local_limits, client))
        assert hidden.value.http_status == 401
        fake.public_feeds, fake.unknown_tag_404 = True, True
        with pytest.raises(FetchError, match="#nosuchtag is unknown there"):
            collector.collect(_state(api, hashtag="nosuchtag"), _fetcher(local_limits, client))


def test_one_failing_hashtag_is_a_partial_read_that_keeps_the_others(masto, local_limits) -> None:
    fake, api = masto
    fake.unknown_tag_404 = True
    fake.add_status("Acme is fine")
    state = SourceState(url="", params={"hashtags": ["nosuchtag", "acme"], "instance": api.base})
    state.cursor = {"min_id": {"nosuchtag": "5"}}
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client))
    assert [d.text for d in outcome.drafts] == ["Acme is fine #acme"]
    assert "HTTP 404" in (outcome.error or "") and outcome.cursor["min_id"]["nosuchtag"] == "5"


def test_an_html_page_with_status_200_is_an_error_not_an_empty_result(masto, local_limits) -> None:
    _, api = masto
    api.fail_next(1, Reply.raw(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "text/html"))
    with make_client(local_limits) as client, pytest.raises(FetchError, match="HTML"):
        collector.collect(_state(api), _fetcher(local_limits, client))


def test_requests_to_the_host_are_spaced_by_the_pace_across_sources(masto, local_limits) -> None:
    fake, api = masto
    fake.add_status("Acme")
    sleeps: list[float] = []
    clock = [1000.0]
    pacer = LocalPacer(clock=lambda: clock[0])
    with make_client(local_limits) as client:
        for _ in range(3):
            collector.collect(_state(api), _fetcher(local_limits, client, pacer, sleeps))
    assert sleeps == [PACE, 2 * PACE]


# -- end to end: API and config file, real worker, real database -------------------------------------------


def _storm(fake: MastodonFake) -> None:
    now = time.time()
    fake.add_status("Acme Cloud is down for everyone", at=now - 120, followers=5000, favourites=30, reblogs=12)
    fake.add_status("Panne Acme à Lyon, le réseau ne répond plus", at=now - 60, language="fr", server="piaille.fr")


@pytest.mark.parametrize("how", ["api", "config"])
def test_a_mastodon_source_collects_end_to_end(how, masto, client, engine, settings, tmp_path) -> None:
    fake, api = masto
    _storm(fake)
    params = {"instance": api.base, "hashtags": ["acme"]}
    if how == "api":
        found = collect_via_api(client, engine, settings, kind="mastodon", params=params)
    else:
        found = collect_via_config(tmp_path, client, engine, settings, kind="mastodon", params=params)
    assert sorted(m["text"] for m in found) == [
        "Acme Cloud is down for everyone #acme",
        "Panne Acme à Lyon, le réseau ne répond plus #acme",
    ]
    loud = next(m for m in found if m["text"].startswith("Acme Cloud"))
    assert loud["engagement"] == {"likes": 30, "shares": 12, "comments": 0}
    assert len(api.requests) == 1
