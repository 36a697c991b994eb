"""API keys: each one opens one workspace with a scope (read < write < admin), and is shown only once.

A key is `vg_` followed by 43 random URL-safe characters (256 bits). Vigie keeps its SHA-256 only: a fast hash
is enough for a random secret that long (there is no dictionary to try), and it lets a request's key be found
by an indexed lookup. The first 10 characters (`prefix`) name a key in lists without giving it away.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

import sqlalchemy as sa

from app.settings import Settings
from app.storage import apikeys as store
from app.storage.workspaces import ensure_workspace

log = logging.getLogger(__name__)

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)  # each one allows everything the previous ones allow
KEY_PREFIX = "vg_"
PREFIX_LENGTH = 10
TOUCH_EVERY = timedelta(minutes=1)  # `last_used_at` is written at most this often per key
ENV_KEY_NAME = "VIGIE_ADMIN_KEY"
FIRST_KEY_NAME = "admin (first start)"


def new_key() -> str:
    """A fresh random key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The SHA-256 of a key, hex: what the database keeps."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str:
    """The first characters of a key, shown in lists to tell keys apart."""
    return key[:PREFIX_LENGTH]


def allows(scope: str, needed: str) -> bool:
    """True when a key of `scope` may do what needs `needed` (admin ⊃ write ⊃ read)."""
    return SCOPES.index(scope) >= SCOPES.index(needed)  # type: ignore[arg-type]


def needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    """True when a use at `now` should be written (never written, or not for a minute)."""
    return last_used_at is None or now - last_used_at >= TOUCH_EVERY


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just made: `key` is the secret (show it once, then forget it), `row` what was stored."""

    key: str
    row: dict[str, Any]


def issue_key(
    conn: sa.Connection, *, workspace_id: int, name: str, scope: Scope, now: datetime, key: str | None = None
) -> IssuedKey:
    """Store a new key (a random one unless `key` is given) for the workspace."""
    key = key or new_key()
    values = {"name": name, "prefix": key_prefix(key), "key_hash": hash_key(key), "scope": scope, "created_at": now}
    return IssuedKey(key, store.create_api_key(conn, workspace_id=workspace_id, values=values))


def ensure_admin_key(conn: sa.Connection, *, settings: Settings, now: datetime) -> str | None:
    """At the API's start: store VIGIE_ADMIN_KEY when it is set and new; otherwise, when no key exists at all,
    make an admin key for the default workspace. Returns the key to show once, or None (nothing made)."""
    if settings.admin_key is not None:
        _store_env_key(conn, settings.admin_key.get_secret_value(), settings.default_workspace, now)
        return None
    if store.any_api_key(conn):
        return None
    key = new_key()
    if not store.claim_first_admin_key(conn, key_hash=hash_key(key), now=now):
        return None  # another API process is making (or made) it
    workspace = ensure_workspace(conn, name=settings.default_workspace)
    issued = issue_key(conn, workspace_id=workspace["id"], name=FIRST_KEY_NAME, scope="admin", now=now, key=key)
    log.info("first admin API key made", extra={"prefix": issued.row["prefix"], "workspace": workspace["name"]})
    return key


def _store_env_key(conn: sa.Connection, key: str, workspace_name: str, now: datetime) -> None:
    """Store VIGIE_ADMIN_KEY as an admin key; a new value revokes the previous VIGIE_ADMIN_KEY."""
    found = store.get_api_key_by_hash(conn, key_hash=hash_key(key))
    if found is not None:
        if found["revoked_at"] is not None:
            log.warning("VIGIE_ADMIN_KEY was revoked: it opens nothing; set a new one", extra={"key_id": found["id"]})
        return
    workspace = ensure_workspace(conn, name=workspace_name)
    try:
        with conn.begin_nested():  # another API process starting now may store it first: the unique hash decides
            revoked = store.revoke_named_keys(conn, workspace_id=workspace["id"], name=ENV_KEY_NAME, now=now)
            issue_key(conn, workspace_id=workspace["id"], name=ENV_KEY_NAME, scope="admin", now=now, key=key)
    except sa.exc.IntegrityError:
        return
    log.info("VIGIE_ADMIN_KEY stored", extra={"prefix": key_prefix(key), "revoked_previous": revoked})
