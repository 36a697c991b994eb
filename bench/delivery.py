"""Delivery latency benchmark: from a crisis mention stored to its page received by a webhook, p50 and p95.

One real `vigie serve --roles alert,api` process on a fresh database (SQLite, then PostgreSQL when reachable)
and a webhook receiver on 127.0.0.1, both timed from this process. Each sample pushes one French high-risk
mention (200,000 followers, "intoxication alimentaire ... rappel produit") through `POST /api/v1/mentions`
and waits for the `incident.opened` webhook that carries it; latency = webhook received − POST returned
(the mention is stored). The route has group_wait 0: the 2 s target excludes the grouping wait. The raw
webhook round trip (a POST straight to the receiver) is measured in the same run, as the floor.

    .venv/bin/python bench/delivery.py [--n 20] [--detect-tick S] [--deliver-tick S]
    .venv/bin/python bench/delivery.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Always exits 0: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from pgtemp import postgres_unreachable, temp_postgres_database

from alerts.delivery.message import IncidentMessage
from alerts.delivery.webhook import build_request, generate_secret
from app.alerting import ChannelSpec, RouteSpec
from app.db import make_engine, reading, writing
from app.db.migrate import upgrade
from app.db.schema import deliveries
from app.samples import sample_message
from app.settings import Settings
from app.storage import delivery as store
from app.storage.workspaces import ensure_workspace

TARGET_P95_S = 2.0
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
VIGIE = [sys.executable, "-c", "from app.cli import main; main()"]
CRISIS = "Acme : intoxication alimentaire, des clients hospitalisés, rappel produit exigé"
SAMPLE_TIMEOUT_S = 15.0  # a page later than this counts as missed (7.5 × the target)


# ---------------------------------------------------------------------------------------------------------
# The webhook receiver: stamps each POST on arrival with this process's clocks


@dataclass(slots=True)
class Arrival:
    at: float  # time.perf_counter()
    wall: float  # time.time(), to compare with timestamps Vigie stored
    headers: dict[str, str]
    body: dict[str, Any]


class Receiver:
    """A threaded HTTP server on 127.0.0.1 that answers 200 to every POST and keeps what arrived."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                at, wall = time.perf_counter(), time.time()
                arrival = Arrival(at, wall, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw))
                with receiver.changed:
                    receiver.arrivals.append(arrival)
                    receiver.changed.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/vigie"

    def wait_for(self, match: Callable[[Arrival], bool], timeout: float) -> Arrival | None:
        """The first arrival that matches, waiting up to `timeout` seconds; None on timeout."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = next((a for a in self.arrivals if match(a)), None)
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    return found
                self.changed.wait(left)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------------------------------------
# Stores and the Vigie process


@dataclass(slots=True)
class Store:
    """A fresh, migrated benchmark database; `close()` removes it."""

    name: str
    url: str
    close: Callable[[], None]


def sqlite_store() -> Store:
    """A SQLite file in a temporary directory."""
    tmp = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    return Store("SQLite", url, lambda: shutil.rmtree(tmp, ignore_errors=True))


def postgres_store(admin_url: str) -> Store:
    """A database `vigie_bench_<random>` on the server of `admin_url`, dropped by `close()`."""
    return Store("PostgreSQL", *temp_postgres_database(admin_url))


def configure(url: str, hook_url: str) -> None:
    """Workspace `default`, a webhook channel to the receiver and a route paging it at once (group_wait 0);
    the brand comes from the API, once per sample."""
    engine = make_engine(url, pool_size=1)
    try:
        with writing(engine) as conn:
            ws = ensure_workspace(conn, name="default")
            channel = ChannelSpec(name="oncall-hook", kind="webhook", url=hook_url)
            store.create_channel(conn, workspace_id=ws["id"], values=channel.to_row())
            route = RouteSpec(
                name="on-call", channels=["oncall-hook"], group_wait=0, repeat_interval=0, notify_resolved=False
            )
            store.create_route(conn, workspace_id=ws["id"], values=route.to_row())
    finally:
        engine.dispose()


def process_env(url: str, ticks: dict[str, str]) -> dict[str, str]:
    """The environment of `vigie serve`: this store, private URLs allowed, the chosen ticks, an admin API key
    of its own (VIGIE_ADMIN_KEY), and nothing else from this shell's VIGIE_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(VIGIE_DATABASE_URL=url, VIGIE_ALLOW_PRIVATE_URLS="true", VIGIE_LOG_LEVEL="WARNING", **ticks)
    env["VIGIE_ADMIN_KEY"] = "vg_" + secrets.token_urlsafe(32)
    return env


def settings_of(env: dict[str, str]) -> Settings:
    """The settings the process reads from `env` (it runs in an empty directory: no .env file)."""
    given = {k.removeprefix("VIGIE_").lower(): v for k, v in env.items() if k.startswith("VIGIE_")}
    return Settings(_env_file=None, **given)


@contextmanager
def vigie_serve(env: dict[str, str], port: int) -> Iterator[str]:
    """A running `vigie serve --roles alert,api`; yields its API address once /readyz answers."""
    workdir = Path(tempfile.mkdtemp(prefix="vigie-serve-"))
    log = (workdir / "serve.log").open("wb")
    cmd = [*VIGIE, "serve", "--roles", "alert,api", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, api, workdir / "serve.log")
        yield api
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_ready(proc: subprocess.Popen, api: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vigie serve exited ({proc.returncode}):\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{api}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("vigie serve was not ready after 60 s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------------------
# Measuring


@dataclass(slots=True)
class Run:
    """The samples of one store: end-to-end latencies and their split (seconds)."""

    store: str
    latencies: list[float] = field(default_factory=list)
    to_outbox: list[float] = field(default_factory=list)  # POST returned → delivery written (detect + route)
    from_outbox: list[float] = field(default_factory=list)  # delivery written → webhook received
    missed: int = 0


def fresh_brand(client: httpx.Client) -> None:
    """Brand "Acme" (query "acme") just created, with no incident: each sample's mention opens one.

    High-risk mentions of one brand share one incident (ten big accounts relaying one scandal are one thing
    to handle), so a later mention would only update the first sample's incident: recreating the brand
    makes every sample the first crisis mention of a brand.

    The API answers before its transaction commits (see bench/README.md), so each step waits until the
    change shows: otherwise the create can meet the deleted brand (409), or the mention the brand's absence."""
    for brand in client.get("/api/v1/brands").raise_for_status().json():
        client.delete(f"/api/v1/brands/{brand['id']}").raise_for_status()
    _until(lambda: client.post("/api/v1/brands", json={"name": "Acme", "query": "acme"}).status_code != 409)
    _until(lambda: any(b["name"] == "Acme" for b in client.get("/api/v1/brands").raise_for_status().json()))


def _until(done: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError("the API did not show its own change within 5 s")
        time.sleep(0.01)


def one_sample(
    client: httpx.Client, receiver: Receiver, engine: sa.Engine, n: int, run: Run | None, phase: float
) -> None:
    """Push one crisis mention `phase` seconds after the brand is ready, and wait for its page; recorded in
    `run` (None: a warm-up)."""
    fresh_brand(client)
    # Without this pause every mention would arrive at the same point of the process's tick cycle (just
    # after the previous page went out), and the figures would measure that one phase, not a crisis that
    # happens whenever it happens.
    time.sleep(phase)
    tag = f"signalement {uuid.uuid4().hex[:8]}"
    mention = {
        "external_id": f"bench-{tag}",
        "text": f"{CRISIS} ({tag})",
        "author": f"@temoin_{n}",
        "author_reach": 200_000,
        "published_at": datetime.now(UTC).isoformat(),
    }
    client.post("/api/v1/mentions", json={"mentions": [mention]}).raise_for_status()
    stored_at, stored_wall = time.perf_counter(), time.time()

    def carries_it(a: Arrival) -> bool:
        if a.body.get("type") != "incident.opened":
            return False
        return any(tag in (m.get("text") or "") for m in a.body["data"]["incident"]["top_mentions"])

    arrival = receiver.wait_for(carries_it, SAMPLE_TIMEOUT_S)
    if run is None:
        return
    if arrival is None:
        run.missed += 1
        return
    run.latencies.append(arrival.at - stored_at)
    with reading(engine) as conn:
        stmt = sa.select(deliveries.c.created_at).where(deliveries.c.message_id == arrival.headers["webhook-id"])
        written = conn.execute(stmt).scalar_one().timestamp()
    run.to_outbox.append(written - stored_wall)
    run.from_outbox.append(arrival.wall - written)


def measure_store(store_: Store, n: int, ticks: dict[str, str]) -> tuple[Run, Settings]:
    """N samples (after one warm-up) through one `vigie serve` process on `store_`, at phases spread evenly
    over the detect tick, in a shuffled (seeded) order."""
    receiver = Receiver()
    engine = make_engine(store_.url, pool_size=1)
    run = Run(store_.name)
    env = process_env(store_.url, ticks)
    settings = settings_of(env)
    phases = [settings.detect_tick_seconds * (i + 0.5) / n for i in range(n)]
    random.Random(n).shuffle(phases)
    try:
        configure(store_.url, receiver.url)
        auth = {"Authorization": f"Bearer {env['VIGIE_ADMIN_KEY']}"}
        with vigie_serve(env, free_port()) as api, httpx.Client(base_url=api, timeout=10, headers=auth) as client:
            one_sample(client, receiver, engine, -1, None, 0.0)
            for i, phase in enumerate(phases):
                one_sample(client, receiver, engine, i, run, phase)
    finally:
        engine.dispose()
        receiver.close()
    return run, settings


def raw_round_trips(n: int) -> list[float]:
    """The floor: a signed webhook POSTed straight to a receiver like the one above (POST sent → received)."""
    receiver = Receiver()
    secret = generate_secret()
    sample = _sample_message()
    out = []
    try:
        with httpx.Client(timeout=10) as client:
            for i in range(n + 1):
                body, headers = build_request(sample, [secret], datetime.now(UTC))
                start = time.perf_counter()
                client.post(receiver.url, content=body, headers=headers).raise_for_status()
                arrival = receiver.arrivals[i]
                if i:  # the first one warms the client up
                    out.append(arrival.at - start)
    finally:
        receiver.close()
    return out


def _sample_message() -> IncidentMessage:
    workspace = {"name": "bench", "language": "fr", "timezone": "Europe/Paris"}
    return sample_message(workspace, Settings(_env_file=None), datetime.now(UTC), message_id="msg_bench")


# ---------------------------------------------------------------------------------------------------------
# Reporting


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (inclusive method), or the only value."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def print_report(runs: list[Run], skipped: str | None, raw: list[float], settings: Settings, n: int) -> None:
    print("delivery latency benchmark — crisis mention stored (POST /api/v1/mentions returned) → webhook received")
    print(
        f"  one `vigie serve --roles alert,api` process per store, {n} samples (+1 warm-up), route group_wait 0 "
        "(the target excludes the grouping wait)"
    )
    print(
        f"  settings: detect_tick_seconds={settings.detect_tick_seconds:g}, "
        f"deliver_tick_seconds={settings.deliver_tick_seconds:g}, "
        f"route_tick_seconds={settings.route_tick_seconds:g} (unused: group_wait 0 routes in the detect transaction)"
    )
    print(f"  {'':<34} {'p50':>8} {'p95':>8} {'max':>8} {'p95/target':>11}   medians: to outbox | outbox → received")
    print(f"  {'raw webhook POST (baseline)':<34} {_ms(quantile(raw, 0.5))} {_ms(quantile(raw, 0.95))} {_ms(max(raw))}")
    for run in runs:
        if not run.latencies:
            print(f"  {run.store:<34} no sample arrived ({run.missed} timed out after {SAMPLE_TIMEOUT_S:g} s)")
            continue
        lat = run.latencies
        p95 = quantile(lat, 0.95)
        split = f"{_ms(statistics.median(run.to_outbox))} | {_ms(statistics.median(run.from_outbox))}"
        missed = f", {run.missed} missed" if run.missed else ""
        print(
            f"  {run.store:<34} {_ms(quantile(lat, 0.5))} {_ms(p95)} {_ms(max(lat))} {p95 / TARGET_P95_S:>11.2f}"
            f"   {split}{missed}"
        )
    if skipped:
        print(f"  PostgreSQL skipped: {skipped}")
    print("  to outbox: POST returned → delivery written (waiting for the detect tick, detect, route);")
    print("  outbox → received: waiting for the deliver tick, then the signed POST")
    worst = max((quantile(r.latencies, 0.95) for r in runs if r.latencies), default=float("nan"))
    verdict = "PASS" if worst <= TARGET_P95_S and not any(r.missed for r in runs) else "ABOVE TARGET"
    print(f"  target: p95 ≤ {TARGET_P95_S:g} s → {verdict}")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:>6.0f}ms" if seconds < 10 else f"{seconds:>7.1f}s"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; always exits 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="samples per store (default 20)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="PostgreSQL server for a scratch database "
                        "(default: VIGIE_TEST_POSTGRES_URL, else the local server)")  # fmt: skip
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--detect-tick", type=float, help="VIGIE_DETECT_TICK_SECONDS (default: Vigie's)")
    parser.add_argument("--deliver-tick", type=float, help="VIGIE_DELIVER_TICK_SECONDS (default: Vigie's)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    ticks = {}
    if args.detect_tick:
        ticks["VIGIE_DETECT_TICK_SECONDS"] = str(args.detect_tick)
    if args.deliver_tick:
        ticks["VIGIE_DELIVER_TICK_SECONDS"] = str(args.deliver_tick)
    admin = args.postgres or os.environ.get("VIGIE_TEST_POSTGRES_URL", DEFAULT_PG)
    skipped = "--no-postgres" if args.no_postgres else postgres_unreachable(admin)
    makers: list[Callable[[], Store]] = [sqlite_store]
    if not skipped:
        makers.append(lambda: postgres_store(admin))
    raw = raw_round_trips(args.n)
    runs, settings = [], settings_of(process_env("sqlite://", ticks))
    for make in makers:
        made = make()
        try:
            run, settings = measure_store(made, args.n, ticks)
        finally:
            made.close()
        runs.append(run)
    print_report(runs, skipped, raw, settings, args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
