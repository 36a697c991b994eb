"""A throw-away PostgreSQL database for the benchmarks: created on the server of an admin URL, dropped after."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import sqlalchemy as sa

from app.db import make_engine
from app.db.migrate import upgrade


def temp_postgres_database(admin_url: str, *, migrate: bool = True) -> tuple[str, Callable[[], None]]:
    """Create `vigie_bench_<random>` (migrated unless told not to); its URL and the function that drops it."""
    admin = make_engine(admin_url, pool_size=1)
    name = f"vigie_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except BaseException:
        admin.dispose()
        raise

    def drop() -> None:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    if migrate:
        try:
            upgrade(url)
        except BaseException:
            drop()
            raise
    return url, drop


def postgres_unreachable(admin_url: str) -> str | None:
    """Why PostgreSQL cannot be used at `admin_url`, or None when it answers."""
    engine = make_engine(admin_url, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        return f"unreachable at {sa.make_url(admin_url).render_as_string()} ({type(exc).__name__})"
    finally:
        engine.dispose()
    return None
