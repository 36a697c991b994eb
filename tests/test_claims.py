"""Claiming due sources: the database decides what is due, leases exclude other workers, expired leases return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.db import reading, writing
from app.db.schema import sources
from app.storage.sources import RunReport, claim_due_sources, finish_source_run, list_source_runs
from tests.factories import make_world


def _world(engine: sa.Engine, n: int) -> dict:
    specs = [{"name": f"feed {i}", "kind": "rss", "url": f"https://example.org/{i}.xml"} for i in range(n)]
    return make_world(engine, sources=specs)


def _claim(engine: sa.Engine, owner: str, *, limit: int = 10, now: datetime | None = None) -> list[dict]:
    with writing(engine) as conn:
        return claim_due_sources(conn, owner=owner, limit=limit, lease_seconds=60, now=now)


def test_claims_oldest_due_first_up_to_the_limit(engine) -> None:
    world = _world(engine, 5)
    with writing(engine) as conn:
        for i, s in enumerate(world["sources"]):
            conn.execute(
                sa.update(sources)
                .where(sources.c.id == s["id"])
                .values(due_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=5 - i))
            )
    claimed = _claim(engine, "w1", limit=3)
    assert [c["name"] for c in claimed] == ["feed 4", "feed 3", "feed 2"]
    assert all(c["lease_owner"] == "w1" for c in claimed)


def test_a_leased_source_is_not_claimed_again_until_its_lease_expires(engine) -> None:
    _world(engine, 2)
    assert len(_claim(engine, "w1")) == 2
    assert _claim(engine, "w2") == []
    later = datetime.now(UTC) + timedelta(seconds=61)  # the first worker died: its leases expired
    taken_over = _claim(engine, "w2", now=later)
    assert len(taken_over) == 2 and {c["lease_owner"] for c in taken_over} == {"w2"}


def test_sources_not_yet_due_or_disabled_are_not_claimed(engine) -> None:
    world = _world(engine, 2)
    with writing(engine) as conn:
        conn.execute(sa.update(sources).where(sources.c.id == world["sources"][0]["id"]).values(enabled=False))
        conn.execute(
            sa.update(sources)
            .where(sources.c.id == world["sources"][1]["id"])
            .values(due_at=datetime.now(UTC) + timedelta(hours=1))
        )
    assert _claim(engine, "w1") == []


def _report(status: str, error: str | None = None) -> RunReport:
    return RunReport(started_at=datetime.now(UTC), duration_ms=12, status=status, fetched=3, new=2, error=error)


def test_finishing_a_run_releases_the_lease_records_health_and_the_run(engine) -> None:
    _world(engine, 1)
    source = _claim(engine, "w1")[0]
    next_due = datetime.now(UTC) + timedelta(minutes=15)
    with writing(engine) as conn:
        assert finish_source_run(
            conn,
            source_id=source["id"],
            owner="w1",
            report=_report("error", "HTTP 500"),
            next_due_at=next_due,
            state={},
        )
    with reading(engine) as conn:
        row = conn.execute(sa.select(sources).where(sources.c.id == source["id"])).mappings().one()
        runs = list_source_runs(conn, source_id=source["id"])
    assert row["lease_owner"] is None and row["lease_until"] is None
    assert row["due_at"] == next_due
    assert (row["consecutive_errors"], row["last_error"], row["last_status"]) == (1, "HTTP 500", "error")
    assert [(r["status"], r["fetched_count"], r["new_count"]) for r in runs] == [("error", 3, 2)]


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_owner(engine) -> None:
    _world(engine, 1)
    source = _claim(engine, "w1")[0]
    _claim(engine, "w2", now=datetime.now(UTC) + timedelta(seconds=61))
    with writing(engine) as conn:
        released = finish_source_run(
            conn,
            source_id=source["id"],
            owner="w1",
            report=_report("ok"),
            next_due_at=datetime.now(UTC),
            state={"etag": '"stale"'},
        )
    assert released is False
    with reading(engine) as conn:
        row = conn.execute(sa.select(sources).where(sources.c.id == source["id"])).mappings().one()
    assert row["lease_owner"] == "w2" and row["etag"] is None
