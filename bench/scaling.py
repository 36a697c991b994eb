"""Scaling benchmark: collect + ingest throughput of 1 and of 2 `vigie serve --roles collect` processes on one
PostgreSQL database, same workload, same run.

The workload never runs dry: RSS sources on a local feed server (a process of its own) whose every answer
carries new items (bench/ingest.py's generator: French and English news, ~80% about the brands), checked every
second (`interval_seconds` 1 and VIGIE_MIN_INTERVAL_SECONDS=1), far more often than the workers can poll them.
So the workers always have due sources, and each poll goes through fetch, parse, dedup, language, matching,
scoring and the inserts. The phases run in the order given (default 1, 2, 1 workers: the one-worker figure is
the mean of the two, so that drift over the run hits both sides); each phase starts its workers, lets them
warm up, then counts the source runs started in a measured window and the mentions they stored.

Target: 2 workers ≥ 1.7 × 1 worker on this 2-core machine. The feed server and PostgreSQL run on the same two
cores; their CPU time, and the whole machine's, is printed next to the workers'.

    .venv/bin/python bench/scaling.py                                    # 200 sources, 60 s windows
    .venv/bin/python bench/scaling.py --sources 50 --window 15 --warmup 5
    .venv/bin/python bench/scaling.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test --json

Always exits 0: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from feedproc import FeedProcess, feed_document, serve_changing
from ingest import BRANDS
from pgtemp import postgres_unreachable, temp_postgres_database
from procs import cpu_seconds, machine_busy_seconds, postgres_cpu_seconds, start_worker, worker_env

from app.db import make_engine, reading, writing
from app.db.schema import source_runs, sources, utcnow
from app.specs import BrandSpec, SourceSpec
from app.storage.brands import create_brand
from app.storage.sources import create_source
from app.storage.workspaces import ensure_workspace

TARGET_RATIO = 1.7
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def feed_path(i: int) -> str:
    return f"/changing/{i}.xml"


def feed_routes(server: Any, arg: dict[str, int]) -> None:
    """Every feed answers 200 with `items` new items at each request, and declares no <ttl>."""
    rng = random.Random(arg["seed"])
    for i in range(arg["feeds"]):
        serve_changing(server, feed_path(i), feed_document(rng, i, arg["items"], changing=True, ttl=False))


def populate(engine: sa.Engine, urls: list[str]) -> None:
    """Workspace, the four brands of bench/ingest.py, one rss source per feed, checked every second.

    The config file and the API refuse intervals under 30 s; the benchmark writes 1 s straight into the table,
    with VIGIE_MIN_INTERVAL_SECONDS=1 in the workers, so that sources are due again long before their turn."""
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name="bench")["id"]
        for brand in BRANDS:
            create_brand(conn, workspace_id=ws, values=BrandSpec(**brand).to_row())
        for i, url in enumerate(urls):
            create_source(conn, workspace_id=ws, values=SourceSpec(name=f"feed {i}", kind="rss", url=url).to_row())
        conn.execute(sa.update(sources).values(interval_seconds=1))


# ---------------------------------------------------------------------------------------------------------
# One phase: N workers, a warm-up, a measured window


def window_counts(engine: sa.Engine, since: datetime, until: datetime) -> dict[str, int]:
    """Runs started in [since, until), by status, and what they fetched and stored."""
    with reading(engine) as conn:
        stmt = (
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(source_runs.c.fetched_count), 0),
                sa.func.coalesce(sa.func.sum(source_runs.c.new_count), 0),
                sa.func.count().filter(source_runs.c.status == "error"),
            )
            .where(source_runs.c.started_at >= since, source_runs.c.started_at < until)
        )  # fmt: skip
        runs, fetched, new, errors = conn.execute(stmt).one()
    return {"runs": runs, "items": int(fetched), "mentions": int(new), "errors": errors}


def run_phase(
    url: str, feeds: FeedProcess, n_workers: int, args: argparse.Namespace, log: Callable[[str], None]
) -> dict[str, Any]:
    """Start `n_workers` collect processes, wait `args.warmup` s, measure `args.window` s, stop them."""
    engine = make_engine(url, pool_size=1)
    env = worker_env(url, {"VIGIE_MIN_INTERVAL_SECONDS": "1", **_given(args)})
    workers = [start_worker(env) for _ in range(n_workers)]
    try:
        time.sleep(args.warmup)
        for w in workers:
            w.check_alive()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # Statistics of the tables the warm-up filled, as autovacuum soon has them in production: without,
            # the first phase's dedup look-ups scan and PostgreSQL used ~3× the CPU (untimed).
            conn.execute(sa.text("ANALYZE mentions, mention_brands, source_runs, sources"))
        since = utcnow()
        before = _cpu([w.pid for w in workers], feeds.pid)
        backlog = []  # due sources nobody holds, sampled: when it drops to 0 the workers ran out of work
        end = time.monotonic() + args.window
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(1.0, left))
            backlog.append(due_backlog(engine))
        until = utcnow()
        after = _cpu([w.pid for w in workers], feeds.pid)
        for w in workers:
            w.check_alive()
    finally:
        for w in workers:
            w.stop()
    counts = window_counts(engine, since, until)
    engine.dispose()
    seconds = (until - since).total_seconds()
    cpu = {k: round(after[k] - before[k], 2) for k in after}
    phase = {
        "workers": n_workers,
        "seconds": round(seconds, 2),
        **counts,
        "sources_per_s": round(counts["runs"] / seconds, 2),
        "mentions_per_s": round(counts["mentions"] / seconds, 2),
        "items_per_s": round(counts["items"] / seconds, 2),
        "cpu_seconds": cpu,
        "min_due_backlog": min(backlog) if backlog else None,
    }
    log(f"{n_workers} worker(s): {phase['sources_per_s']:.1f} sources/s, {phase['mentions_per_s']:.1f} mentions/s")
    return phase


def due_backlog(engine: sa.Engine) -> int:
    """Sources due now and leased to no worker."""
    now = utcnow()
    with reading(engine) as conn:
        stmt = sa.select(sa.func.count()).select_from(sources).where(
            sources.c.due_at <= now, sa.or_(sources.c.lease_until.is_(None), sources.c.lease_until < now)
        )
        return conn.execute(stmt).scalar_one()


def _given(args: argparse.Namespace) -> dict[str, str]:
    given = {"VIGIE_COLLECT_CONCURRENCY": args.concurrency, "VIGIE_COLLECT_TICK_SECONDS": args.tick}
    return {k: str(v) for k, v in given.items() if v is not None}


def _cpu(worker_pids: list[int], feed_pid: int) -> dict[str, float]:
    busy, total = machine_busy_seconds()
    return {
        "workers": sum(cpu_seconds(pid) for pid in worker_pids),
        "feed_server": cpu_seconds(feed_pid),
        "postgres": postgres_cpu_seconds(),
        "machine_busy": busy,
        "machine_total": total,
    }


# ---------------------------------------------------------------------------------------------------------
# Reporting


def summarize(phases: list[dict[str, Any]], args: argparse.Namespace, load: list[float]) -> dict[str, Any]:
    """Mean throughput of each worker count, the ratio 2 / 1 on sources/s and mentions/s, the verdict."""
    by_n: dict[int, list[dict[str, Any]]] = {}
    for p in phases:
        by_n.setdefault(p["workers"], []).append(p)
    means = {
        n: {key: round(statistics.mean(p[key] for p in ps), 2) for key in ("sources_per_s", "mentions_per_s")}
        for n, ps in by_n.items()
    }
    result: dict[str, Any] = {
        "sources": args.sources,
        "items_per_feed": args.items,
        "warmup_s": args.warmup,
        "window_s": args.window,
        "order": args.phases,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": load,
        "phases": phases,
        "means": {str(n): m for n, m in sorted(means.items())},
        "target_ratio": TARGET_RATIO,
    }
    # A phase whose backlog of due sources fell to 0 ran out of work at times: the workload limited it.
    result["supply_limited"] = [p["workers"] for p in phases if p["min_due_backlog"] == 0]
    if 1 in means and 2 in means and means[1]["sources_per_s"] and means[1]["mentions_per_s"]:
        ratio = means[2]["sources_per_s"] / means[1]["sources_per_s"]
        result["ratio_sources"] = round(ratio, 3)
        result["ratio_mentions"] = round(means[2]["mentions_per_s"] / means[1]["mentions_per_s"], 3)
        result["verdict"] = "PASS" if ratio >= TARGET_RATIO else "BELOW TARGET"
    return result


def print_report(r: dict[str, Any]) -> None:
    print(
        f"scaling benchmark — collect + ingest on one PostgreSQL database, {r['sources']} rss sources always due, "
        f"{r['items_per_feed']} new items per answer; phases {r['order']} worker(s), {r['warmup_s']:g} s warm-up "
        f"+ {r['window_s']:g} s measured each"
    )
    print(f"  {r['cpus']} CPUs, load average {r['load_average'][0]:.1f} → {r['load_average'][1]:.1f}")
    print(f"  {'workers':>7} {'sources/s':>10} {'mentions/s':>11} {'items/s':>9} {'errors':>7}   CPU cores used "
          "(workers | PostgreSQL | feed server | whole machine)")  # fmt: skip
    for p in r["phases"]:
        c, s = p["cpu_seconds"], p["seconds"]
        machine = c["machine_busy"] / s
        print(f"  {p['workers']:>7} {p['sources_per_s']:>10.1f} {p['mentions_per_s']:>11.1f} {p['items_per_s']:>9.1f} "
              f"{p['errors']:>7}   {c['workers'] / s:.2f} | {c['postgres'] / s:.2f} | {c['feed_server'] / s:.2f} | "
              f"{machine:.2f} of {c['machine_total'] / s:.0f}")  # fmt: skip
    for n, m in r["means"].items():
        print(f"  mean, {n} worker(s): {m['sources_per_s']:.1f} sources/s, {m['mentions_per_s']:.1f} mentions/s")
    if "ratio_sources" in r:
        print(f"  2 workers / 1 worker: {r['ratio_sources']:.2f} (sources/s), {r['ratio_mentions']:.2f} (mentions/s)")
        print(f"  target: ≥ {r['target_ratio']}× → {r['verdict']}")
    print("  the feed server, PostgreSQL and whatever else runs on the machine share the same cores as the workers")
    if r["supply_limited"]:
        print(f"  warning: in phases with {sorted(set(r['supply_limited']))} worker(s), no source was left due at "
              "times: the workload, not the workers, limited them (use more --sources)")  # fmt: skip
    else:
        print("  the workers never ran out of due sources (sampled every second)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=200, help="rss sources, all changing (default 200)")
    parser.add_argument("--items", type=int, default=10, help="new items per answer (default 10)")
    parser.add_argument("--phases", default="1,2,1", help="worker counts, in order (default 1,2,1)")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds before each window (default 15)")
    parser.add_argument("--window", type=float, default=60.0, help="measured seconds per phase (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the feed generator")
    parser.add_argument("--concurrency", type=int, help="VIGIE_COLLECT_CONCURRENCY (default: Vigie's)")
    parser.add_argument("--tick", type=float, help="VIGIE_COLLECT_TICK_SECONDS (default: Vigie's)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="PostgreSQL server for a scratch database "
                        "(default: VIGIE_TEST_POSTGRES_URL, else the local server)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    try:
        args.phase_list = [int(n) for n in args.phases.split(",")]
    except ValueError:
        parser.error("--phases is a comma list of worker counts, e.g. 1,2,1")
    if min(args.sources, args.items, *args.phase_list) < 1 or args.window <= 0 or args.warmup < 0:
        parser.error("--sources, --items and worker counts must be at least 1, --window positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; always exits 0."""
    args = parse_args(argv)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    admin = args.postgres or os.environ.get("VIGIE_TEST_POSTGRES_URL", DEFAULT_PG)
    unreachable = postgres_unreachable(admin)
    if unreachable:
        print(f"scaling benchmark skipped: PostgreSQL {unreachable}")
        return 0
    load = [os.getloadavg()[0]]
    url, drop = temp_postgres_database(admin)
    feeds = FeedProcess(feed_routes, {"feeds": args.sources, "items": args.items, "seed": args.seed})
    phases = []
    try:
        engine = make_engine(url, pool_size=1)
        populate(engine, [feeds.url(feed_path(i)) for i in range(args.sources)])
        engine.dispose()
        for n in args.phase_list:
            phases.append(run_phase(url, feeds, n, args, log))
    finally:
        feeds.close()
        drop()
    load.append(os.getloadavg()[0])
    result = summarize(phases, args, load)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
