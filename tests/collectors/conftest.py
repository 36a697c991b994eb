"""Fixtures of the collector tests: a live feed server, recorded feeds, permissive fetch limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from collectors.base import FetchLimits
from tests.feedserver import FeedServer

RSS_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rss"


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A FeedServer on 127.0.0.1, shut down (threads joined, sockets closed) after the test."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def rss_fixture() -> Callable[[str], bytes]:
    """Bytes of a recorded feed in tests/fixtures/rss/, exactly as a server would send them."""

    def read(name: str) -> bytes:
        return (RSS_FIXTURES / name).read_bytes()

    return read


@pytest.fixture
def local_limits() -> FetchLimits:
    """Limits that let tests reach the feed server on 127.0.0.1, with short timeouts."""
    return FetchLimits(connect_timeout=2.0, read_timeout=2.0, allow_private=True, user_agent="Vigie-test/1.0")


from tests.api.conftest import admin_key, client  # noqa: E402,F401 - the API client of the end-to-end collector tests
