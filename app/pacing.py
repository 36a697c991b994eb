"""Host pacing in the database, so that every collector process shares one turn-taking per host."""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from app.db import writing
from app.db.schema import host_pacing
from collectors.base import FetchDeferred


class DbPacer:
    """collectors.http.Pacer over the `host_pacing` table.

    A turn is reserved with one short write transaction (a row lock on PostgreSQL, the write lock on SQLite):
    read the host's next free time, move it `interval` later, commit, then sleep outside the transaction.
    """

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self._clock = clock
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    def reserve(self, key: str, interval: float, max_wait: float) -> float:
        """See collectors.http.Pacer.reserve."""
        with writing(self.engine) as conn:
            now = self._clock()
            self._ensure_row(conn, key)
            current = conn.execute(
                sa.select(host_pacing.c.next_at).where(host_pacing.c.key == key).with_for_update()
            ).scalar_one()
            turn = max(current, now)
            wait = turn - now
            if wait > max_wait:
                raise FetchDeferred(key, wait)
            conn.execute(sa.update(host_pacing).where(host_pacing.c.key == key).values(next_at=turn + interval))
            return wait

    def hold(self, key: str, seconds: float) -> None:
        """See collectors.http.Pacer.hold."""
        with writing(self.engine) as conn:
            self._ensure_row(conn, key)
            until = self._clock() + seconds
            conn.execute(
                sa.update(host_pacing)
                .where(host_pacing.c.key == key, host_pacing.c.next_at < until)
                .values(next_at=until)
            )

    def _ensure_row(self, conn: sa.Connection, key: str) -> None:
        conn.execute(self._insert(host_pacing).values(key=key, next_at=0.0).on_conflict_do_nothing())
