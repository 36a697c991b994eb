"""The collect role end to end: a real feed server on 127.0.0.1, a real database, the real worker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.collect import CollectWorker
from app.db import reading, writing
from app.db.schema import mentions, source_runs, sources
from app.specs import BrandSpec, SourceSpec
from app.storage.brands import create_brand
from app.storage.sources import create_source
from app.storage.workspaces import ensure_workspace
from tests.feedserver import FeedServer

RSS = Path(__file__).resolve().parent / "fixtures" / "rss"
BRANDS = [
    {"name": "SNCF", "query": "sncf OR ouigo OR tgv"},
    {"name": "Orange", "query": '(orange OR livebox) -"jus d\'orange"'},
    {"name": "Air France", "query": '"air france" OR airfrance'},
    {"name": "Accor", "query": "accor OR ibis OR novotel"},
]


@pytest.fixture
def server():
    with FeedServer() as s:
        yield s


def _setup(engine: sa.Engine, feeds: dict[str, str]) -> dict[str, int]:
    """Brands plus one rss source per (name -> url); returns source ids by name."""
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name="default")
        for b in BRANDS:
            create_brand(conn, workspace_id=ws["id"], values=BrandSpec(**b).to_row())
        return {
            name: create_source(
                conn, workspace_id=ws["id"], values=SourceSpec(name=name, kind="rss", url=url).to_row()
            )["id"]
            for name, url in feeds.items()
        }


def _source(engine: sa.Engine, source_id: int) -> dict:
    with reading(engine) as conn:
        return dict(conn.execute(sa.select(sources).where(sources.c.id == source_id)).mappings().one())


def _runs(engine: sa.Engine, source_id: int) -> list[dict]:
    with reading(engine) as conn:
        stmt = sa.select(source_runs).where(source_runs.c.source_id == source_id).order_by(source_runs.c.id)
        return [dict(r) for r in conn.execute(stmt).mappings()]


def _mention_count(engine: sa.Engine, source_id: int | None = None) -> int:
    stmt = sa.select(sa.func.count()).select_from(mentions)
    if source_id is not None:
        stmt = stmt.where(mentions.c.source_id == source_id)
    with reading(engine) as conn:
        return conn.execute(stmt).scalar_one()


def _make_due(engine: sa.Engine) -> None:
    with writing(engine) as conn:
        conn.execute(sa.update(sources).values(due_at=datetime.now(UTC) - timedelta(seconds=1)))


@pytest.fixture
def worker(engine, settings):
    w = CollectWorker(engine, settings)
    yield w
    w.close()


def test_a_feed_is_collected_then_answered_304_with_conditional_headers(engine, worker, server) -> None:
    server.add(
        "/lemonde.xml",
        (RSS / "lemonde_rss2.xml").read_bytes(),
        etag='"v1"',
        last_modified="Sun, 22 Nov 2026 08:00:00 GMT",
    )
    ids = _setup(engine, {"Le Monde": server.url("/lemonde.xml")})
    [report] = worker.run_once()
    assert report.status == "ok" and report.new > 0
    stored = _mention_count(engine)
    assert stored == report.new
    src = _source(engine, ids["Le Monde"])
    assert src["etag"] == '"v1"' and src["last_success_at"] is not None and src["lease_owner"] is None
    # Next check honours the feed's <ttl>60</ttl> (one hour), longer than the 15-minute interval.
    assert src["due_at"] > datetime.now(UTC) + timedelta(minutes=55)

    _make_due(engine)
    [second] = worker.run_once()
    assert second.status == "not_modified" and second.new == 0
    last = server.requests[-1]
    assert last.headers["if-none-match"] == '"v1"'
    assert last.headers["if-modified-since"] == "Sun, 22 Nov 2026 08:00:00 GMT"
    assert "Vigie" in last.headers["user-agent"]
    assert _mention_count(engine) == stored
    assert [r["status"] for r in _runs(engine, ids["Le Monde"])] == ["ok", "not_modified"]


def test_refetching_a_changed_feed_stores_only_new_items(engine, worker, server) -> None:
    body = (RSS / "google_news_fr.xml").read_bytes()
    server.add("/gn.xml", body)
    _setup(engine, {"Google News": server.url("/gn.xml")})
    [first] = worker.run_once()
    _make_due(engine)
    [second] = worker.run_once()
    assert second.status == "ok" and second.new == 0 and second.duplicate == second.fetched
    assert _mention_count(engine) == first.new


def test_a_malformed_feed_keeps_what_can_be_read_and_records_the_problem(engine, worker, server) -> None:
    server.add("/broken.xml", (RSS / "malformed.xml").read_bytes())
    ids = _setup(engine, {"Broken": server.url("/broken.xml")})
    [report] = worker.run_once()
    assert report.status == "partial" and report.new > 0
    src = _source(engine, ids["Broken"])
    assert "malformed feed" in src["last_error"] and src["consecutive_errors"] == 0


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda s: s.add("/f", (RSS / "billion_laughs.xml").read_bytes()), "entity"),
        (lambda s: s.add_stream("/f", 50_000_000), "larger than"),
        (lambda s: s.add("/f", (RSS / "not_a_feed.html").read_bytes(), content_type="text/html"), "not a feed"),
        (lambda s: s.set_failure("/f", 500), "HTTP 500"),
    ],
    ids=["xml-bomb", "huge-body", "html-page", "server-error"],
)
def test_bad_sources_fail_cleanly_with_a_clear_error_and_back_off(engine, settings, server, setup, expected) -> None:
    setup(server)
    ids = _setup(engine, {"Bad": server.url("/f")})
    settings.fetch_max_bytes = 5_000_000
    w = CollectWorker(engine, settings)
    try:
        [report] = w.run_once()
    finally:
        w.close()
    assert report.status == "error" and expected in report.error
    src = _source(engine, ids["Bad"])
    assert src["consecutive_errors"] == 1 and expected in src["last_error"] and src["lease_owner"] is None
    assert src["due_at"] > datetime.now(UTC) + timedelta(minutes=25)  # 15-minute interval doubled by backoff
    assert _mention_count(engine) == 0


def test_one_slow_source_does_not_delay_the_others(engine, settings, server) -> None:
    server.add("/slow.xml", (RSS / "lemonde_rss2.xml").read_bytes(), delay=6)
    feeds = {"Slow": server.url("/slow.xml")}
    for name in ("atom_blog.xml", "rdf_rss1.xml", "google_news_fr.xml"):
        server.add(f"/{name}", (RSS / name).read_bytes())
        feeds[name] = server.url(f"/{name}")
    ids = _setup(engine, feeds)
    with writing(engine) as conn:  # the slow source is the most overdue: it is claimed first
        conn.execute(
            sa.update(sources).where(sources.c.id == ids["Slow"]).values(due_at=datetime(2026, 1, 1, tzinfo=UTC))
        )
    settings.fetch_read_timeout = 3.0
    settings.collect_concurrency = 2  # the slow source holds one of only two slots
    w = CollectWorker(engine, settings)
    try:
        first = w.tick()
        slow_future, fast = first[0], list(first[1:])
        while len(fast) < 3:  # later ticks use the free slot while the slow fetch is still waiting
            fast += w.tick()
            fast[-1].result(timeout=10)
        assert all(f.result(timeout=10).status == "ok" for f in fast)
        assert not slow_future.done(), "the fast sources had to wait for the slow one"
        assert slow_future.result(timeout=10).status == "error"
    finally:
        w.close()
    assert "timed out" in _source(engine, ids["Slow"])["last_error"]
    for name in ("atom_blog.xml", "rdf_rss1.xml", "google_news_fr.xml"):
        assert _mention_count(engine, ids[name]) > 0, name


def test_a_private_address_is_refused_unless_allowed(engine, settings, server) -> None:
    server.add("/feed.xml", (RSS / "lemonde_rss2.xml").read_bytes())
    ids = _setup(engine, {"Local": server.url("/feed.xml")})
    settings.allow_private_urls = False
    w = CollectWorker(engine, settings)
    try:
        [report] = w.run_once()
    finally:
        w.close()
    assert report.status == "error" and "VIGIE_ALLOW_PRIVATE_URLS" in report.error
    assert server.hits("/feed.xml") == 0
    assert _source(engine, ids["Local"])["consecutive_errors"] == 1


def test_one_tick_works_through_a_backlog_at_the_speed_of_the_fetches(engine, settings, server) -> None:
    """Twelve sources due at once and two fetch slots: the tick refills each slot as soon as its fetch ends, so
    the backlog does not wait for later ticks (two sources per tick period: 1,000 due sources took 10 minutes)."""
    feeds = {}
    for n in range(12):
        server.add(f"/feed/{n}.xml", (RSS / "atom_blog.xml").read_bytes())
        feeds[f"Feed {n}"] = server.url(f"/feed/{n}.xml")
    _setup(engine, feeds)
    settings.collect_concurrency = 2
    settings.collect_tick_seconds = 60.0
    w = CollectWorker(engine, settings)
    try:
        started = time.monotonic()
        futures = w.tick()
        returned = time.monotonic() - started
        reports = [f.result(timeout=10) for f in futures]
    finally:
        w.close()
    assert len(reports) == 12 and {r.status for r in reports} == {"ok"}
    assert all(server.hits(f"/feed/{n}.xml") == 1 for n in range(12))
    assert max(server.max_concurrency(f"/feed/{n}.xml") for n in range(12)) == 1
    assert returned < 20, "the tick waited for its whole period although nothing more was due"


def test_a_tick_whose_slots_stay_busy_returns_within_its_period(engine, settings, server) -> None:
    body = (RSS / "atom_blog.xml").read_bytes()
    server.add("/slow.xml", body, delay=3)
    server.add("/next.xml", body)
    ids = _setup(engine, {"Slow": server.url("/slow.xml"), "Next": server.url("/next.xml")})
    with writing(engine) as conn:  # the slow source is claimed first
        conn.execute(
            sa.update(sources).where(sources.c.id == ids["Slow"]).values(due_at=datetime(2026, 1, 1, tzinfo=UTC))
        )
    settings.fetch_read_timeout = 5.0
    settings.collect_concurrency = 1
    settings.collect_tick_seconds = 1.0
    w = CollectWorker(engine, settings)
    try:
        started = time.monotonic()
        [slow] = w.tick()
        assert time.monotonic() - started < 2.5, "the tick waited for the slow fetch to end"
        assert server.hits("/next.xml") == 0  # left to a later tick
        assert slow.result(timeout=10).status == "ok"
        [after] = w.tick()
        assert after.result(timeout=10).status == "ok"
    finally:
        w.close()
    assert server.hits("/next.xml") == 1
