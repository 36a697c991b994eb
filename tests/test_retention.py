"""Retention in the database, on SQLite and PostgreSQL: two workspaces with their own policies, four months of
Orange and Free mentions each, purged on 1 October 2026. The purge must take exactly what is past each horizon, leave
every rollup level as it was (and recounts must keep it so), keep detection's baselines, delete each mention once when
two workers purge together, and a purged item still listed by a feed must not come back."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from alerts.detection.config import for_brand
from alerts.detection.evaluate import evaluate_brand
from app.cli import main
from app.collect import CollectWorker
from app.config_file import ConfigError, load_config
from app.db import reading, writing
from app.db.migrate import downgrade, upgrade
from app.db.retention_schema import mention_rollups_daily, mention_rollups_hourly, mention_tombstones
from app.db.schema import mention_rollups, mentions, source_runs, sources, workspaces
from app.detect import mention_point
from app.pipeline import ingest_drafts
from app.purge import purge_workspace
from app.specs import BrandSpec, SourceSpec
from app.storage.brands import create_brand
from app.storage.curation import mark_out
from app.storage.mentions import brand_mention_points
from app.storage.retention import retention_workspaces
from app.storage.rollup_levels import group_quarters
from app.storage.rollups import rebuild_every_rollup
from app.storage.sources import create_source
from app.storage.workspaces import ensure_workspace, update_workspace
from app.volume import brand_volume
from tests.factories import FREE, ORANGE, draft
from tests.feedserver import FeedServer

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
START = datetime(2026, 6, 1, tzinfo=UTC)
HORIZONS = {  # the local midnight (Paris) starting the day 40 and 70 days before NOW
    "default": datetime(2026, 8, 21, 22, 0, tzinfo=UTC),
    "agence": datetime(2026, 7, 22, 22, 0, tzinfo=UTC),
}
TEXTS = [
    "Panne Livebox depuis ce matin, service client injoignable, inadmissible",
    "Orange fibre enfin installée, super débit, merci Orange",
    "La Freebox Pop est plus rapide que la Livebox ?",
    "Free mobile augmente ses prix, je pars chez Sosh",
    "Orange annonce de nouveaux forfaits pour la rentrée",
    "My Orange fibre connection dropped again, terrible support, I want a refund",
    "Freebox en panne, coupure générale à Lyon, scandale",
]
ROLLUP_TABLES = (mention_rollups, mention_rollups_hourly, mention_rollups_daily)
VIGIE = [sys.executable, "-c", "from app.cli import main; main()"]


@pytest.fixture
def settings(settings):
    """Workspaces without a period of their own keep 70 days here; small batches, so that purges take several."""
    return settings.model_copy(update={"retention_days": 70, "purge_batch_size": 37})


def _fill(engine, workspace_id: int, source_id: int, prefix: str, count: int = 300) -> None:
    rng = random.Random(prefix)
    span = (NOW - START).total_seconds()
    drafts = [
        draft(
            i,
            f"{rng.choice(TEXTS)} #{prefix}{i}",
            external_id=f"{prefix}-{i}",
            url=f"https://news.example.fr/{prefix}/{i}",
            author=f"@user{rng.randrange(30)}",
            author_reach=rng.choice([50, 900, 20_000]),
            published_at=START + timedelta(seconds=rng.random() * span),
        )
        for i in range(count)
    ]
    with writing(engine) as conn:
        ingest_drafts(conn, workspace_id=workspace_id, source_id=source_id, drafts=drafts, now=NOW)


def _workspace(engine, name: str, retention_days: int | None) -> dict:
    feed = SourceSpec(name="feed", kind="rss", url="https://example.org/feed.xml").to_row()
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name=name, retention_days=retention_days)
        made = [create_brand(conn, workspace_id=ws["id"], values=BrandSpec(**b).to_row()) for b in (ORANGE, FREE)]
        source = create_source(conn, workspace_id=ws["id"], values=feed)
    return {"id": ws["id"], "brands": {b["name"]: b for b in made}, "source": source}


@pytest.fixture
def world(engine) -> dict:
    made = {"default": _workspace(engine, "default", 40), "agence": _workspace(engine, "agence", None)}
    for name, ws in made.items():
        _fill(engine, ws["id"], ws["source"]["id"], name)
    return made


def _purge(engine, settings, name: str, now: datetime = NOW):
    with reading(engine) as conn:
        [workspace] = retention_workspaces(conn, name=name)
    return purge_workspace(engine, workspace=workspace, settings=settings, now=now)


def _published(engine, workspace_id: int) -> dict[int, datetime]:
    with reading(engine) as conn:
        stmt = sa.select(mentions.c.id, mentions.c.published_at).where(mentions.c.workspace_id == workspace_id)
        return dict(conn.execute(stmt).all())


def _rollups(engine) -> list[list[tuple]]:
    with reading(engine) as conn:
        return [[tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key))] for t in ROLLUP_TABLES]


def _count(engine, table: sa.Table) -> int:
    with reading(engine) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_the_purge_takes_exactly_what_is_past_each_workspaces_horizon(engine, settings, world: dict) -> None:
    before = {name: _published(engine, ws["id"]) for name, ws in world.items()}
    reports = {name: _purge(engine, settings, name) for name in world}
    for name, ws in world.items():
        horizon = HORIZONS[name]
        old = {i for i, at in before[name].items() if at < horizon}
        assert reports[name].horizon == horizon and reports[name].days == (40 if name == "default" else 70)
        assert reports[name].counts["mentions"] == len(old) > 60
        assert set(_published(engine, ws["id"])) == set(before[name]) - old
    with reading(engine) as conn:
        horizons = dict(conn.execute(sa.select(workspaces.c.name, workspaces.c.purged_before)).all())
        buried = conn.execute(sa.select(sa.func.count()).select_from(mention_tombstones)).scalar_one()
    assert horizons == HORIZONS
    # Each purged mention leaves its external id, its URL and its content hash.
    assert buried == 3 * sum(r.counts["mentions"] for r in reports.values())
    again = _purge(engine, settings, "default")
    assert again.counts["mentions"] == 0 and again.finished


def test_rollups_outlive_the_purge_and_recounts_keep_them(engine, settings, world: dict) -> None:
    before = _rollups(engine)
    for name in world:
        _purge(engine, settings, name)
    assert _rollups(engine) == before
    with writing(engine) as conn:
        rebuild_every_rollup(conn)  # `vigie rollups rebuild`: the purged months cannot be recounted, and are kept
    assert _rollups(engine) == before
    orange = world["default"]["brands"]["Orange"]
    with reading(engine) as conn:
        latest = sa.select(mentions).where(mentions.c.workspace_id == world["default"]["id"])
        recent = conn.execute(latest.order_by(mentions.c.published_at.desc())).mappings().first()
    with writing(engine) as conn:  # a CM marks a recent mention as spam: every level follows
        mark_out(
            conn, workspace_id=1, mention=dict(recent), brand_ids=[orange["id"]], mark="spam", key_name="cm", now=NOW
        )
    after = _rollups(engine)
    assert sum(r[3] for r in after[0]) == sum(r[3] for r in before[0]) - 1
    _assert_levels_derive_from_quarters(engine, orange["id"])
    cut = HORIZONS["default"]
    for level in range(3):
        assert [r for r in after[level] if r[2] < cut] == [r for r in before[level] if r[2] < cut]


def _levels(conn: sa.Connection, table: sa.Table, brand_id: int) -> list[dict]:
    stmt = sa.select(table).where(table.c.brand_id == brand_id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _assert_levels_derive_from_quarters(engine, brand_id: int, tz: ZoneInfo = PARIS) -> None:
    """The hourly and daily rollups are the 15-minute ones summed (days in `tz`)."""
    with reading(engine) as conn:
        quarters = [{**r, "at": r["bucket_start"]} for r in _levels(conn, mention_rollups, brand_id)]
        hourly = {r["bucket_start"]: r["mentions"] for r in _levels(conn, mention_rollups_hourly, brand_id)}
        daily = {
            r["bucket_start"]: (r["bucket_end"], r["mentions"]) for r in _levels(conn, mention_rollups_daily, brand_id)
        }
    hours, days = group_quarters(quarters, tz)
    assert hourly == {at: c["mentions"] for at, c in hours.items()}
    assert daily == {at: (c["bucket_end"], c["mentions"]) for at, c in days.items()}


def test_detection_baselines_do_not_move(engine, settings, world: dict) -> None:
    ws = world["default"]
    orange = ws["brands"]["Orange"]
    config = for_brand(None)
    workspace = {"id": ws["id"], "timezone": "Europe/Paris"}

    def baseline() -> tuple:
        with reading(engine) as conn:
            since = NOW - timedelta(days=config.history_days)
            rows = brand_mention_points(
                conn, workspace_id=orange["workspace_id"], brand_id=orange["id"], since=since, until=NOW
            )
            volume = brand_volume(conn, workspace=workspace, brand=orange, until=NOW, steps=48)
        points = [mention_point(r) for r in rows]
        findings = evaluate_brand(points, now=NOW, tz="Europe/Paris", config=config, excluded=[])
        return [r["id"] for r in rows], findings, volume

    before = baseline()
    assert len(before[0]) > 40
    assert _purge(engine, settings, "default").counts["mentions"] > 0
    assert baseline() == before


def test_two_purges_at_once_delete_each_mention_once(engine, settings, world: dict) -> None:
    rollups = _rollups(engine)
    expected = {i for i, at in _published(engine, world["default"]["id"]).items() if at < HORIZONS["default"]}
    start = threading.Barrier(2)
    reports, errors = [], []

    def purge() -> None:
        try:
            start.wait()
            reports.append(_purge(engine, settings, "default"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=purge) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(reports) == 2
    assert sum(r.counts["mentions"] for r in reports) == len(expected)
    assert not set(_published(engine, world["default"]["id"])) & expected
    assert _rollups(engine) == rollups
    assert _count(engine, mention_tombstones) == 3 * len(expected)


@pytest.mark.slow
def test_two_vigie_purge_processes_at_once_delete_each_mention_once(database_url: str, engine, world: dict) -> None:
    rollups = _rollups(engine)
    total = _count(engine, mentions)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(VIGIE_DATABASE_URL=database_url, VIGIE_RETENTION_DAYS="70", VIGIE_PURGE_BATCH_SIZE="2")
    processes = [subprocess.Popen([*VIGIE, "purge"], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    deleted = [int(n) for out in outputs for n in re.findall(r"deleted (\d+) mentions", out)]
    assert len(deleted) == 4 and sum(deleted) == total - _count(engine, mentions) > 500
    with reading(engine) as conn:
        left = conn.execute(sa.select(mentions.c.published_at, workspaces.c.purged_before).join(workspaces)).all()
    assert all(at >= horizon for at, horizon in left)
    assert _rollups(engine) == rollups


def test_tombstones_are_forgotten_after_their_own_retention(engine, settings, world: dict) -> None:
    _purge(engine, settings, "default")
    buried = _count(engine, mention_tombstones)
    assert _purge(engine, settings, "default", now=NOW + timedelta(days=179)).tombstones_expired == 0
    later = _purge(engine, settings, "default", now=NOW + timedelta(days=181))
    assert later.tombstones_expired == buried and _count(engine, mention_tombstones) > 0  # later purges' own remain


def test_a_new_time_zone_re_derives_the_daily_rollups(engine, settings, world: dict) -> None:
    orange = world["default"]["brands"]["Orange"]
    _purge(engine, settings, "default")
    with writing(engine) as conn:
        update_workspace(conn, workspace_id=world["default"]["id"], values={"timezone": "Asia/Kathmandu"})
    _assert_levels_derive_from_quarters(engine, orange["id"], ZoneInfo("Asia/Kathmandu"))


def _rss(items: list[tuple[str, str, datetime]]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>https://blog.example.fr/{guid}</link><guid>{guid}</guid>"
        f"<pubDate>{format_datetime(at)}</pubDate><description>{title}, vu sur le blog.</description></item>"
        for guid, title, at in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>{entries}</channel></rss>'.encode()


def test_a_purged_item_still_listed_by_the_feed_is_not_collected_again(engine, settings) -> None:
    now = datetime.now(UTC)
    storm = "Panne Livebox géante dans tout Lyon ce soir"
    items = [
        ("a1", storm, now - timedelta(days=200)),
        ("a2", "Orange ouvre une boutique à Nantes", now - timedelta(days=2)),
    ]
    worker = CollectWorker(engine, settings)
    with FeedServer() as server:
        blog = SourceSpec(name="blog", kind="rss", url=server.url("/blog.xml")).to_row()
        with writing(engine) as conn:
            ws = ensure_workspace(conn, name="default", retention_days=40)
            create_brand(conn, workspace_id=ws["id"], values=BrandSpec(**ORANGE).to_row())
            source = create_source(conn, workspace_id=ws["id"], values=blog)

        def collect(feed_items: list[tuple[str, str, datetime]]) -> tuple[int, int]:
            server.add("/blog.xml", _rss(feed_items))
            with writing(engine) as conn:
                conn.execute(sa.update(sources).values(due_at=now - timedelta(seconds=1)))
            [report] = worker.run_once()
            return report.new, report.duplicate

        try:
            assert collect(items) == (2, 0)
            assert _purge(engine, settings, "default", now=now).counts["mentions"] == 1
            assert collect(items) == (0, 2)  # as it was: dated before the horizon
            assert collect([("a1", storm, now - timedelta(hours=1)), items[1]]) == (0, 2)  # re-dated: its tombstone
            assert collect([("a9", storm, now - timedelta(hours=1)), items[1]]) == (0, 2)  # new guid and URL, same text
        finally:
            worker.close()
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(mentions)).scalar_one() == 1
        runs = conn.execute(sa.select(source_runs.c.duplicate_count).where(source_runs.c.source_id == source["id"]))
        assert [r for (r,) in runs] == [0, 2, 2, 2]


def test_vigie_purge_dry_run_deletes_nothing(database_url: str, engine, world: dict, monkeypatch) -> None:
    monkeypatch.setenv("VIGIE_DATABASE_URL", database_url)
    monkeypatch.setenv("VIGIE_RETENTION_DAYS", "70")
    count = len(_published(engine, world["default"]["id"]))
    runner = CliRunner()
    dry = runner.invoke(main, ["purge", "--dry-run", "--workspace", "default"], catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert f"would delete {count} mentions" in dry.output and "retention 40 days" in dry.output
    assert len(_published(engine, world["default"]["id"])) == count and _count(engine, mention_tombstones) == 0
    done = runner.invoke(main, ["purge"], catch_exceptions=False)
    assert (
        done.exit_code == 0
        and "default: retention 40 days" in done.output
        and f"deleted {count} mentions" in done.output
    )
    assert "agence: retention 70 days" in done.output
    assert _published(engine, world["default"]["id"]) == {}
    missing = runner.invoke(main, ["purge", "--workspace", "nowhere"])
    assert missing.exit_code != 0 and "no workspace named 'nowhere'" in missing.output


def test_a_retention_too_short_is_refused_in_the_config_file(tmp_path) -> None:
    path = tmp_path / "vigie.toml"
    path.write_text('[workspace]\nname = "default"\nretention_days = 30\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert "workspace.retention_days: 30 days is too short: keep mentions at least 35 days" in str(refused.value)
    assert "raw mentions of its last 28 days" in str(refused.value)
    brand = '[[brands]]\nname = "SNCF"\nquery = "sncf"\ndetection = { history_days = 42 }\n'
    path.write_text("[workspace]\nretention_days = 40\n" + brand, encoding="utf-8")
    with pytest.raises(ConfigError, match="at least 49 days"):
        load_config(path)
    path.write_text("[workspace]\nretention_days = 0\n", encoding="utf-8")
    assert load_config(path).workspace.retention_days == 0


def test_the_migration_derives_hourly_and_daily_rollups_from_the_15_minute_ones(
    database_url: str, engine, world
) -> None:
    before = _rollups(engine)
    assert all(before)
    engine.dispose()
    downgrade(database_url, "0011")
    upgrade(database_url)
    assert _rollups(engine) == before
