"""Alembic, driven from code: `vigie migrate` and `/readyz` use these."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

import migrations


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the bundled migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    # Alembic's config is an ini parser: a literal % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Upgrade the database to `revision` (the latest by default)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Downgrade the database to `revision` (`base` drops every table)."""
    command.downgrade(alembic_config(database_url), revision)


@lru_cache(maxsize=1)
def _shipped_head() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def head_revision() -> str | None:
    """The newest migration shipped with this version of Vigie (the same whatever the database)."""
    return _shipped_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    """True when the database schema is the one this code expects."""
    return current_revision(engine) == head_revision()


def current_revision_of(database_url: str) -> str | None:
    """The migration a database is at, by URL."""
    from app.db.engine import make_engine

    engine = make_engine(database_url, pool_size=1)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()
