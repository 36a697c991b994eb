"""Signing in to the web page with an API key: a random session token in an HttpOnly cookie, a CSRF token for
the page's forms and fetch calls. Only hashes of the tokens' secrets are stored (the key's, the session's).

A session acts with its key's workspace and scope, and ends when the key is revoked, when it expires or at
sign-out. The JSON API accepts the cookie too (app.api.deps), so that the page's live stream and buttons use
the same endpoints as every other client; a cookie-borne change needs the CSRF token in `X-CSRF-Token`.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from fastapi import Response

from app.apikeys import TOUCH_EVERY, hash_key
from app.settings import Settings
from app.storage import web_sessions as store
from app.storage.apikeys import get_api_key_by_hash

COOKIE = "vigie_session"
CSRF_HEADER = "X-CSRF-Token"
LANGUAGES = ("fr", "en")


@dataclass(frozen=True, slots=True)
class WebUser:
    """Who is signed in: the session, its API key, scope and workspace, and the page language."""

    session_id: int
    key_id: int
    key_name: str
    scope: str
    workspace_id: int
    workspace_name: str
    timezone: str
    language: str
    csrf_token: str
    stale: bool = False  # last use recorded over a minute ago: record this one


class SignInError(Exception):
    """The key given at sign-in cannot open a session (the message says why, for the person)."""


def sign_in(conn: sa.Connection, *, key: str, settings: Settings, now: datetime) -> str:
    """Open a session for an API key; the session token for the cookie. Raises SignInError."""
    row = get_api_key_by_hash(conn, key_hash=hash_key(key.strip()))
    if row is None:
        raise SignInError("unknown")
    if row["revoked_at"] is not None:
        raise SignInError("revoked")
    store.delete_expired_web_sessions(conn, now=now)
    token = secrets.token_urlsafe(32)
    store.create_web_session(
        conn,
        values={
            "token_hash": hash_key(token),
            "api_key_id": row["id"],
            "csrf_token": secrets.token_urlsafe(32),
            "created_at": now,
            "last_seen_at": now,
            "expires_at": now + timedelta(hours=settings.web_session_hours),
        },
    )
    return token


def read_session(conn: sa.Connection, *, token: str | None, now: datetime) -> WebUser | None:
    """The signed-in person of a session token, or None (no token, unknown, expired, or its key revoked)."""
    if not token:
        return None
    row = store.get_web_session(conn, token_hash=hash_key(token))
    if row is None or row["expires_at"] <= now or row["revoked_at"] is not None:
        return None
    language = row["language"] or row["workspace_language"]
    return WebUser(
        session_id=row["id"],
        key_id=row["api_key_id"],
        key_name=row["key_name"],
        scope=row["scope"],
        workspace_id=row["workspace_id"],
        workspace_name=row["workspace_name"],
        timezone=row["timezone"],
        language=language if language in LANGUAGES else "en",
        csrf_token=row["csrf_token"],
        stale=now - row["last_seen_at"] >= TOUCH_EVERY,
    )


def csrf_matches(user: WebUser, presented: str | None) -> bool:
    """True when the page sent back the session's CSRF token (compared in constant time)."""
    return bool(presented) and hmac.compare_digest(user.csrf_token, presented or "")


def sign_out(conn: sa.Connection, *, token: str | None) -> None:
    """End the session of this token, if any."""
    if token:
        store.delete_web_session(conn, token_hash=hash_key(token))


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """The session cookie: HttpOnly (no script reads it), Secure unless VIGIE_WEB_COOKIE_SECURE=false, and
    SameSite=Lax, so that a link from Slack or an e-mail lands signed in while other sites' forms do not carry
    it (and the CSRF token guards every change anyway)."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.web_session_hours * 3600),
        path="/",
        secure=settings.web_cookie_secure,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Make the browser forget the session cookie."""
    response.delete_cookie(COOKIE, path="/", secure=settings.web_cookie_secure, httponly=True, samesite="lax")
