"""Brands: what a workspace watches (its own brands and its competitors), each with a query."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db.schema import brands, utcnow
from app.storage import fetch_all, fetch_one

BRAND_FIELDS = ("name", "query", "languages", "is_competitor", "detection")


def list_brands(conn: sa.Connection, *, workspace_id: int) -> list[dict[str, Any]]:
    """Every brand of the workspace, by id."""
    return fetch_all(conn, brands, brands.c.workspace_id == workspace_id)


def get_brand(conn: sa.Connection, *, workspace_id: int, brand_id: int) -> dict[str, Any] | None:
    """One brand of the workspace, or None."""
    return fetch_one(conn, brands, brands.c.workspace_id == workspace_id, brands.c.id == brand_id)


def get_brand_by_name(conn: sa.Connection, *, workspace_id: int, name: str) -> dict[str, Any] | None:
    """The brand called `name` in the workspace, or None."""
    return fetch_one(conn, brands, brands.c.workspace_id == workspace_id, brands.c.name == name)


def create_brand(conn: sa.Connection, *, workspace_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Insert a brand (values already validated) and return it."""
    now = utcnow()
    row = {k: values[k] for k in BRAND_FIELDS if k in values}
    stmt = sa.insert(brands).values(workspace_id=workspace_id, created_at=now, updated_at=now, **row)
    brand_id = conn.execute(stmt.returning(brands.c.id)).scalar_one()
    return get_brand(conn, workspace_id=workspace_id, brand_id=brand_id)  # type: ignore[return-value]


def update_brand(
    conn: sa.Connection, *, workspace_id: int, brand_id: int, values: dict[str, Any]
) -> dict[str, Any] | None:
    """Change some fields of a brand; None when it does not exist."""
    changes = {k: values[k] for k in BRAND_FIELDS if k in values}
    if changes:
        stmt = sa.update(brands).where(brands.c.workspace_id == workspace_id, brands.c.id == brand_id)
        conn.execute(stmt.values(updated_at=utcnow(), **changes))
    return get_brand(conn, workspace_id=workspace_id, brand_id=brand_id)


def delete_brand(conn: sa.Connection, *, workspace_id: int, brand_id: int) -> bool:
    """Delete a brand (its mention links go with it); False when it did not exist."""
    stmt = sa.delete(brands).where(brands.c.workspace_id == workspace_id, brands.c.id == brand_id)
    return conn.execute(stmt).rowcount > 0


def brand_name(conn: sa.Connection, *, workspace_id: int, brand_id: int | None) -> str | None:
    """The brand's name, or None (no brand, or deleted)."""
    row = get_brand(conn, workspace_id=workspace_id, brand_id=brand_id) if brand_id is not None else None
    return row["name"] if row else None
