"""Engine creation: SQLite gets WAL, a busy timeout and foreign keys; PostgreSQL gets a sane pool."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 30_000  # how long a SQLite writer waits for another one


def make_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    """Create the engine for a SQLAlchemy URL (sqlite:///file.db or postgresql+psycopg://...)."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("psycopg2", "psycopg2cffi"):
        raise ValueError("use the psycopg 3 driver: postgresql+psycopg://...")
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin): pysqlite's implicit transactions defer locking.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # Write transactions use BEGIN IMMEDIATE: it takes the write lock up front, so two writers wait for each
    # other (busy_timeout) instead of failing with "database is locked" half-way through a read-then-write
    # transaction; the atomic claim of due sources relies on it. Reads stay deferred and run concurrently (WAL).
    options = conn.get_execution_options()
    if options.get("vigie_nowait", False):
        conn.exec_driver_sql("PRAGMA busy_timeout=0")  # fail at once if another writer holds the lock
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("vigie_write", False) else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[sa.Connection]:
    """A write transaction, committed on success and rolled back on error."""
    with engine.connect() as conn:
        conn = conn.execution_options(vigie_write=True)
        with conn.begin():
            yield conn


@contextmanager
def writing_nowait(engine: Engine) -> Iterator[sa.Connection]:
    """A small write transaction for bookkeeping that may be skipped: instead of waiting for another writer it
    fails at once with sa.exc.OperationalError (SQLite's write lock taken, or a PostgreSQL row lock held for
    more than 200 ms)."""
    with engine.connect() as conn:
        conn = conn.execution_options(vigie_write=True, vigie_nowait=True)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[sa.Connection]:
    """A read-only transaction (deferred on SQLite, so readers never wait for each other)."""
    with engine.connect() as conn, conn.begin():
        yield conn
