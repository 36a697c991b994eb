"""The storage layer: every SQL query of Vigie lives in this package; callers hand it a connection."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def fetch_one(conn: sa.Connection, table: sa.Table, *where: sa.ColumnElement[bool]) -> dict[str, Any] | None:
    """The one row of `table` matching `where`, as a dict, or None."""
    row = conn.execute(sa.select(table).where(*where)).mappings().first()
    return dict(row) if row else None


def fetch_all(conn: sa.Connection, table: sa.Table, *where: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    """Every row of `table` matching `where`, by id."""
    return [dict(r) for r in conn.execute(sa.select(table).where(*where).order_by(table.c.id)).mappings()]
