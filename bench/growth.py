"""Growth benchmark: what ingest, detection and the alert feed cost at 10k, 100k and 1M stored mentions.

For each store (SQLite; PostgreSQL too with --postgres), one database per size is bulk-loaded with
bench/api.py's loader (realistic scored mentions, brand links, rollups, 1 incident per 100 mentions), then, in
rounds that visit every size in turn (so that drift hits all sizes alike), this process measures in-process:

- ingest: 500 generated RSS items in 5 feeds (bench/ingest.py's generator, parsed beforehand) through
  `app.pipeline.ingest_drafts` in one transaction, rolled back afterwards so that every round meets the same
  database (dedup look-ups, matching, scoring, inserts, rollups; not the commit);
- detection: `app.detect.detect_brand` for the busiest brand ("Orange", ~48% of the mentions) at the newest
  mention's time, rolled back (it reads the brand's last 28 days and its incidents);
- the alert feed: GET /api/v1/incidents, GET /api/v1/mentions and GET /api/v1/mentions?brand=… (first pages of
  50) through the real FastAPI app (API key, query, JSON) with Starlette's TestClient, no network.

Printed: the median of each cost at each size, the ratio 1M / 10k and the log-log slope (0: flat, the goal;
1: proportional to the number of stored mentions).

Two shapes of data. `history` (default): the same traffic at every size (10,000 mentions a month, ~333 a day),
kept for longer (10k: 30 days, 100k: 300 days, 1M: 3,000 days), so that only the amount stored grows. `dense`:
every size spread over the same 60 days as bench/api.py, so that the traffic grows with the size; detection
reads the brand's last 28 days, so its cost follows the traffic there by design.

    .venv/bin/python bench/growth.py                         # SQLite, history shape, 10k/100k/1M
    .venv/bin/python bench/growth.py --sizes 2000,20000 --repeat 3
    .venv/bin/python bench/growth.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test --shape dense

Always exits 0: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from api import END, FILTER_BRAND, Database, load, postgres_database, sqlite_database, text_pool
from ingest import generate_feeds

from app.apikeys import issue_key
from app.db import make_engine, reading, writing
from app.db.schema import mention_brands, mentions, sources, utcnow
from app.detect import detect_brand
from app.pipeline import ingest_drafts
from app.settings import Settings
from app.storage.brands import list_brands
from app.storage.mentions import brand_mention_points
from app.storage.workspaces import list_workspaces
from collectors.base import MentionDraft
from collectors.rss import parse_feed

with warnings.catch_warnings():  # Starlette's TestClient warns about its httpx dependency
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HISTORY_PER_DAY = 10_000 / 30  # the `history` shape: 10,000 mentions a month at every size
DENSE_SPAN = timedelta(days=60)
FLAT_SLOPE = 0.1  # a log-log slope below this is flat: 100× the data costs < 1.6× the time
INGEST_FEEDS, INGEST_ITEMS = 5, 100
MEASURES = [
    ("ingest", "ingest 500 RSS items (5 feeds)"),
    ("detect", "detection pass, brand Orange"),
    ("incidents", "GET /incidents first page"),
    ("mentions", "GET /mentions first page"),
    ("mentions_brand", "GET /mentions?brand=Orange first page"),
]


def span_of(n: int, shape: str) -> timedelta:
    """The time the `n` mentions are spread over, ending at bench/api.py's END."""
    return timedelta(days=n / HISTORY_PER_DAY) if shape == "history" else DENSE_SPAN


# ---------------------------------------------------------------------------------------------------------
# One loaded database and what is measured on it


@dataclass
class Sized:
    """A database of `n` mentions, its API client, and the samples of each measure (seconds)."""

    n: int
    database: Database
    engine: sa.Engine
    client: TestClient
    workspace: dict[str, Any]
    brand: dict[str, Any]
    source_ids: list[int]
    load_seconds: float
    detect_points: int
    samples: dict[str, list[float]] = field(default_factory=dict)


def open_sized(n: int, database: Database, args: argparse.Namespace, pool: dict, stack: contextlib.ExitStack) -> Sized:
    """Load `n` mentions into `database`, then open an engine and an API client on it (closed by `stack`)."""
    loaded = load(database.url, n, max(n // 100, 1), pool, args.seed, span_of(n, args.shape))
    engine = make_engine(database.url, pool_size=2)
    stack.callback(engine.dispose)
    with writing(engine) as conn:
        [workspace] = list_workspaces(conn)
        brand = next(b for b in list_brands(conn, workspace_id=workspace["id"]) if b["name"] == FILTER_BRAND)
        source_ids = list(conn.execute(sa.select(sources.c.id).order_by(sources.c.id).limit(INGEST_FEEDS)).scalars())
        key = issue_key(conn, workspace_id=workspace["id"], name="bench", scope="read", now=utcnow()).key
    with reading(engine) as conn:
        since = END - timedelta(days=28)
        points = len(
            brand_mention_points(conn, workspace_id=brand["workspace_id"], brand_id=brand["id"], since=since, until=END)
        )
    from app.api import create_app

    settings = Settings(_env_file=None, database_url=database.url, api_rate_limit_per_minute=0)
    client = stack.enter_context(TestClient(create_app(settings, engine), headers={"Authorization": f"Bearer {key}"}))
    return Sized(n, database, engine, client, workspace, brand, source_ids, loaded.seconds, points)


def _rolled_back(engine: sa.Engine, work: Callable[[sa.Connection], object]) -> None:
    """Run `work` in a write transaction (BEGIN IMMEDIATE on SQLite, as `app.db.writing`), then roll it back."""
    with engine.connect() as conn:
        conn = conn.execution_options(vigie_write=True)
        trans = conn.begin()
        try:
            work(conn)
        finally:
            trans.rollback()


def time_ingest(s: Sized, batches: list[list[MentionDraft]]) -> float:
    start = time.perf_counter()
    check_ingest(s, batches)
    return time.perf_counter() - start


def time_detect(s: Sized) -> float:
    start = time.perf_counter()
    _rolled_back(s.engine, lambda c: detect_brand(c, workspace=s.workspace, brand=s.brand, now=END))
    return time.perf_counter() - start


def time_get(s: Sized, path: str, params: dict[str, Any]) -> float:
    start = time.perf_counter()
    response = s.client.get(path, params=params)
    elapsed = time.perf_counter() - start
    if response.status_code != 200 or not response.json()["items"]:
        raise RuntimeError(f"GET {path} {params}: {response.status_code} {response.text[:300]}")
    return elapsed


def one_round(s: Sized, batches: list[list[MentionDraft]]) -> dict[str, float]:
    """Every measure once on one database."""
    return {
        "ingest": time_ingest(s, batches),
        "detect": time_detect(s),
        "incidents": time_get(s, "/api/v1/incidents", {"limit": 50}),
        "mentions": time_get(s, "/api/v1/mentions", {"limit": 50}),
        "mentions_brand": time_get(s, "/api/v1/mentions", {"limit": 50, "brand": s.brand["id"]}),
    }


def ingest_batches(seed: int) -> list[list[MentionDraft]]:
    """500 items in 5 feeds, parsed once: ingest is what is timed, not feedparser."""
    feeds = generate_feeds(INGEST_FEEDS, INGEST_ITEMS, seed=seed)
    return [parse_feed(body, base_url=url).drafts for url, body in feeds]


def check_ingest(s: Sized, batches: list[list[MentionDraft]]) -> dict[str, int]:
    """Ingest the five feeds in one transaction, then roll it back; what the pipeline made of the items."""
    counts = {"new": 0, "duplicate": 0, "unmatched": 0}

    def work(conn: sa.Connection) -> None:
        for source_id, drafts in zip(s.source_ids, batches, strict=True):
            report = ingest_drafts(conn, workspace_id=s.workspace["id"], source_id=source_id, drafts=drafts, now=END)
            for k in counts:
                counts[k] += getattr(report, k)

    _rolled_back(s.engine, work)
    return counts


# ---------------------------------------------------------------------------------------------------------
# One store


def run_store(
    store: str, make: Callable[[str], Database], args: argparse.Namespace, pool: dict, log: Callable[[str], None]
) -> dict[str, Any]:
    """Load one database per size, measure in rounds over the sizes, summarize; the databases are removed."""
    started = time.perf_counter()
    batches = ingest_batches(args.seed + 7)
    made: list[Database] = []
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: [d.close() for d in made])
        sized = []
        for n in args.size_list:
            made.append(make(f"m{n}"))
            log(f"{store}: loading {n:,} mentions ({args.shape} shape, over {span_of(n, args.shape).days:,} days)…")
            sized.append(open_sized(n, made[-1], args, pool, stack))
            log(f"{store}: loaded in {sized[-1].load_seconds:.1f} s")
        counts = check_ingest(sized[0], batches)
        log(f"{store}: measuring ({args.warmup} warm-up + {args.repeat} rounds)…")
        for round_ in range(args.warmup + args.repeat):
            for s in sized:
                for name, seconds in one_round(s, batches).items():
                    if round_ >= args.warmup:
                        s.samples.setdefault(name, []).append(seconds)
        sizes = [_size(s, stack_dir_size(s)) for s in sized]
    return {"store": store, "sizes": sizes, "ingest_counts": counts, "slopes": slopes(sizes),
            "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


def stack_dir_size(s: Sized) -> int:
    """Bytes of the database (SQLite: file + WAL; PostgreSQL: pg_database_size), for the report."""
    with reading(s.engine) as conn:
        if conn.dialect.name == "postgresql":
            return conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
    path = Path(sa.make_url(s.database.url).database or "")
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _size(s: Sized, db_bytes: int) -> dict[str, Any]:
    with reading(s.engine) as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(mentions)).scalar_one()
        links = conn.execute(sa.select(sa.func.count()).select_from(mention_brands)).scalar_one()
    return {
        "mentions": stored,
        "brand_links": links,
        "load_seconds": round(s.load_seconds, 1),
        "database_mb": round(db_bytes / 1e6, 1),
        "detect_points": s.detect_points,
        "ms": {name: round(statistics.median(v) * 1000, 2) for name, v in s.samples.items()},
        "best_ms": {name: round(min(v) * 1000, 2) for name, v in s.samples.items()},
    }


def slopes(sizes: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per measure: the ratio largest / smallest size and the least-squares slope of log(cost) on log(size)."""
    out = {}
    xs = [math.log(s["mentions"]) for s in sizes]
    for name, _label in MEASURES:
        ys = [math.log(s["ms"][name]) for s in sizes]
        mx, my = statistics.mean(xs), statistics.mean(ys)
        var = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0
        ratio = sizes[-1]["ms"][name] / sizes[0]["ms"][name]
        out[name] = {"ratio": round(ratio, 2), "slope": round(slope, 3),
                     "verdict": "FLAT" if slope <= FLAT_SLOPE else "GROWS"}  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------------------
# Reporting


def print_report(r: dict[str, Any]) -> None:
    print(
        f"growth benchmark — cost of ingest, detection and the alert feed by stored mentions, {r['shape']} shape "
        f"({r['shape_note']}); median of {r['repeat']} rounds (+{r['warmup']} warm-up), sizes in turn"
    )
    print(f"  {r['cpus']} CPUs, load average {r['load_average'][0]:.1f} → {r['load_average'][1]:.1f}")
    for st in r["stores"]:
        sizes = st["sizes"]
        print(f"\n{st['store']} (whole run {st['seconds']:.0f} s)")
        for s in sizes:
            print(f"  {s['mentions']:>9,} mentions: loaded in {s['load_seconds']:.0f} s, {s['database_mb']:,.0f} MB, "
                  f"detection reads {s['detect_points']:,} mentions of the brand")  # fmt: skip
        c = st["ingest_counts"]
        print(f"  each ingest round: {c['new']} new, {c['duplicate']} duplicates, {c['unmatched']} unmatched")
        heads = "".join(f"{s['mentions']:>11,}" for s in sizes)
        print(f"  {'ms (median)':<40}{heads} {'ratio':>7} {'slope':>6}")
        for name, label in MEASURES:
            cells = "".join(f"{s['ms'][name]:>11.1f}" for s in sizes)
            sl = st["slopes"][name]
            print(f"  {label:<40}{cells} {sl['ratio']:>7.2f} {sl['slope']:>6.2f}  {sl['verdict']}")
    print(f"\nratio: cost at the largest size / the smallest; slope: log-log, {FLAT_SLOPE:g} or less is FLAT "
          "(the goal)")  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="stored mentions, comma list")
    parser.add_argument("--shape", choices=["history", "dense"], default="history",
                        help="history: same traffic, longer history (default); dense: same 60 days")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=7, help="measured rounds (default 7)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the data generator")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="also PostgreSQL (scratch databases on that server)")
    parser.add_argument("--postgres-only", action="store_true", help="PostgreSQL only (needs --postgres)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    try:
        args.size_list = sorted(int(n) for n in args.sizes.split(","))
    except ValueError:
        parser.error("--sizes is a comma list of numbers, e.g. 10000,100000,1000000")
    if len(args.size_list) < 2 or args.size_list[0] < 100 or args.repeat < 1 or args.warmup < 0:
        parser.error("at least two sizes of 100 or more, --repeat ≥ 1, --warmup ≥ 0")
    if args.postgres_only and not args.postgres:
        parser.error("--postgres-only needs --postgres ADMIN_URL")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; always exits 0."""
    args = parse_args(argv)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    load_average = [os.getloadavg()[0]]
    log("scoring the text pool…")
    pool = text_pool(args.seed)
    stores = []
    if not args.postgres_only:
        tmp = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
        try:
            stores.append(run_store("SQLite", lambda name: sqlite_database(tmp, name), args, pool, log))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.postgres:
        stores.append(run_store("PostgreSQL", lambda _name: postgres_database(args.postgres), args, pool, log))
    load_average.append(os.getloadavg()[0])
    note = ("10,000 mentions a month at every size" if args.shape == "history"
            else "every size over the same 60 days")  # fmt: skip
    result = {
        "shape": args.shape, "shape_note": note, "sizes": args.size_list, "repeat": args.repeat,
        "warmup": args.warmup, "cpus": os.cpu_count(), "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version, "load_average": load_average, "stores": stores, "flat_slope": FLAT_SLOPE,
    }  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
