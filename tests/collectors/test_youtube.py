"""The `youtube` source kind: pure parsing of recorded feeds, then collection from a faithful fake."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.base import FetchDeferred, FetchError, SourceState
from collectors.http import LocalPacer, make_client
from collectors.youtube import PACE, YouTubeCollector, parse_videos
from tests.collectors.e2e import collect_via_api, collect_via_config
from tests.collectors.fakes.youtube import FEED_SIZE, YouTubeFake
from tests.collectors.fetching import quiet_fetcher as _fetcher
from tests.fakeapi import FakeApi, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "youtube"
NOW = datetime(2026, 11, 22, tzinfo=UTC)
CHANNEL = "UCq7Zk3vAcmeBanqueFr0Q2w"
PLAYLIST = "PLx0sYbBWhd4wq9mJ3f2LrN7cKpT8vEaGu"
collector = YouTubeCollector()


def _parse(name: str):
    return parse_videos((FIXTURES / name).read_bytes(), now=NOW)


# -- parsing (pure) --------------------------------------------------------------------------------------


def test_parse_channel_feed_gives_video_ids_views_and_likes() -> None:
    feed = _parse("channel_acme.xml")
    assert feed.error is None and feed.title == "Acme"
    drafts = {d.external_id: d for d in feed.drafts}
    assert len(drafts) == 6
    panne = drafts["yt:video:k3Jd9Xq2aVw"]
    assert panne.url == "https://www.youtube.com/watch?v=k3Jd9Xq2aVw"
    assert panne.title == "Panne du 20 novembre : ce qui s'est passé et ce que nous faisons"
    assert panne.author == "Acme"
    assert panne.engagement == {"views": 48213, "likes": 312}
    assert panne.published_at == datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    assert panne.text.startswith("Hier, une panne de notre système de paiement a empêché nos clients")
    assert "👉 Suivre l'état du service : https://status.acme.example" in panne.text
    assert panne.lang is None  # YouTube declares no language: it is detected


def test_parse_keeps_shorts_links_non_latin_titles_and_plain_text_with_angle_brackets() -> None:
    drafts = {d.external_id: d for d in _parse("channel_acme.xml").drafts}
    short = drafts["yt:video:Zp0QmT7c1sE"]
    assert short.url == "https://www.youtube.com/shorts/Zp0QmT7c1sE" and short.text == ""
    assert drafts["yt:video:f8LwHn4RkYo"].title == "Acme 日本上陸！アプリの使い方を徹底解説"
    assert "00:00 はじめに\n01:12 口座開設" in drafts["yt:video:f8LwHn4RkYo"].text
    fees = drafts["yt:video:mW2eRy5Ic0P"]
    assert fees.title == "Frais < 5 € & plafonds relevés : ce qui change chez Acme en 2027"
    assert "frais à l'étranger < 5 €, plafonds relevés & nouvelle appli" in fees.text


def test_parse_survives_a_premiere_without_views_and_an_entry_without_statistics() -> None:
    drafts = {d.external_id: d for d in _parse("channel_acme.xml").drafts}
    assert drafts["yt:video:Q1vBx6Ue9Tn"].engagement == {"views": 0, "likes": 0}
    assert drafts["yt:video:aC7tLg3Nq8Z"].engagement == {}


def test_parse_playlist_feed_credits_each_videos_own_channel() -> None:
    drafts = _parse("playlist_neobanques.xml").drafts
    assert [d.author for d in drafts] == ["Budget Malin", "تقنية بالعربي", "Budget Malin"]
    arabic = drafts[1]
    assert arabic.title == "مراجعة تطبيق Acme البنكي: هل يستحق التجربة؟"
    assert arabic.engagement == {"views": 15873, "likes": 402}
    bare = drafts[2]  # no <yt:videoId>, no <media:description>: the Atom id and an empty text
    assert bare.external_id == "yt:video:Rr5kW1pZx7A" and bare.text == ""
    assert bare.url == "https://www.youtube.com/watch?v=Rr5kW1pZx7A"


def test_a_channel_without_videos_is_an_empty_feed() -> None:
    assert _parse("channel_empty.xml").drafts == []


# -- parameters ------------------------------------------------------------------------------------------


def test_validate_wants_exactly_one_well_formed_id() -> None:
    with pytest.raises(ValueError, match="exactly one of channel_id"):
        collector.validate(None, {})
    with pytest.raises(ValueError, match="exactly one of channel_id"):
        collector.validate(None, {"channel_id": CHANNEL, "playlist_id": PLAYLIST})
    with pytest.raises(ValueError, match="channel_id: .*'@acme' is not a channel id: UC followed by 22"):
        collector.validate(None, {"channel_id": "@acme"})
    with pytest.raises(ValueError, match="playlist_id: .*is a channel id: give it as channel_id"):
        collector.validate(None, {"playlist_id": CHANNEL})
    with pytest.raises(ValueError, match="playlist_id: .*is not a playlist id"):
        collector.validate(None, {"playlist_id": "PL lists?"})
    with pytest.raises(ValueError, match="takes no url"):
        collector.validate(f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}", {"channel_id": CHANNEL})
    collector.validate(None, {"channel_id": CHANNEL})
    collector.validate(None, {"playlist_id": PLAYLIST})
    collector.validate(None, {"playlist_id": "UU" + CHANNEL[2:]})  # a channel's uploads


def test_params_doc_lists_every_parameter() -> None:
    assert set(collector.params_doc) == {"channel_id", "playlist_id", "api_url"}


# -- against the fake service ----------------------------------------------------------------------------


@pytest.fixture
def yt():
    fake = YouTubeFake()
    fake.add("channel_id", CHANNEL, "channel_acme.xml")
    fake.add("playlist_id", PLAYLIST, "playlist_neobanques.xml")
    with FakeApi(fake) as api:
        yield fake, api


def _poll(state: SourceState, outcome) -> None:
    """What the worker stores between two polls."""
    if not outcome.not_modified:
        state.etag, state.last_modified = outcome.etag, outcome.last_modified
    if outcome.cursor is not None:
        state.cursor = outcome.cursor


def test_conditional_get_then_only_the_new_upload(yt, local_limits) -> None:
    fake, api = yt
    state = SourceState(url="", params={"channel_id": CHANNEL, "api_url": api.base})
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        assert len(first.drafts) == 6 and "yt:video:k3Jd9Xq2aVw" in first.cursor["seen"]
        assert api.requests[0].path == "/feeds/videos.xml" and api.requests[0].arg("channel_id") == CHANNEL
        _poll(state, first)

        second = collector.collect(state, _fetcher(local_limits, client))
        assert second.not_modified and second.drafts == []
        _poll(state, second)

        fake.publish("channel_id", CHANNEL, "Nw0vId3aXyZ", "Acme répond à vos questions", views=12, likes=3)
        third = collector.collect(state, _fetcher(local_limits, client))
    assert [(d.external_id, d.engagement) for d in third.drafts] == [
        ("yt:video:Nw0vId3aXyZ", {"views": 12, "likes": 3})
    ]


def test_the_feed_only_holds_the_latest_fifteen_videos(yt, local_limits) -> None:
    fake, api = yt
    for i in range(FEED_SIZE + 3):
        fake.publish("channel_id", CHANNEL, f"vid{i:08d}", f"Acme vidéo {i}")
    state = SourceState(url="", params={"channel_id": CHANNEL, "api_url": api.base})
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client))
    assert len(outcome.drafts) == FEED_SIZE and outcome.drafts[0].external_id == f"yt:video:vid{FEED_SIZE + 2:08d}"


def test_a_playlist_source_reads_the_playlist_feed(yt, local_limits) -> None:
    _, api = yt
    state = SourceState(url="", params={"playlist_id": PLAYLIST, "api_url": api.base})
    with make_client(local_limits) as client:
        outcome = collector.collect(state, _fetcher(local_limits, client))
    assert len(outcome.drafts) == 3 and api.requests[0].arg("playlist_id") == PLAYLIST
    assert api.requests[0].arg("channel_id") is None


def test_an_unknown_channel_is_a_404_with_a_clear_message(yt, local_limits) -> None:
    _, api = yt
    state = SourceState(url="", params={"channel_id": "UC" + "z" * 22, "api_url": api.base})
    with make_client(local_limits) as client, pytest.raises(FetchError, match="no feed for channel_id=UCzzz") as caught:
        collector.collect(state, _fetcher(local_limits, client))
    assert caught.value.http_status == 404


def test_a_429_with_retry_after_holds_the_host_for_every_youtube_source(yt, local_limits) -> None:
    _, api = yt
    api.fail_next(1, Reply.html_error(429, retry_after=60))
    pacer = LocalPacer()
    with make_client(local_limits) as client:
        with pytest.raises(FetchError) as caught:
            collector.collect(
                SourceState(url="", params={"channel_id": CHANNEL, "api_url": api.base}),
                _fetcher(local_limits, client, pacer),
            )
        assert (caught.value.http_status, caught.value.retry_after) == (429, 60)
        with pytest.raises(FetchDeferred):
            collector.collect(
                SourceState(url="", params={"playlist_id": PLAYLIST, "api_url": api.base}),
                _fetcher(local_limits, client, pacer),
            )
    assert len(api.requests) == 1


def test_an_html_page_served_with_200_is_an_error_not_an_empty_feed(yt, local_limits) -> None:
    _, api = yt
    api.fail_next(1, Reply.raw(b"<!DOCTYPE html><html><body>Something went wrong</body></html>", "text/html"))
    state = SourceState(url="", params={"channel_id": CHANNEL, "api_url": api.base})
    with make_client(local_limits) as client, pytest.raises(FetchError, match="not a feed: looks like an HTML page"):
        collector.collect(state, _fetcher(local_limits, client))


def test_requests_to_the_host_are_spaced_by_the_pace(yt, local_limits) -> None:
    _, api = yt
    sleeps: list[float] = []
    clock = [1000.0]
    pacer = LocalPacer(clock=lambda: clock[0])
    with make_client(local_limits) as client:
        for params in ({"channel_id": CHANNEL}, {"playlist_id": PLAYLIST}, {"channel_id": CHANNEL}):
            state = SourceState(url="", params={**params, "api_url": api.base})
            collector.collect(state, _fetcher(local_limits, client, pacer, sleeps))
    assert sleeps == [PACE, 2 * PACE]


# -- end to end: API and config file, real worker, real database -------------------------------------------


@pytest.mark.parametrize("how", ["api", "config"])
def test_a_youtube_source_collects_end_to_end(how, yt, client, engine, settings, tmp_path) -> None:
    fake, api = yt
    fake.publish(
        "channel_id", CHANNEL, "Nw0vId3aXyZ", "Acme : pourquoi vos paiements ont échoué", views=80500, likes=950,
        at=time.time() - 300,
    )  # fmt: skip
    params = {"channel_id": CHANNEL, "api_url": api.base}
    if how == "api":
        found = collect_via_api(client, engine, settings, kind="youtube", params=params)
    else:
        found = collect_via_config(tmp_path, client, engine, settings, kind="youtube", params=params)
    by_id = {m["url"]: m for m in found}
    assert len(found) == 7  # every video names Acme in its title or description
    new = by_id["https://www.youtube.com/watch?v=Nw0vId3aXyZ"]
    assert new["engagement"] == {"views": 80500, "likes": 950} and new["author"] == "Acme"
    assert by_id["https://www.youtube.com/shorts/Zp0QmT7c1sE"]["engagement"] == {"views": 1502, "likes": 87}
    assert len(api.requests) == 1
