"""Host pacing shared through the database: two processes' pacers (two engines) take turns at one host."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.collect import CollectWorker
from app.db import make_engine, reading, writing
from app.db.schema import source_runs, sources
from app.pacing import DbPacer
from app.specs import SourceSpec
from app.storage.sources import create_source
from app.storage.workspaces import ensure_workspace
from collectors.base import FetchDeferred
from tests.collectors.fakes.hackernews import HackerNewsFake
from tests.fakeapi import FakeApi


def test_two_processes_pacers_share_the_turns_of_a_host(database_url) -> None:
    clock = [5000.0]
    first = DbPacer(make_engine(database_url), clock=lambda: clock[0])
    second = DbPacer(make_engine(database_url), clock=lambda: clock[0])
    try:
        waits = [
            first.reserve("hn.example", 5.0, 60),
            second.reserve("hn.example", 5.0, 60),
            first.reserve("hn.example", 5.0, 60),
        ]
        assert waits == [0.0, 5.0, 10.0]
        assert second.reserve("other.example", 5.0, 60) == 0.0  # hosts are paced separately
        clock[0] += 30  # time passes: the host is free again
        assert second.reserve("hn.example", 5.0, 60) == 0.0
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_a_turn_too_far_away_defers_without_reserving(engine) -> None:
    clock = [100.0]
    pacer = DbPacer(engine, clock=lambda: clock[0])
    pacer.hold("api.example", 300)
    with pytest.raises(FetchDeferred) as caught:
        pacer.reserve("api.example", 1.0, 20)
    assert 299 <= caught.value.retry_after <= 300
    clock[0] += 301
    assert pacer.reserve("api.example", 1.0, 20) == 0.0  # the refused call reserved nothing


def test_a_host_held_by_a_429_defers_the_other_sources_of_the_kind(engine, settings) -> None:
    """A deferred source is neither an error nor a success: its health does not change, it is due later."""
    fake = HackerNewsFake()
    fake.add_story("Acme")
    with FakeApi(fake) as api, writing(engine) as conn:
        ws = ensure_workspace(conn, name="default")
        source = create_source(
            conn,
            workspace_id=ws["id"],
            values=SourceSpec(name="hn", kind="hackernews", params={"query": "acme", "api_url": api.base}).to_row(),
        )
    worker = CollectWorker(engine, settings)
    try:
        worker.fetcher.pacer.hold(api.base.removeprefix("http://"), 600)
        [report] = worker.run_once()
    finally:
        worker.close()
    assert report.status == "deferred" and "paced" in report.error
    with reading(engine) as conn:
        row = conn.execute(sa.select(sources).where(sources.c.id == source["id"])).mappings().one()
        runs = conn.execute(sa.select(source_runs.c.status)).scalars().all()
    assert row["consecutive_errors"] == 0 and row["last_error"] is None
    assert runs == ["deferred"]
    assert (row["due_at"] - report.started_at).total_seconds() >= 590
    assert api.requests == []
