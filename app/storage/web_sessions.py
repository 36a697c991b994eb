"""Web page sign-ins: sessions found by the hash of their cookie token, with their API key and workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db.schema import api_keys, web_sessions, workspaces


def create_web_session(conn: sa.Connection, *, values: dict[str, Any]) -> int:
    """Store a session (token_hash, api_key_id, csrf_token, created_at, last_seen_at, expires_at); its id."""
    return conn.execute(sa.insert(web_sessions).values(**values).returning(web_sessions.c.id)).scalar_one()


def get_web_session(conn: sa.Connection, *, token_hash: str) -> dict[str, Any] | None:
    """The session with this token hash, joined with its key (scope, name, revocation) and workspace
    (name, language, timezone), or None."""
    stmt = (
        sa.select(
            web_sessions,
            api_keys.c.workspace_id,
            api_keys.c.name.label("key_name"),
            api_keys.c.prefix.label("key_prefix"),
            api_keys.c.scope,
            api_keys.c.revoked_at,
            workspaces.c.name.label("workspace_name"),
            workspaces.c.language.label("workspace_language"),
            workspaces.c.timezone,
        )
        .join(api_keys, api_keys.c.id == web_sessions.c.api_key_id)
        .join(workspaces, workspaces.c.id == api_keys.c.workspace_id)
        .where(web_sessions.c.token_hash == token_hash)
    )
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def touch_web_session(conn: sa.Connection, *, session_id: int, now: datetime) -> None:
    """Record that the session was used at `now`."""
    conn.execute(sa.update(web_sessions).where(web_sessions.c.id == session_id).values(last_seen_at=now))


def set_web_session_language(conn: sa.Connection, *, session_id: int, language: str | None) -> None:
    """The person's language for the pages (None: the workspace's)."""
    conn.execute(sa.update(web_sessions).where(web_sessions.c.id == session_id).values(language=language))


def delete_web_session(conn: sa.Connection, *, token_hash: str) -> bool:
    """End the session with this token hash; True when there was one."""
    return conn.execute(sa.delete(web_sessions).where(web_sessions.c.token_hash == token_hash)).rowcount > 0


def delete_expired_web_sessions(conn: sa.Connection, *, now: datetime) -> int:
    """Forget every session expired at `now`; how many."""
    return conn.execute(sa.delete(web_sessions).where(web_sessions.c.expires_at <= now)).rowcount
