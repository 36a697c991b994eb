"""Migrations go up and down on SQLite and PostgreSQL, and the result matches the schema the code uses."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.db import make_engine
from app.db.migrate import downgrade, head_revision, is_at_head, upgrade
from app.db.schema import metadata


def test_migrations_down_to_base_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        assert is_at_head(engine)
        downgrade(database_url, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        assert not is_at_head(engine)
        upgrade(database_url)
        assert is_at_head(engine)
        assert {"workspaces", "brands", "sources", "source_runs", "mentions", "mention_brands"} <= set(
            sa.inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_code(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = compare_metadata(ctx, metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_head_is_known() -> None:
    assert head_revision() == "0012"
