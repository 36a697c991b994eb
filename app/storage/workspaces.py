"""Workspaces: the tenant every brand, source and mention belongs to, with its language and crisis terms."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db.schema import utcnow, workspaces
from app.storage import fetch_one
from app.storage.rollup_levels import rederive_days

WORKSPACE_FIELDS = ("language", "timezone", "crisis_terms", "ignored_terms", "alerting", "retention_days")


def get_workspace(conn: sa.Connection, *, name: str) -> dict[str, Any] | None:
    """The workspace called `name`, or None."""
    return fetch_one(conn, workspaces, workspaces.c.name == name)


def get_workspace_by_id(conn: sa.Connection, *, workspace_id: int) -> dict[str, Any] | None:
    """The workspace with this id, or None."""
    return fetch_one(conn, workspaces, workspaces.c.id == workspace_id)


def ensure_workspace(conn: sa.Connection, *, name: str, **values: Any) -> dict[str, Any]:
    """Get the workspace called `name`, creating it; given fields (language, timezone, terms, alerting) are set."""
    given = {k: v for k, v in values.items() if k in WORKSPACE_FIELDS and v is not None}
    found = get_workspace(conn, name=name)
    if found is None:
        try:
            with conn.begin_nested():  # two processes starting together may both create it: the unique name decides
                conn.execute(sa.insert(workspaces).values(name=name, created_at=utcnow(), **given))
                return get_workspace(conn, name=name)  # type: ignore[return-value]
        except sa.exc.IntegrityError:
            found = get_workspace(conn, name=name)
    return update_workspace(conn, workspace_id=found["id"], values=given) or found


def update_workspace(conn: sa.Connection, *, workspace_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
    """Change the given fields of a workspace; None when it does not exist. A new time zone re-derives its daily
    rollups (local days) in the same transaction."""
    changes = {k: v for k, v in values.items() if k in WORKSPACE_FIELDS}
    if changes:
        before = get_workspace_by_id(conn, workspace_id=workspace_id) if "timezone" in changes else None
        conn.execute(sa.update(workspaces).where(workspaces.c.id == workspace_id).values(**changes))
        if before is not None and before["timezone"] != changes["timezone"]:
            rederive_days(conn, workspace_id=workspace_id)
    return get_workspace_by_id(conn, workspace_id=workspace_id)


def list_workspaces(conn: sa.Connection) -> list[dict[str, Any]]:
    """Every workspace, by id."""
    return [dict(r) for r in conn.execute(sa.select(workspaces).order_by(workspaces.c.id)).mappings()]
