"""Storage benchmark: database bytes per million stored mentions, on SQLite and PostgreSQL.

Each profile fills a fresh, migrated database and measures its size before and after, so the fixed cost of an
empty database does not count; the growth is divided by the mentions stored and scaled to one million. Per-table
figures include each table's indexes (and, on PostgreSQL, its TOAST):

- news: RSS items of ~1 KB (bench/ingest.py's generator: French and English news with HTML descriptions)
  through the real pipeline (`parse_feed`, then `ingest_drafts` with one commit per feed), so each row is what
  the collector stores: cleaned text, search text, scores with their reasons, brand links, rollups;
- posts: short social posts (~150 characters) from bench/api.py's bulk loader, with real scores and reasons.

SQLite: the file after a WAL checkpoint (page_count × page_size, what the disk holds), and after VACUUM;
dbstat gives the tables. PostgreSQL: pg_database_size after VACUUM ANALYZE; pg_total_relation_size per table.

    .venv/bin/python bench/storage.py                                     # SQLite
    .venv/bin/python bench/storage.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/storage.py --news 5000 --posts 20000 --json

Always exits 0: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from api import Database, load, postgres_database, sqlite_database, text_pool
from ingest import BRANDS, generate_feeds

from app.db import make_engine, writing
from app.db.schema import mentions, utcnow
from app.pipeline import ingest_drafts
from app.specs import BrandSpec, SourceSpec
from app.storage.brands import create_brand
from app.storage.sources import create_source
from app.storage.workspaces import ensure_workspace
from collectors.rss import parse_feed

MILLION = 1_000_000
ITEMS_PER_FEED = 100
SHOWN_TABLES = ("mentions", "mention_brands", "mention_rollups", "mention_rollups_hourly", "mention_rollups_daily",
                "incidents")  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Sizes


def sizes(engine: sa.Engine) -> dict[str, Any]:
    """Bytes of the whole database and of each table with its indexes, after the store's housekeeping."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
            total = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
            rows = conn.execute(sa.text(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )).all()  # fmt: skip
        return {"total": total, "tables": dict(rows)}
    # The driver's own connection: SQLAlchemy would wrap these statements in a transaction, and VACUUM refuses one.
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        total = _pages(cur)
        cur.execute(
            "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
            "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1"
        )
        tables = dict(cur.fetchall())
        cur.execute("VACUUM")
        vacuumed = _pages(cur)
        cur.close()
    finally:
        raw.close()
    return {"total": total, "vacuumed": vacuumed, "tables": tables}


def _pages(cur: Any) -> int:
    count = cur.execute("PRAGMA page_count").fetchone()[0]
    return count * cur.execute("PRAGMA page_size").fetchone()[0]


# ---------------------------------------------------------------------------------------------------------
# Profiles


def fill_news(url: str, n_items: int, seed: int) -> dict[str, Any]:
    """`n_items` generated RSS items through parse_feed + ingest_drafts, one committed transaction per feed."""
    feeds = generate_feeds(max(1, n_items // ITEMS_PER_FEED), ITEMS_PER_FEED, seed=seed)
    engine = make_engine(url, pool_size=1)
    counts = {"items": 0, "new": 0, "duplicate": 0, "unmatched": 0}
    try:
        with writing(engine) as conn:
            ws = ensure_workspace(conn, name="bench")["id"]
            for brand in BRANDS:
                create_brand(conn, workspace_id=ws, values=BrandSpec(**brand).to_row())
            source_ids = [
                create_source(conn, workspace_id=ws, values=SourceSpec(name=f"feed {i}", kind="rss", url=u).to_row())[
                    "id"
                ]
                for i, (u, _) in enumerate(feeds)
            ]
        before = sizes(engine)
        start = time.perf_counter()
        for source_id, (feed_url, body) in zip(source_ids, feeds, strict=True):
            drafts = parse_feed(body, base_url=feed_url).drafts
            counts["items"] += len(drafts)
            with writing(engine) as conn:
                report = ingest_drafts(conn, workspace_id=ws, source_id=source_id, drafts=drafts, now=utcnow())
            for k in ("new", "duplicate", "unmatched"):
                counts[k] += getattr(report, k)
        seconds = time.perf_counter() - start
        after = sizes(engine)
        text = _text_bytes(engine)
    finally:
        engine.dispose()
    return {"stored": counts["new"], "counts": counts, "seconds": round(seconds, 1), "before": before,
            "after": after, "text_bytes": text}  # fmt: skip


def fill_posts(url: str, n: int, pool: dict, seed: int) -> dict[str, Any]:
    """`n` short posts through bench/api.py's bulk loader (no incidents), sizes before and after."""
    engine = make_engine(url, pool_size=1)
    try:
        before = sizes(engine)
        loaded = load(url, n, 0, pool, seed)
        after = sizes(engine)
        text = _text_bytes(engine)
    finally:
        engine.dispose()
    return {"stored": loaded.mentions, "counts": {"links": loaded.links, "rollups": loaded.rollups},
            "seconds": loaded.seconds, "before": before, "after": after, "text_bytes": text}  # fmt: skip


def _text_bytes(engine: sa.Engine) -> dict[str, float]:
    """Average UTF-8 bytes per stored mention of the title + text, and of the scores (reasons) JSON."""
    both = sa.func.coalesce(mentions.c.title, "") + sa.func.coalesce(mentions.c.text, "")
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            text = sa.func.octet_length(both)
            scores = sa.func.octet_length(sa.cast(mentions.c.scores, sa.Text))
        else:  # length() of a BLOB counts bytes, of TEXT characters
            text = sa.func.length(sa.cast(both, sa.LargeBinary))
            scores = sa.func.length(sa.cast(mentions.c.scores, sa.LargeBinary))
        row = conn.execute(sa.select(sa.func.avg(text), sa.func.avg(scores))).one()
    return {"text": round(float(row[0] or 0), 1), "scores_json": round(float(row[1] or 0), 1)}


def per_million(result: dict[str, Any]) -> dict[str, Any]:
    """Bytes per million stored mentions: whole database (and after VACUUM on SQLite), and per table."""
    n = result["stored"] or 1
    before, after = result["before"], result["after"]
    out: dict[str, Any] = {"total": (after["total"] - before["total"]) / n * MILLION}
    if "vacuumed" in after:
        out["vacuumed"] = (after["vacuumed"] - before["vacuumed"]) / n * MILLION
    out["tables"] = {
        name: (after["tables"].get(name, 0) - before["tables"].get(name, 0)) / n * MILLION
        for name in sorted(set(after["tables"]) | set(before["tables"]))
    }
    return out


# ---------------------------------------------------------------------------------------------------------
# Reporting


def print_report(r: dict[str, Any]) -> None:
    print("storage benchmark — database bytes per million stored mentions (growth from an empty migrated database)")
    for st in r["stores"]:
        print(f"\n{st['store']}")
        for p in st["profiles"]:
            pm = p["per_million"]
            vac = f" ({pm['vacuumed'] / 1e9:.2f} GB after VACUUM)" if "vacuumed" in pm else ""
            print(f"  {p['profile']}: {p['stored']:,} mentions stored in {p['seconds']:.0f} s, title + text "
                  f"{p['text_bytes']['text']:,.0f} B and scores JSON {p['text_bytes']['scores_json']:,.0f} B on "
                  f"average → {pm['total'] / 1e9:.2f} GB per million mentions{vac}")  # fmt: skip
            other = sum(v for k, v in pm["tables"].items() if k not in SHOWN_TABLES)
            parts = [f"{k} {pm['tables'].get(k, 0) / 1e9:.2f}" for k in SHOWN_TABLES if pm["tables"].get(k)]
            print(f"    GB per million, by table with its indexes: {', '.join(parts)}, other {other / 1e9:.2f}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=int, default=50_000, help="RSS items through the pipeline (default 50,000)")
    parser.add_argument("--posts", type=int, default=200_000, help="short posts bulk-loaded (default 200,000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generators")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="also PostgreSQL (scratch databases on that server)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if args.news < ITEMS_PER_FEED or args.posts < 1:
        parser.error(f"--news at least {ITEMS_PER_FEED}, --posts at least 1")
    return args


def run_store(store: str, make: Callable[[str], Database], args: argparse.Namespace, pool: dict,
              log: Callable[[str], None]) -> dict[str, Any]:  # fmt: skip
    profiles = []
    for profile in ("news", "posts"):
        database = make(profile)
        try:
            log(f"{store}: {profile}…")
            if profile == "news":
                result = fill_news(database.url, args.news, args.seed)
            else:
                result = fill_posts(database.url, args.posts, pool, args.seed)
        finally:
            database.close()
        profiles.append({"profile": profile, **result, "per_million": per_million(result)})
    return {"store": store, "profiles": profiles}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; always exits 0."""
    args = parse_args(argv)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    pool = text_pool(args.seed)
    stores = []
    tmp = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    try:
        stores.append(run_store("SQLite", lambda name: sqlite_database(tmp, name), args, pool, log))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.postgres:
        stores.append(run_store("PostgreSQL", lambda _name: postgres_database(args.postgres), args, pool, log))
    result = {"news_items": args.news, "posts": args.posts, "python": platform.python_version(),
              "sqlite": sqlite3.sqlite_version, "cpus": os.cpu_count(), "stores": stores}  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
