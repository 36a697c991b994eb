"""fetch_url against a real server on 127.0.0.1: conditional GET, redirects, guards, caps, timeouts."""

from __future__ import annotations

import gzip
import ipaddress
import logging
import socket
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

from collectors import http as http_module
from collectors.base import FetchError, FetchLimits
from collectors.http import (
    fetch_url,
    is_forbidden_address,
    make_client,
    parse_max_age,
    parse_retry_after,
    redact_url,
)
from tests.feedserver import FeedServer

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>SNCF</title></channel></rss>'
PRIVATE_MESSAGE = (
    r"^refused: .* resolves to a private address; set VIGIE_ALLOW_PRIVATE_URLS=true for local testing only$"
)


def fetch(server_url: str, limits: FetchLimits, **kwargs: str | None) -> http_module.HttpResult:
    with make_client(limits) as client:
        return fetch_url(client, server_url, limits, **kwargs)  # type: ignore[arg-type]


# -- ordinary answers ------------------------------------------------------------------------------------


def test_a_feed_is_fetched_with_our_user_agent_and_accept_header(
    feed_server: FeedServer, local_limits: FetchLimits
) -> None:
    feed_server.add("/rss/une.xml", FEED, headers={"X-Cache": "HIT"})
    result = fetch(feed_server.url("/rss/une.xml"), local_limits)
    assert (result.status, result.body, result.final_url) == (200, FEED, feed_server.url("/rss/une.xml"))
    assert result.headers["content-type"] == "application/rss+xml"
    assert result.headers["x-cache"] == "HIT"  # names are lower-case
    sent = feed_server.requests[0].headers
    assert sent["user-agent"] == "Vigie-test/1.0"
    assert "application/rss+xml" in sent["accept"] and "application/atom+xml" in sent["accept"]
    assert "if-none-match" not in sent and "if-modified-since" not in sent


def test_a_custom_accept_header_is_sent(feed_server: FeedServer, local_limits: FetchLimits) -> None:
    feed_server.add("/api", b"{}", content_type="application/json")
    fetch(feed_server.url("/api"), local_limits, accept="application/json")
    assert feed_server.requests[0].headers["accept"] == "application/json"


def test_an_unchanged_feed_answers_304_to_the_etag_with_an_empty_body(
    feed_server: FeedServer, local_limits: FetchLimits
) -> None:
    feed_server.add("/feed", FEED, etag='"v1"', last_modified="Mon, 17 Mar 2025 09:00:00 GMT")
    first = fetch(feed_server.url("/feed"), local_limits)
    assert first.headers["etag"] == '"v1"'
    second = fetch(
        feed_server.url("/feed"), local_limits, etag='"v1"', last_modified=first.headers["last-modified"]
    )
    assert (second.status, second.body) == (304, b"")
    sent = feed_server.requests[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 17 Mar 2025 09:00:00 GMT"


def test_if_modified_since_alone_is_enough_for_a_304(
    feed_server: FeedServer, local_limits: FetchLimits
) -> None:
    feed_server.add("/feed", FEED, last_modified="Mon, 17 Mar 2025 09:00:00 GMT")
    result = fetch(feed_server.url("/feed"), local_limits, last_modified="Mon, 17 Mar 2025 09:00:00 GMT")
    assert result.status == 304


def test_a_changed_feed_answers_200_despite_an_old_etag(
    feed_server: FeedServer, local_limits: FetchLimits
) -> None:
    feed_server.add("/feed", FEED, etag='"v2"')
    result = fetch(feed_server.url("/feed"), local_limits, etag='"v1"')
    assert (result.status, result.body, result.headers["etag"]) == (200, FEED, '"v2"')


def test_a_gzip_body_is_decoded(feed_server: FeedServer, local_limits: FetchLimits) -> None:
    feed_server.add("/feed.gz", gzip.compress(FEED), headers={"Content-Encoding": "gzip"})
    assert fetch(feed_server.url("/feed.gz"), local_limits).body == FEED
    assert "gzip" in feed_server.requests[0].headers["accept-encoding"]


# -- redirects -------------------------------------------------------------------------------------------


def test_redirects_are_followed_and_relative_locations_resolved(
    feed_server: FeedServer, local_limits: FetchLimits
) -> None:
    feed_server.add_redirect("/old/rss", "/new/rss", status=301)  # relative Location
    feed_server.add_redirect("/new/rss", feed_server.url("/final/rss.xml"), status=302)
    feed_server.add("/final/rss.xml", FEED)
    result = fetch(feed_server.url("/old/rss"), local_limits)
    assert (result.status, result.body, result.final_url) == (200, FEED, feed_server.url("/final/rss.xml"))
    assert [r.path for r in feed_server.requests] == ["/old/rss", "/new/rss", "/final/rss.xml"]
    assert all(r.headers["user-agent"] == "Vigie-test/1.0" for r in feed_server.requests)


@pytest.mark.parametrize("status", [303, 307, 308])
def test_every_redirect_status_is_followed(
    feed_server: FeedServer, local_limits: FetchLimits, status: int
) -> None:
    feed_server.add_redirect("/a", "/b", status=status)
    feed_server.add("/b", FEED)
    assert fetch(feed_server.url("/a"), local_limits).body == FEED


def test_a_redirect_loop_stops_after_max_redirects(feed_server: FeedServer) -> None:
    limits = FetchLimits(allow_private=True, max_redirects=3, connect_timeout=2, read_timeout=2)
    feed_server.add_redirect("/a", "/b")
    feed_server.add_redirect("/b", "/a")
    with pytest.raises(FetchError, match=r"^too many redirects \(more than 3\)$"):
        fetch(feed_server.url("/a"), limits)
    assert len(feed_server.requests) == 4  # the first request and three redirects


def test_max_redirects_zero_follows_none(feed_server: FeedServer) -> None:
    limits = FetchLimits(allow_private=True, max_redirects=0, connect_timeout=2, read_timeout=2)
    feed_server.add_redirect("/a", "/b")
    feed_server.add("/b", FEED)
    with pytest.raises(FetchError, match=r"more than 0"):
        fetch(feed_server.url("/a"), limits)
    assert feed_server.hits("/b") == 0


def test_a_redirect_without_location_is_an_error(feed_server: FeedServer, local_limits: FetchLimits) -> None:
    feed_server.add("/broken", b"", status=302)
    with pytest.raises(FetchError, match="HTTP 302 from .* without a Location header") as caught:
        fetch(feed_server.url("/broken"), local_limits)
    assert caught.value.http_status == 302


# -- private-address and scheme guard --------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_refused_without_connecting(feed_server: FeedServer, host: str) -> None:
    feed_server.add("/feed", FEED)
    url = feed_server.url("/feed").replace("127.0.0.1", host)
    with pytest.raises(FetchError, match=PRIVATE_MESSAGE):
        fetch(url, FetchLimits(allow_private=False))
    assert feed_server.hits("/feed") == 0


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.5.4", "192.168.1.10", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "224.0.0.251", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::", "64:ff9b::a9fe:a9fe"],
)  # fmt: skip
def test_private_and_special_addresses_are_forbidden(address: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "151.101.1.140", "2a00:1450:4007:80b::200e", "2606:4700::6810:84e5"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_forbidden_address(ipaddress.ip_address(address))


def test_every_redirect_hop_is_checked(feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # The feed server stands in for a public host; its redirect points at the cloud metadata service.
    original = http_module.is_forbidden_address
    monkeypatch.setattr(http_module, "is_forbidden_address", lambda a: not a.is_loopback and original(a))
    feed_server.add_redirect("/feed", "http://169.254.169.254/latest/meta-data/iam/")
    started = time.monotonic()
    with pytest.raises(FetchError, match=PRIVATE_MESSAGE):
        fetch(feed_server.url("/feed"), FetchLimits(allow_private=False, connect_timeout=5))
    assert time.monotonic() - started < 2  # refused, not attempted
    assert feed_server.hits("/feed") == 1


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://ftp.example.org/feed.xml", "gopher://x.example/"]
)
def test_only_http_and_https_are_fetched(url: str, local_limits: FetchLimits) -> None:
    with pytest.raises(FetchError, match="^refused: only http and https URLs can be fetched"):
        fetch(url, local_limits)


def test_a_redirect_to_a_file_url_is_refused(feed_server: FeedServer, local_limits: FetchLimits) -> None:
    feed_server.add_redirect("/feed", "file:///etc/passwd")
    with pytest.raises(FetchError, match="only http and https"):
        fetch(feed_server.url("/feed"), local_limits)


# -- size cap ---------------------------------------------------------------------------------------------


def test_a_huge_streamed_body_is_cut_off_with_bounded_memory(feed_server: FeedServer) -> None:
    limits = FetchLimits(allow_private=True, max_bytes=5_000_000, connect_timeout=2, read_timeout=5)
    feed_server.add_stream("/huge.xml", 200_000_000)  # 200 MB, no Content-Length
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match=r"^response larger than 5000000 bytes; refused$"):
            fetch(feed_server.url("/huge.xml"), limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000
    assert time.monotonic() - started < 5  # stopped early, not after reading 200 MB


def test_a_declared_content_length_over_the_cap_is_refused_before_reading(feed_server: FeedServer) -> None:
    limits = FetchLimits(allow_private=True, max_bytes=1000, connect_timeout=2, read_timeout=2)
    feed_server.add("/big.xml", b"x" * 5000)
    with pytest.raises(FetchError, match="^response larger than 1000 bytes; refused$"):
        fetch(feed_server.url("/big.xml"), limits)


def test_a_body_exactly_at_the_cap_is_accepted(feed_server: FeedServer) -> None:
    limits = FetchLimits(allow_private=True, max_bytes=5000, connect_timeout=2, read_timeout=2)
    feed_server.add("/fits.xml", b"x" * 5000)
    assert len(fetch(feed_server.url("/fits.xml"), limits).body) == 5000


def test_a_gzip_bomb_is_cut_off_while_inflating(feed_server: FeedServer) -> None:
    bomb = gzip.compress(b"\0" * 100_000_000, compresslevel=9)  # ~100 KB on the wire, 100 MB inflated
    limits = FetchLimits(allow_private=True, max_bytes=1_000_000, connect_timeout=2, read_timeout=5)
    feed_server.add("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="^response larger than 1000000 bytes; refused$"):
            fetch(feed_server.url("/bomb.xml"), limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


# -- timeouts and connection failures --------------------------------------------------------------------


def test_a_slow_server_times_out_quickly_with_a_clear_message(feed_server: FeedServer) -> None:
    limits = FetchLimits(allow_private=True, connect_timeout=2, read_timeout=0.3)
    feed_server.add("/slow.xml", FEED, delay=5.0)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^timed out after 0\.3s waiting for data from 127\.0\.0\.1:\d+$"):
        fetch(feed_server.url("/slow.xml?token=s3cr3t"), limits)
    assert time.monotonic() - started < 2


def test_a_closed_port_gives_connection_refused(local_limits: FetchLimits) -> None:
    with socket.socket() as probe:  # find a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match=rf"^connection refused by 127\.0\.0\.1:{port} "):
        fetch(f"http://127.0.0.1:{port}/feed.xml?key=s3cr3t", local_limits)


def test_an_unknown_host_is_reported_as_such() -> None:
    with pytest.raises(FetchError, match="^could not resolve no-such-host.invalid"):
        fetch("https://no-such-host.invalid/feed", FetchLimits())


# -- HTTP errors -----------------------------------------------------------------------------------------


def test_429_carries_the_retry_after_in_seconds(feed_server: FeedServer, local_limits: FetchLimits) -> None:
    feed_server.add("/rss", b"slow down", status=429, headers={"Retry-After": "120"})
    with pytest.raises(FetchError, match=r"^HTTP 429 from 127\.0\.0\.1:\d+ \(retry after 120s\)$") as caught:
        fetch(feed_server.url("/rss"), local_limits)
    assert (caught.value.http_status, caught.value.retry_after) == (429, 120)


def test_503_carries_a_retry_after_given_as_a_date(
    feed_server: FeedServer, local_limits: FetchLimits
) -> None:
    feed_server.set_failure("/rss", 503, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/rss"), local_limits)
    assert caught.value.http_status == 503
    assert caught.value.retry_after is not None and caught.value.retry_after > 365 * 86400


def test_set_failure_can_be_lifted(feed_server: FeedServer, local_limits: FetchLimits) -> None:
    feed_server.add("/rss", FEED)
    feed_server.set_failure("/rss", 500)
    with pytest.raises(FetchError, match=r"^HTTP 500 from ") as caught:
        fetch(feed_server.url("/rss"), local_limits)
    assert caught.value.retry_after is None
    feed_server.set_failure("/rss", None)
    assert fetch(feed_server.url("/rss"), local_limits).body == FEED


def test_404_names_the_host_and_never_the_query_string(
    feed_server: FeedServer, local_limits: FetchLimits, caplog: pytest.LogCaptureFixture
) -> None:
    url = feed_server.url("/private/feed.xml?token=s3cr3t").replace("http://", "http://cm:hunter2@")
    with caplog.at_level(logging.DEBUG, logger="collectors"), pytest.raises(FetchError) as caught:
        fetch(url, local_limits)
    assert str(caught.value) == f"HTTP 404 from 127.0.0.1:{feed_server.port}"
    assert caught.value.http_status == 404
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in ("s3cr3t", "hunter2"):
        assert secret not in str(caught.value) and secret not in logged


def test_the_final_url_never_carries_user_info(feed_server: FeedServer, local_limits: FetchLimits) -> None:
    feed_server.add("/feed", FEED)
    url = feed_server.url("/feed?lang=fr").replace("http://", "http://cm:hunter2@")
    assert fetch(url, local_limits).final_url == feed_server.url("/feed?lang=fr")


def test_no_error_message_leaks_the_query_string(feed_server: FeedServer) -> None:
    limits = FetchLimits(allow_private=True, connect_timeout=2, read_timeout=0.2, max_bytes=100)
    feed_server.add("/slow", FEED, delay=2)
    feed_server.add("/big", b"x" * 1000)
    feed_server.add_redirect("/loop", "/loop?token=s3cr3t")
    messages = []
    for path in ("/slow", "/big", "/loop", "/missing"):
        with pytest.raises(FetchError) as caught:
            fetch(feed_server.url(f"{path}?token=s3cr3t&sig=abc"), limits)
        messages.append(str(caught.value))
    assert all("s3cr3t" not in m and "sig=" not in m for m in messages), messages


# -- the feed server itself -----------------------------------------------------------------------------


def test_the_feed_server_counts_overlapping_requests(
    feed_server: FeedServer, local_limits: FetchLimits
) -> None:
    feed_server.add("/slow", FEED, delay=0.3)
    feed_server.add("/fast", FEED)
    with make_client(local_limits) as client, ThreadPoolExecutor(3) as pool:
        results = list(
            pool.map(lambda _: fetch_url(client, feed_server.url("/slow"), local_limits), range(3))
        )
        fetch_url(client, feed_server.url("/fast"), local_limits)
    assert [r.status for r in results] == [200, 200, 200]
    assert feed_server.max_concurrency("/slow") == 3
    assert feed_server.max_concurrency("/fast") == 1
    assert feed_server.hits("/slow") == 3
    assert all(r.ended - r.started >= 0.3 for r in feed_server.requests if r.path == "/slow")


# -- helpers ---------------------------------------------------------------------------------------------


NOW = datetime(2025, 3, 17, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120),
        (" 0 ", 0),
        ("Mon, 17 Mar 2025 22:05:00 GMT", 300),
        ("Mon, 17 Mar 2025 21:00:00 GMT", 0),  # already past: retry now
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: int | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("max-age=300", 300),
        ("public, max-age=600, must-revalidate", 600),
        ('max-age="60"', 60),
        ("Max-Age=90", 90),
        ("no-cache", None),
        ("max-age=600, no-store", None),
        ("s-maxage=100", None),
        ("max-age=soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_max_age(value: str | None, seconds: int | None) -> None:
    assert parse_max_age(value) == seconds


def test_redact_url_keeps_only_scheme_host_and_path() -> None:
    assert redact_url("https://cm:pw@feeds.example.fr:8443/rss/une.xml?token=x#top") == (
        "https://feeds.example.fr:8443/rss/une.xml"
    )
    assert redact_url("http://[::1]:8080/feed?k=v") == "http://[::1]:8080/feed"


def test_make_client_applies_the_limits_and_never_follows_redirects_itself() -> None:
    limits = FetchLimits(connect_timeout=3, read_timeout=7)
    with make_client(limits) as client:
        assert client.timeout == httpx.Timeout(connect=3, read=7, write=10, pool=10)
        assert client.follow_redirects is False


def test_a_server_that_trickles_bytes_is_cut_at_the_total_deadline(feed_server: FeedServer) -> None:
    # Each chunk arrives well within the read timeout, but the body would take a minute: the total deadline wins.
    feed_server.add_stream("/trickle.xml", 64 * 600, trickle=0.1)
    limits = FetchLimits(read_timeout=2.0, total_timeout=1.0, allow_private=True)
    with make_client(limits) as client:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"took more than 1s in total to answer; refused$"):
            fetch_url(client, feed_server.url("/trickle.xml"), limits)
    assert time.monotonic() - started < 5
