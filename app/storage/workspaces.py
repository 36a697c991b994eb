"""Workspaces: the tenant every brand, source and mention belongs to."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db.schema import utcnow, workspaces


def get_workspace(conn: sa.Connection, *, name: str) -> dict[str, Any] | None:
    """The workspace called `name`, or None."""
    row = conn.execute(sa.select(workspaces).where(workspaces.c.name == name)).mappings().first()
    return dict(row) if row else None


def ensure_workspace(
    conn: sa.Connection, *, name: str, language: str | None = None, timezone: str | None = None
) -> dict[str, Any]:
    """Get the workspace called `name`, creating it (or updating language/time zone when given)."""
    found = get_workspace(conn, name=name)
    if found is None:
        values = {"name": name, "created_at": utcnow(), "language": language or "fr"}
        values["timezone"] = timezone or "Europe/Paris"
        conn.execute(sa.insert(workspaces).values(**values))
        return get_workspace(conn, name=name)  # type: ignore[return-value]
    changes = {k: v for k, v in (("language", language), ("timezone", timezone)) if v and found[k] != v}
    if changes:
        conn.execute(sa.update(workspaces).where(workspaces.c.id == found["id"]).values(**changes))
        found.update(changes)
    return found
