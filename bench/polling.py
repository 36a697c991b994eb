"""Polling benchmark: 1,000 RSS sources on a local feed server, 90% answering 304, polled by one worker process.

One real `vigie serve --roles collect` process (Vigie's default collect settings unless told otherwise) on a
fresh database, and a feed server on 127.0.0.1 in a process of its own (tests/feedserver.py). A first pass
primes the validators (ETag, Last-Modified) of every source; then each round makes every source due at once
and times the worker until every source has been polled once: 90% answer 304 to the conditional GET, 10% answer
200 with a small feed of new items, which go through the whole ingest pipeline. Printed next to a plain
sequential loop of httpx GETs with the same conditional headers to the same server, in the same run, with the
ratio, and the worker's peak resident memory (VmHWM).

Targets: all 1,000 polled within 60 s; peak RSS ≤ 300 MB.

    .venv/bin/python bench/polling.py                        # SQLite, Vigie's default collect settings
    .venv/bin/python bench/polling.py --feeds 200 --rounds 1 --tick 1
    .venv/bin/python bench/polling.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test --json

Always exits 0: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from feedproc import FeedProcess, feed_document, serve_changing
from ingest import BRANDS
from pgtemp import temp_postgres_database
from procs import (
    cpu_seconds,
    machine_busy_seconds,
    memory_kib,
    postgres_cpu_seconds,
    reset_peak_memory,
    start_worker,
    worker_env,
)

from app.db import make_engine, reading, writing
from app.db.migrate import upgrade
from app.db.schema import source_runs, sources, utcnow
from app.settings import Settings
from app.specs import BrandSpec, SourceSpec
from app.storage.brands import create_brand
from app.storage.sources import create_source
from app.storage.workspaces import ensure_workspace

TARGET_SECONDS = 60.0
TARGET_RSS_MB = 300.0


# ---------------------------------------------------------------------------------------------------------
# The feeds (built in the feed server's process)


def feed_path(i: int) -> str:
    return f"/feeds/{i}.xml"


def changes(i: int, every: int) -> bool:
    """Feed i answers 200 with new items at every request (1 feed in `every`); the others answer 304."""
    return every > 0 and i % every == 0


def feed_routes(server: Any, arg: dict[str, int]) -> None:
    """Register the feeds: static ones with an ETag and a Last-Modified (304 to a matching conditional GET),
    changing ones whose n-th answer holds items with new ids, links and titles (so ingest stores them)."""
    rng = random.Random(arg["seed"])
    modified = format_datetime(datetime(2025, 3, 17, 8, 0, tzinfo=UTC), usegmt=True)
    for i in range(arg["feeds"]):
        if changes(i, arg["every"]):
            serve_changing(server, feed_path(i), feed_document(rng, i, arg["items"], changing=True))
        else:
            body = feed_document(rng, i, arg["items"])
            server.add(feed_path(i), body, etag=f'"v1-{i}"', last_modified=modified)


# ---------------------------------------------------------------------------------------------------------
# The store


@dataclass(slots=True)
class Store:
    name: str
    url: str
    close: Callable[[], None]


def sqlite_store() -> Store:
    tmp = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    return Store("SQLite", url, lambda: shutil.rmtree(tmp, ignore_errors=True))


def postgres_store(admin_url: str) -> Store:
    return Store("PostgreSQL", *temp_postgres_database(admin_url))


def populate(engine: sa.Engine, urls: list[str]) -> None:
    """Workspace, the four brands of bench/ingest.py, one rss source per feed (due at once)."""
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name="bench")["id"]
        for brand in BRANDS:
            create_brand(conn, workspace_id=ws, values=BrandSpec(**brand).to_row())
        for i, url in enumerate(urls):
            create_source(conn, workspace_id=ws, values=SourceSpec(name=f"feed {i}", kind="rss", url=url).to_row())


# ---------------------------------------------------------------------------------------------------------
# Measuring


@dataclass(slots=True)
class Round:
    """One timed pass: how long, what the polls answered, and what it cost."""

    seconds: float
    polled: int
    statuses: dict[str, int] = field(default_factory=dict)
    new_mentions: int = 0
    peak_rss_kib: int = 0  # the worker's VmHWM, reset just before the round
    first_poll: float | None = None  # seconds from "all due" to the first poll (waiting for the worker's tick)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.polled / self.seconds if self.seconds else 0.0


def last_run_id(engine: sa.Engine) -> int:
    with reading(engine) as conn:
        return conn.execute(sa.select(sa.func.max(source_runs.c.id))).scalar() or 0


def runs_since(engine: sa.Engine, after: int) -> int:
    with reading(engine) as conn:
        stmt = sa.select(sa.func.count()).select_from(source_runs).where(source_runs.c.id > after)
        return conn.execute(stmt).scalar_one()


def wait_for_runs(engine: sa.Engine, worker: Any, after: int, n: int, timeout: float) -> tuple[int, int]:
    """Wait until `n` source runs are recorded after run `after` (or `timeout`); (runs seen, largest VmRSS)."""
    deadline = time.monotonic() + timeout
    seen = rss = 0
    while time.monotonic() < deadline:
        rss = max(rss, memory_kib(worker.pid, "VmRSS"))
        seen = runs_since(engine, after)
        if seen >= n:
            break
        worker.check_alive()
        time.sleep(0.05)
    return seen, rss


def worker_round(engine: sa.Engine, worker: Any, feed_pid: int, n: int, timeout: float) -> Round:
    """Make every source due now and time the worker until each has been polled once."""
    after = last_run_id(engine)
    reset_peak_memory(worker.pid)
    cpu0 = _cpu(worker.pid, feed_pid, engine)
    with writing(engine) as conn:
        due = utcnow()
        conn.execute(sa.update(sources).where(sources.c.kind == "rss").values(due_at=due))
    start = time.perf_counter()
    seen, _ = wait_for_runs(engine, worker, after, n, timeout)
    seconds = time.perf_counter() - start
    cpu = {k: round(v - cpu0[k], 2) for k, v in _cpu(worker.pid, feed_pid, engine).items()}
    cpu["wall"] = round(seconds, 2)
    with reading(engine) as conn:
        stmt = sa.select(source_runs.c.status, sa.func.count(), sa.func.sum(source_runs.c.new_count))
        rows = conn.execute(stmt.where(source_runs.c.id > after).group_by(source_runs.c.status)).all()
        first = conn.execute(sa.select(sa.func.min(source_runs.c.started_at)).where(source_runs.c.id > after))
        first_at = first.scalar()
    first_poll = (first_at - due).total_seconds() if first_at else None
    return Round(seconds, min(seen, n), {s: c for s, c, _ in rows}, sum(int(m or 0) for *_, m in rows),
                 memory_kib(worker.pid, "VmHWM"), first_poll, cpu)  # fmt: skip


def _cpu(worker_pid: int, feed_pid: int, engine: sa.Engine) -> dict[str, float]:
    busy, total = machine_busy_seconds()
    out = {"worker": cpu_seconds(worker_pid), "feed_server": cpu_seconds(feed_pid), "machine_busy": busy,
           "machine_total": total}  # fmt: skip
    if engine.dialect.name == "postgresql":
        out["postgres"] = postgres_cpu_seconds()
    return out


def validators(engine: sa.Engine) -> list[tuple[str, str | None, str | None]]:
    """(url, etag, last_modified) of every source, as the worker stored them after the priming pass."""
    with reading(engine) as conn:
        stmt = sa.select(sources.c.url, sources.c.etag, sources.c.last_modified).where(sources.c.kind == "rss")
        return [tuple(r) for r in conn.execute(stmt.order_by(sources.c.id))]


def baseline_round(targets: list[tuple[str, str | None, str | None]]) -> Round:
    """A plain sequential loop: one httpx GET per feed with the same conditional headers, body read."""
    statuses: dict[str, int] = {}
    with httpx.Client(timeout=30) as client:
        start = time.perf_counter()
        for url, etag, last_modified in targets:
            headers = {}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            response = client.get(url, headers=headers)
            response.read()
            statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
        seconds = time.perf_counter() - start
    return Round(seconds, len(targets), statuses)


# ---------------------------------------------------------------------------------------------------------
# One store, end to end


def collect_settings(args: argparse.Namespace) -> dict[str, str]:
    """The VIGIE_* collect settings given on the command line (the others stay Vigie's defaults)."""
    given = {"VIGIE_COLLECT_CONCURRENCY": args.concurrency, "VIGIE_COLLECT_BATCH_SIZE": args.batch,
             "VIGIE_COLLECT_TICK_SECONDS": args.tick}  # fmt: skip
    return {k: str(v) for k, v in given.items() if v is not None}


def run_store(store: Store, feeds: FeedProcess, args: argparse.Namespace, log: Callable[[str], None]) -> dict:
    """Populate, start the worker, prime, then alternate baseline and worker rounds."""
    engine = make_engine(store.url, pool_size=2)
    worker = None
    try:
        worker = start_worker(worker_env(store.url, collect_settings(args)))
        idle_kib = settle(worker)  # started on a database without sources: what the process costs at rest
        populate(engine, [feeds.url(feed_path(i)) for i in range(args.feeds)])
        log(f"{store.name}: priming pass (every feed answers 200 once)…")
        start = time.perf_counter()
        seen, _ = wait_for_runs(engine, worker, 0, args.feeds, args.timeout)
        priming = time.perf_counter() - start
        priming_kib = memory_kib(worker.pid, "VmHWM")  # the peak since the process started
        log(f"{store.name}: primed {seen} sources in {priming:.1f} s")
        targets = validators(engine)
        baselines, rounds = [], []
        for k in range(args.rounds):
            baselines.append(baseline_round(targets))
            rounds.append(worker_round(engine, worker, feeds.pid, args.feeds, args.timeout))
            log(f"{store.name}: round {k + 1}: baseline {baselines[-1].seconds:.1f} s, worker "
                f"{rounds[-1].seconds:.1f} s ({rounds[-1].polled} polled)")  # fmt: skip
        memory = {"idle_mb": round(idle_kib / 1024, 1), "priming_peak_mb": round(priming_kib / 1024, 1)}
        return summarize_store(store.name, baselines, rounds, priming, seen, args, memory)
    finally:
        if worker is not None:
            worker.stop()
        engine.dispose()


def settle(worker: Any, timeout: float = 60.0) -> int:
    """Wait until the freshly started worker's resident memory stops growing (imports done, first tick run);
    its VmRSS then, in KiB."""
    start, last, stable_since = time.monotonic(), -1, time.monotonic()
    while time.monotonic() - start < timeout:
        worker.check_alive()
        now = memory_kib(worker.pid, "VmRSS")
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= 1.5 and time.monotonic() - start >= 3:
            break
        time.sleep(0.1)
    return last


def summarize_store(
    name: str, baselines: list[Round], rounds: list[Round], priming: float, primed: int, args: argparse.Namespace,
    memory: dict[str, float],
) -> dict[str, Any]:  # fmt: skip
    """Median and best of each side, the ratio of medians, the verdicts (memory: the largest peak seen, the
    priming pass included)."""
    med = statistics.median(r.seconds for r in rounds)
    base_med = statistics.median(r.seconds for r in baselines)
    complete = all(r.polled >= args.feeds for r in rounds)
    rounds_peak_mb = max(r.peak_rss_kib for r in rounds) / 1024
    peak_mb = max(rounds_peak_mb, memory["priming_peak_mb"])
    return {
        "store": name,
        "priming_seconds": round(priming, 2),
        "primed": primed,
        "worker": {
            "seconds_median": round(med, 2),
            "seconds_best": round(min(r.seconds for r in rounds), 2),
            "feeds_per_s_median": round(args.feeds / med, 1),
            "rounds": [_round(r) for r in rounds],
        },
        "baseline": {
            "seconds_median": round(base_med, 2),
            "feeds_per_s_median": round(args.feeds / base_med, 1),
            "rounds": [_round(r) for r in baselines],
        },
        "ratio": round(base_med / med, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "memory": {**memory, "rounds_peak_mb": round(rounds_peak_mb, 1)},
        "time_verdict": "PASS" if complete and med <= TARGET_SECONDS else "BELOW TARGET",
        "rss_verdict": "PASS" if peak_mb <= TARGET_RSS_MB else "BELOW TARGET",
    }


def _round(r: Round) -> dict[str, Any]:
    out: dict[str, Any] = {"seconds": round(r.seconds, 2), "polled": r.polled, "statuses": r.statuses}
    if r.cpu:
        first = None if r.first_poll is None else round(r.first_poll, 2)
        out.update(new_mentions=r.new_mentions, peak_rss_mb=round(r.peak_rss_kib / 1024, 1), first_poll_s=first,
                   cpu_seconds=r.cpu)  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------------------
# Reporting


def print_report(r: dict[str, Any]) -> None:
    s = r["settings"]
    print(
        f"polling benchmark — {r['feeds']:,} rss sources on 127.0.0.1 ({r['changed_share']:.0%} answer 200 with "
        f"{r['items']} new items, the others 304), one `vigie serve --roles collect` process, {r['rounds']} rounds"
    )
    print(f"  collect settings: concurrency {s['collect_concurrency']}, batch size {s['collect_batch_size']}, tick "
          f"{s['collect_tick_seconds']:g} s ({'given' if r['settings_given'] else 'Vigie defaults'}); "
          f"{r['cpus']} CPUs, load average {r['load_average'][0]:.1f} → {r['load_average'][1]:.1f}")  # fmt: skip
    for st in r["stores"]:
        w, b = st["worker"], st["baseline"]
        print(f"\n{st['store']}: priming pass {st['priming_seconds']:.1f} s for {st['primed']:,} sources")
        print(f"  {'':<44} {'s / round':>10} {'feeds/s':>9} {'rounds (s)':>24}")
        rounds_w = ", ".join(f"{x['seconds']:.1f}" for x in w["rounds"])
        rounds_b = ", ".join(f"{x['seconds']:.1f}" for x in b["rounds"])
        print(f"  {'sequential httpx GETs (baseline)':<44} {b['seconds_median']:>10.2f} "
              f"{b['feeds_per_s_median']:>9,.0f} {rounds_b:>24}")  # fmt: skip
        print(f"  {'vigie worker, every source due at once':<44} {w['seconds_median']:>10.2f} "
              f"{w['feeds_per_s_median']:>9,.0f} {rounds_w:>24}")  # fmt: skip
        print(f"  worker / baseline (feeds/s, medians): {st['ratio']:.2f}")
        last = w["rounds"][-1]
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(last["statuses"].items()))
        first = statistics.median(x["first_poll_s"] for x in w["rounds"] if x["first_poll_s"] is not None)
        print(f"  last round: {statuses}; {last['new_mentions']} new mentions stored; first poll "
              f"{first:.1f} s after the sources became due (median: the wait for the worker's next tick)")  # fmt: skip
        m = st["memory"]
        print(f"  worker resident memory: {m['idle_mb']:.0f} MB at rest (no source), peak "
              f"{m['priming_peak_mb']:.0f} MB by the end of the priming pass, {m['rounds_peak_mb']:.0f} MB during "
              "the timed rounds")  # fmt: skip
        cpu = last["cpu_seconds"]
        pg = f", PostgreSQL {cpu['postgres']:.1f}" if "postgres" in cpu else ""
        busy = cpu["machine_busy"] / cpu["machine_total"] if cpu["machine_total"] else 0
        print(f"  CPU seconds in the last round ({cpu['wall']:.1f} s of wall time): worker {cpu['worker']:.1f}, "
              f"feed server {cpu['feed_server']:.1f}{pg}; whole machine {busy:.0%} busy")  # fmt: skip
        print(f"  target: {r['feeds']:,} polled in ≤ {TARGET_SECONDS:g} s → {st['time_verdict']}; "
              f"worker peak RSS {st['peak_rss_mb']:.0f} MB (≤ {TARGET_RSS_MB:g} MB) → {st['rss_verdict']}")  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000, help="rss sources (default 1000)")
    parser.add_argument("--changed-every", type=int, default=10, help="1 feed in N answers 200 with new items "
                        "(default 10, i.e. 10%%; 0: all answer 304)")  # fmt: skip
    parser.add_argument("--items", type=int, default=10, help="items per feed (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each side (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the feed generator")
    parser.add_argument("--concurrency", type=int, help="VIGIE_COLLECT_CONCURRENCY (default: Vigie's)")
    parser.add_argument("--batch", type=int, help="VIGIE_COLLECT_BATCH_SIZE (default: Vigie's)")
    parser.add_argument("--tick", type=float, help="VIGIE_COLLECT_TICK_SECONDS (default: Vigie's)")
    parser.add_argument("--timeout", type=float, default=1800, help="longest wait for one pass, s (default 1800)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="store on PostgreSQL (a temporary database) "
                        "instead of SQLite")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if min(args.feeds, args.items, args.rounds) < 1 or args.changed_every < 0:
        parser.error("--feeds, --items and --rounds must be at least 1, --changed-every at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; always exits 0."""
    args = parse_args(argv)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    load = [os.getloadavg()[0]]
    store = postgres_store(args.postgres) if args.postgres else sqlite_store()
    arg = {"feeds": args.feeds, "items": args.items, "every": args.changed_every, "seed": args.seed}
    feeds = FeedProcess(feed_routes, arg)
    try:
        results = [run_store(store, feeds, args, log)]
    finally:
        feeds.close()
        store.close()
    load.append(os.getloadavg()[0])
    given = collect_settings(args)
    env_settings = {k.removeprefix("VIGIE_").lower(): v for k, v in given.items()}
    settings = Settings(_env_file=None, **env_settings)
    changed = sum(changes(i, args.changed_every) for i in range(args.feeds)) / args.feeds
    result = {
        "feeds": args.feeds, "items": args.items, "changed_share": changed, "rounds": args.rounds,
        "settings": {"collect_concurrency": settings.collect_concurrency,
                     "collect_batch_size": settings.collect_batch_size,
                     "collect_tick_seconds": settings.collect_tick_seconds},
        "settings_given": bool(given), "cpus": os.cpu_count(), "load_average": load,
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "stores": results,
        "targets": {"seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_RSS_MB},
    }  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
