"""The `bluesky` source kind: pure parsing of recorded payloads, then login and search against a faithful fake."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.config_file import load_config
from collectors import bluesky
from collectors.base import FetchDeferred, FetchError, SourceState
from collectors.bluesky import (
    PACE,
    SESSION_MARGIN,
    BlueskyCollector,
    forget_sessions,
    parse_posts,
    title_of,
    token_expiry,
    web_url,
)
from collectors.http import Fetcher, LocalPacer, make_client
from tests.collectors.e2e import collect_via_api, collect_via_config
from tests.collectors.fakes.bluesky import BlueskyFake, xrpc_error
from tests.collectors.fetching import quiet_fetcher
from tests.fakeapi import FakeApi, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bluesky"
NOW = datetime(2026, 11, 21, tzinfo=UTC)
HANDLE, PASSWORD = "vigie-test.bsky.social", "abcd-efgh-ijkl-mnop"
CREDENTIALS = {"bluesky_handle": HANDLE, "bluesky_app_password": PASSWORD}
collector = BlueskyCollector()


@pytest.fixture(autouse=True)
def _no_kept_session():
    forget_sessions()
    yield
    forget_sessions()


def _recorded(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# -- parsing (pure) --------------------------------------------------------------------------------------


def test_parse_turns_post_views_into_drafts_with_web_url_language_and_counts() -> None:
    drafts = {d.external_id: d for d in parse_posts(_recorded("search_posts.json"), NOW)}
    assert len(drafts) == 4  # the image-only post (no text) and the post without record are skipped
    post = drafts["bsky:at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lbq2kx7d4c2s"]
    assert post.url == "https://bsky.app/profile/marie-dupont.bsky.social/post/3lbq2kx7d4c2s"
    assert post.title == "Toujours pas de connexion chez Acme depuis 7h…"
    assert post.text == (
        "Toujours pas de connexion chez Acme depuis 7h…\n"
        "Le service client ne répond pas, c'est inadmissible 😡 #PanneAcme"
    )
    assert post.author == "marie-dupont.bsky.social" and post.author_reach is None
    assert (post.lang, post.lang_reliable) == ("fr", False)
    assert post.engagement == {"likes": 57, "shares": 12, "comments": 4, "quotes": 2}
    assert post.published_at == datetime(2026, 11, 20, 8, 51, 2, 417000, tzinfo=UTC)


def test_parse_handles_invalid_handles_future_dates_non_latin_text_and_literal_markup() -> None:
    drafts = {d.external_id.rsplit("/", 1)[1]: d for d in parse_posts(_recorded("search_posts.json"), NOW)}
    invalid = drafts["3lbq2gqpcnk2a"]  # handle.invalid: the DID stands in, in the author and the URL
    assert invalid.author == "did:plc:7bq4wrtc2zmp7vcn5emxcs3g"
    assert invalid.url == "https://bsky.app/profile/did:plc:7bq4wrtc2zmp7vcn5emxcs3g/post/3lbq2gqpcnk2a"
    assert invalid.text == "<3 Acme &amp; co — lol" and invalid.lang is None  # posts are plain text, not HTML
    japanese = drafts["3lbq27w4mts2r"]  # createdAt months ahead: the index time is the sort time
    assert japanese.text == "Acmeのサービスが東京で繋がらない。障害ですか？" and japanese.lang == "ja"
    assert japanese.published_at == datetime(2026, 11, 20, 8, 30, 12, 4000, tzinfo=UTC)
    assert japanese.engagement == {"likes": 9, "shares": 3, "comments": 1}
    arabic = drafts["3lbq1zzq2bs2k"]  # no counts at all, two languages, an empty display name
    assert arabic.text == "خدمة Acme متوقفة في دبي منذ الصباح" and arabic.lang == "ar" and arabic.engagement == {}


def test_titles_are_a_prefix_of_the_text_cut_at_a_word() -> None:
    long = "Acme " + "très " * 40 + "lent"
    assert long.startswith(title_of(long)) and len(title_of(long)) <= 100 and not title_of(long).endswith(" ")
    assert title_of("first line\nsecond") == "first line"
    assert web_url("at://did:plc:x/app.bsky.feed.repost/abc", "a.b") is None


def test_parse_refuses_an_answer_without_posts() -> None:
    for error in ("expired_token.json", "invalid_login.json"):  # XRPC error bodies
        with pytest.raises(FetchError, match="no `posts` list"):
            parse_posts(_recorded(error))


def test_the_token_expiry_is_read_from_the_recorded_session() -> None:
    session = _recorded("create_session.json")
    assert token_expiry(session["accessJwt"], 0) == 1795168800 - SESSION_MARGIN
    assert token_expiry("not-a-jwt", 1000.0) == 1000.0 + bluesky.DEFAULT_SESSION_SECONDS


# -- parameters ------------------------------------------------------------------------------------------


def test_validate_names_the_parameter_at_fault_and_cannot_check_credentials() -> None:
    with pytest.raises(ValueError, match="query: Field required"):
        collector.validate(None, {})
    with pytest.raises(ValueError, match="lang"):
        collector.validate(None, {"query": "acme", "lang": "French"})
    with pytest.raises(ValueError, match="max_pages"):
        collector.validate(None, {"query": "acme", "max_pages": 0})
    with pytest.raises(ValueError, match="takes no url"):
        collector.validate("https://bsky.app", {"query": "acme"})
    # validate() knows no settings: a source is accepted without an account, and fails when collected.
    collector.validate(None, {"query": "acme", "lang": "fr", "author": "acme.com"})


def test_params_doc_lists_every_parameter() -> None:
    doc = collector.params_doc
    assert doc["query"].endswith("(required)")
    assert "(default 'https://bsky.social')" in doc["api_url"]
    assert set(doc) == {"query", "lang", "author", "lookback_hours", "max_pages", "api_url"}


def test_the_example_config_file_is_valid() -> None:
    config = load_config(Path(__file__).resolve().parents[2] / "examples" / "sources" / "bluesky.toml")
    assert config.sources and all(s.kind == "bluesky" for s in config.sources)


# -- against the fake service ----------------------------------------------------------------------------


@pytest.fixture
def bsky():
    fake = BlueskyFake(HANDLE, PASSWORD)
    with FakeApi(fake) as api:
        yield fake, api


def _fetcher(local_limits, client, pacer=None, sleeps=None, credentials=CREDENTIALS) -> Fetcher:
    return quiet_fetcher(local_limits, client, pacer, sleeps, credentials)


def test_collect_logs_in_pages_through_results_then_only_gets_what_is_new(bsky, local_limits) -> None:
    fake, api = bsky
    now = time.time()
    for i in range(230):
        fake.add_post(f"Acme post {i}", at=now - 3600 + i, langs=["en"])
    fake.add_post("Unrelated", at=now - 10)
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        assert len(first.drafts) == 230
        assert api.paths() == ["/xrpc/com.atproto.server.createSession"] + ["/xrpc/app.bsky.feed.searchPosts"] * 3
        login, search = api.requests[0], api.requests[1]
        assert login.method == "POST" and login.json() == {"identifier": HANDLE, "password": PASSWORD}
        assert search.headers["authorization"].startswith("Bearer ey")
        assert (search.arg("sort"), search.arg("limit"), search.arg("cursor")) == ("latest", "100", None)
        assert [r.arg("cursor") for r in api.requests[2:]] == ["100", "200"]
        state.cursor = first.cursor
        assert state.cursor["since"] == int(now - 3600 + 229)

        fake.add_post("Acme in the same second", at=now - 3600 + 229.5)
        fake.add_post("Acme again", at=now - 5)
        second = collector.collect(state, _fetcher(local_limits, client))
    assert sorted(d.text for d in second.drafts) == ["Acme again", "Acme in the same second"]
    assert fake.logins == 1  # the session was kept
    assert api.requests[-1].arg("since") == datetime.fromtimestamp(int(now - 3600 + 229), UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_missing_credentials_fail_the_collect_with_the_settings_to_set(bsky, local_limits) -> None:
    _, api = bsky
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        for credentials in ({}, {"bluesky_handle": HANDLE}):
            with pytest.raises(FetchError) as caught:
                collector.collect(state, _fetcher(local_limits, client, credentials=credentials))
            assert "VIGIE_BLUESKY_HANDLE" in str(caught.value) and "VIGIE_BLUESKY_APP_PASSWORD" in str(caught.value)
    assert api.requests == []


def test_a_wrong_app_password_is_a_clear_error_without_the_password(bsky, local_limits) -> None:
    _, api = bsky
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    wrong = {"bluesky_handle": HANDLE, "bluesky_app_password": "wrong-pass-word-1234"}
    with make_client(local_limits) as client, pytest.raises(FetchError) as caught:
        collector.collect(state, _fetcher(local_limits, client, credentials=wrong))
    assert caught.value.http_status == 401
    assert "refused the login of vigie-test.bsky.social" in str(caught.value)
    assert "wrong-pass-word-1234" not in str(caught.value)
    assert not bluesky.SESSIONS


def test_an_expired_token_logs_in_again_once_and_the_new_post_arrives(bsky, local_limits) -> None:
    fake, api = bsky
    fake.add_post("Acme first")
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        first = collector.collect(state, _fetcher(local_limits, client))
        state.cursor = first.cursor
        old_token = api.requests[-1].headers["authorization"]
        fake.expire_tokens()
        fake.add_post("Acme second")
        second = collector.collect(state, _fetcher(local_limits, client))
    assert [d.text for d in second.drafts] == ["Acme second"]
    assert fake.logins == 2
    assert api.paths()[-3:] == [
        "/xrpc/app.bsky.feed.searchPosts",  # 400 ExpiredToken
        "/xrpc/com.atproto.server.createSession",
        "/xrpc/app.bsky.feed.searchPosts",
    ]
    assert api.requests[-1].headers["authorization"] != old_token


def test_a_revoked_session_that_fails_again_is_an_error_without_token(bsky, local_limits) -> None:
    fake, api = bsky
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        collector.collect(state, _fetcher(local_limits, client))
        fake.accept_tokens = False  # the kept token is refused, and so is the one of the new login
        with pytest.raises(FetchError) as caught:
            collector.collect(state, _fetcher(local_limits, client))
    assert caught.value.http_status == 401 and "refused the session of vigie-test.bsky.social" in str(caught.value)
    assert fake.tokens and not any(token in str(caught.value) for token in fake.tokens)
    assert fake.logins == 2  # one new login, not a loop


def test_a_refused_search_with_a_fresh_session_is_reported_without_logging_in_again(bsky, local_limits) -> None:
    fake, api = bsky
    state = SourceState(url="", params={"query": '"acme', "api_url": api.base})  # an unbalanced quote
    with make_client(local_limits) as client, pytest.raises(FetchError, match="refused the search") as caught:
        collector.collect(state, _fetcher(local_limits, client))
    assert caught.value.http_status == 400
    assert fake.logins == 1 and api.paths().count("/xrpc/app.bsky.feed.searchPosts") == 1


def test_429_with_retry_after_holds_the_host_403_and_html_are_errors(bsky, local_limits) -> None:
    _, api = bsky
    pacer = LocalPacer()
    state = SourceState(url="", params={"query": "acme", "api_url": api.base})
    with make_client(local_limits) as client:
        api.fail_next(1, Reply.html_error(429, retry_after=300))  # the login is rate limited
        with pytest.raises(FetchError) as throttled:
            collector.collect(state, _fetcher(local_limits, client, pacer))
        assert throttled.value.retry_after == 300
        with pytest.raises(FetchDeferred):
            collector.collect(state, _fetcher(local_limits, client, pacer))
        collector.collect(state, _fetcher(local_limits, client))  # logs in
        api.fail_next(1, xrpc_error(403, "Forbidden", "Forbidden"))
        with pytest.raises(FetchError, match="HTTP 403"):
            collector.collect(state, _fetcher(local_limits, client))
        api.fail_next(1, Reply.raw(b"<html><body>502 Bad Gateway</body></html>", "text/html"))
        with pytest.raises(FetchError, match="HTML"):
            collector.collect(state, _fetcher(local_limits, client))


def test_requests_to_the_host_are_spaced_by_the_pace(bsky, local_limits) -> None:
    fake, api = bsky
    fake.add_post("Acme")
    sleeps: list[float] = []
    clock = [1000.0]
    pacer = LocalPacer(clock=lambda: clock[0])
    with make_client(local_limits) as client:
        for _ in range(2):
            state = SourceState(url="", params={"query": "acme", "api_url": api.base})
            collector.collect(state, _fetcher(local_limits, client, pacer, sleeps))
    assert sleeps == [PACE, 2 * PACE]  # login, search, search: the 2nd and 3rd waited their turns


# -- end to end: API and config file, real worker, real database -------------------------------------------


@pytest.mark.parametrize("how", ["api", "config"])
def test_a_bluesky_source_collects_end_to_end(how, bsky, client, engine, settings, tmp_path) -> None:
    fake, api = bsky
    now = time.time()
    fake.add_post("Panne Acme depuis ce matin, service client injoignable 😡", at=now - 120, langs=["fr"], likes=40)
    fake.add_post("Nothing about it", at=now - 60)
    with_account = settings.model_copy(update={"bluesky_handle": HANDLE, "bluesky_app_password": SecretStr(PASSWORD)})
    params = {"query": "acme", "api_url": api.base}
    if how == "api":
        found = collect_via_api(client, engine, with_account, kind="bluesky", params=params)
    else:
        found = collect_via_config(tmp_path, client, engine, with_account, kind="bluesky", params=params)
    [post] = found
    assert post["text"] == "Panne Acme depuis ce matin, service client injoignable 😡"
    assert post["lang"] == "fr" and post["engagement"]["likes"] == 40
    assert post["url"].startswith("https://bsky.app/profile/someone.bsky.social/post/")
