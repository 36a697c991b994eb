"""Shared fixtures: a migrated database per test, on SQLite and on PostgreSQL.

PostgreSQL tests use VIGIE_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test):
a database of their own is created next to it for the session and dropped at the end. Where PostgreSQL is
unreachable they skip with the reason, except under CI=true, where that is an error.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.db import make_engine
from app.db.migrate import upgrade
from app.db.schema import metadata
from app.settings import Settings

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_admin_url() -> str:
    return os.environ.get("VIGIE_TEST_POSTGRES_URL", DEFAULT_PG)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@contextmanager
def new_postgres_database(prefix: str = "vigie_test") -> Iterator[str]:
    """A new, empty PostgreSQL database next to VIGIE_TEST_POSTGRES_URL, dropped afterwards (connections and
    all). Skips with the reason where PostgreSQL is unreachable, except under CI=true, where that fails."""
    admin = make_engine(_pg_admin_url(), pool_size=1)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        message = f"PostgreSQL unreachable at {sa.make_url(_pg_admin_url()).render_as_string()}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test session."""
    with new_postgres_database() as url:
        upgrade(url)
        yield url


def empty_database(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> str:
    """A migrated, empty database: a fresh SQLite file, or the session's PostgreSQL database emptied."""
    if kind == "sqlite":
        path = tmp_path / "vigie.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url, pool_size=1)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a fresh SQLite file, or the session's PostgreSQL database emptied."""
    return empty_database(request, request.param, tmp_path)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database, disposed after the test."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for tests: the test database, private URLs allowed (local servers), short timeouts."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        allow_private_urls=True,
        fetch_connect_timeout=2,
        fetch_read_timeout=2,
        min_interval_seconds=1,
        collect_concurrency=4,
    )
