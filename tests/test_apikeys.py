"""API key rules, without a database: random keys, what is stored of them, scopes, and use bookkeeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.apikeys import SCOPES, allows, hash_key, key_prefix, needs_touch, new_key


def test_keys_are_random_prefixed_and_only_their_hash_is_kept() -> None:
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100
    key = keys.pop()
    assert key.startswith("vg_") and len(key) == 46  # 32 random bytes, URL-safe
    assert hash_key(key) == hash_key(key) and len(hash_key(key)) == 64 and key not in hash_key(key)
    assert key_prefix(key) == key[:10] and key_prefix(key).startswith("vg_")


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [("read", {"read"}), ("write", {"read", "write"}), ("admin", {"read", "write", "admin"})],
)
def test_each_scope_allows_what_the_lower_ones_do(scope: str, allowed: set[str]) -> None:
    assert {needed for needed in SCOPES if allows(scope, needed)} == allowed


def test_a_use_is_written_once_a_minute_at_most() -> None:
    now = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
    assert needs_touch(None, now)
    assert not needs_touch(now - timedelta(seconds=59), now)
    assert needs_touch(now - timedelta(seconds=60), now)
