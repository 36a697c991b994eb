"""Real `vigie` processes: two collectors on one database never fetch a source twice; `serve` on a fresh
database shows its admin key once and the demo mentions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from app.db import reading
from app.db.schema import mentions, source_runs
from tests.feedserver import FeedServer
from tests.test_collect import _setup

ROOT = Path(__file__).resolve().parents[1]
VIGIE = [sys.executable, "-c", "from app.cli import main; main()"]
N_SOURCES = 40
ADMIN_KEY = "vg_processes_test_admin_key_0123456789"  # VIGIE_ADMIN_KEY of the processes (no first-start file)


def _feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Orange fibre : point presse {n}-{i}</title><guid>feed{n}-item{i}</guid>"
        f"<link>https://news.example.fr/{n}/{i}</link><description>Orange annonce la fibre "
        f"dans la commune {n} (lot {i}).</description></item>"
        for i in range(3)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{n}</title>{items}</channel></rss>'.encode()


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(
        VIGIE_DATABASE_URL=database_url,
        VIGIE_ALLOW_PRIVATE_URLS="true",
        VIGIE_COLLECT_TICK_SECONDS="0.2",
        VIGIE_COLLECT_CONCURRENCY="4",
        VIGIE_FETCH_READ_TIMEOUT="5",
        VIGIE_LOG_LEVEL="WARNING",
        VIGIE_ADMIN_KEY=ADMIN_KEY,
    )
    env.update(extra)
    return env


@contextmanager
def _processes(*commands: tuple[list[str], dict[str, str]], cwd: Path = ROOT) -> Iterator[list[subprocess.Popen]]:
    procs = [
        subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for cmd, env in commands
    ]
    try:
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if p.stdout:
                p.stdout.close()


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def _count(engine: sa.Engine, stmt: sa.Select) -> int:
    with reading(engine) as conn:
        return conn.execute(stmt).scalar_one()


@pytest.mark.slow
def test_two_collector_processes_never_fetch_the_same_source_twice(database_url, engine) -> None:
    with FeedServer() as server:
        for n in range(N_SOURCES):
            server.add(f"/feed/{n}.xml", _feed(n), delay=0.3)
        _setup(engine, {f"feed {n}": server.url(f"/feed/{n}.xml") for n in range(N_SOURCES)})
        cmd = ([*VIGIE, "serve", "--roles", "collect"], _env(database_url))
        with _processes(cmd, cmd) as procs:
            runs = sa.select(sa.func.count()).select_from(source_runs)
            _wait_for(lambda: _count(engine, runs) >= N_SOURCES, 60, "every source to be collected")
            time.sleep(1.0)  # leave time for a wrongful second fetch to show up
            assert all(p.poll() is None for p in procs), "a collector process died"
        for n in range(N_SOURCES):
            assert server.hits(f"/feed/{n}.xml") == 1, f"feed {n} fetched {server.hits(f'/feed/{n}.xml')} times"
            assert server.max_concurrency(f"/feed/{n}.xml") == 1
    with reading(engine) as conn:
        workers = set(conn.execute(sa.select(source_runs.c.worker).distinct()).scalars())
    assert len(workers) == 2, "both processes should have taken part"
    assert _count(engine, sa.select(sa.func.count()).select_from(mentions)) == N_SOURCES * 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_on_a_fresh_sqlite_database_shows_its_admin_key_once_and_demo_mentions(tmp_path: Path) -> None:
    """`make run` on a fresh clone: migrate, then serve with the demo config. The first start prints an admin
    key once and keeps it in ./vigie-admin.key; with it, the API shows the demo mentions."""
    url = f"sqlite:///{tmp_path / 'vigie.db'}"
    env = _env(url, VIGIE_COLLECT_TICK_SECONDS="1")
    del env["VIGIE_ADMIN_KEY"]
    subprocess.run([*VIGIE, "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    port = _free_port()
    serve = [*VIGIE, "serve", "--config", str(ROOT / "examples" / "demo.toml"), "--port", str(port)]
    key_file = tmp_path / "vigie-admin.key"
    with _processes((serve, env), cwd=tmp_path) as [proc]:
        api = f"http://127.0.0.1:{port}"

        def has_key_file() -> bool:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "serve exited"
            return key_file.exists() and key_file.read_text().endswith("\n")

        _wait_for(has_key_file, 60, "the first admin key in ./vigie-admin.key")
        key = key_file.read_text().strip()
        headers = {"Authorization": f"Bearer {key}"}

        def has_mentions() -> bool:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "serve exited"
            try:
                return bool(httpx.get(f"{api}/api/v1/mentions", headers=headers, timeout=2).json()["items"])
            except httpx.TransportError:
                return False

        _wait_for(has_mentions, 60, "demo mentions in GET /api/v1/mentions")
        assert httpx.get(f"{api}/readyz", timeout=2).json()["status"] == "ok"
        assert httpx.get(f"{api}/api/v1/mentions", timeout=2).status_code == 401
        first = httpx.get(f"{api}/api/v1/mentions", headers=headers, timeout=2).json()["items"][0]
        assert first["brands"] and first["sentiment"]["label"] in ("positive", "neutral", "negative")
        sources = httpx.get(f"{api}/api/v1/sources", headers=headers, timeout=2).json()
        assert any(s["kind"] == "replay" and s["last_success_at"] for s in sources)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        output = proc.stdout.read().decode() if proc.stdout else ""
    assert output.count(f"Vigie admin API key (shown once; also written to ./vigie-admin.key): {key}\n") == 1
    assert output.count(key) == 1


@pytest.mark.slow
def test_a_collector_killed_mid_fetch_loses_nothing_its_leases_expire_and_another_takes_over(
    database_url, engine
) -> None:
    with FeedServer() as server:
        for n in range(6):
            server.add(f"/feed/{n}.xml", _feed(n), delay=4)  # slow: the first worker dies while fetching
        _setup(engine, {f"feed {n}": server.url(f"/feed/{n}.xml") for n in range(6)})
        env = _env(database_url, VIGIE_LEASE_SECONDS="10", VIGIE_FETCH_TOTAL_TIMEOUT="8")
        cmd = [*VIGIE, "serve", "--roles", "collect"]
        with _processes((cmd, env)) as [doomed]:
            _wait_for(lambda: len(server.requests) >= 4, 20, "the first worker to start fetching")
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=10)
        killed_at = time.monotonic()
        leased_by_the_dead = {r.path for r in server.requests}
        with _processes((cmd, env)):
            runs = sa.select(sa.func.count()).select_from(source_runs)
            _wait_for(lambda: _count(engine, runs) >= 6, 60, "the second worker to collect every source")
        # Sources the dead worker held were taken over only once their 10 s leases had expired.
        retaken = [r for r in server.requests if r.started > killed_at and r.path in leased_by_the_dead]
        assert {r.path for r in retaken} == leased_by_the_dead
        assert all(r.started - killed_at > 4 for r in retaken)
    assert _count(engine, sa.select(sa.func.count()).select_from(mentions)) == 6 * 3
    with reading(engine) as conn:
        assert len(set(conn.execute(sa.select(source_runs.c.worker)).scalars())) == 1  # the dead one left none


@pytest.mark.slow
def test_two_collector_processes_share_the_pace_of_a_host(database_url, engine) -> None:
    """Six hackernews sources on two worker processes: the host sees one request per PACE, never two at once."""
    from app.db import writing
    from app.specs import SourceSpec
    from app.storage.sources import create_source
    from app.storage.workspaces import ensure_workspace
    from collectors.hackernews import PACE
    from tests.collectors.fakes.hackernews import HackerNewsFake
    from tests.fakeapi import FakeApi

    fake = HackerNewsFake()
    fake.add_story("Orange fibre en panne")
    with FakeApi(fake) as api:
        with writing(engine) as conn:
            ws = ensure_workspace(conn, name="default")
            for n in range(6):
                params = {"query": f"orange {n}", "api_url": api.base}
                spec = SourceSpec(name=f"hn {n}", kind="hackernews", params=params)
                create_source(conn, workspace_id=ws["id"], values=spec.to_row())
        cmd = ([*VIGIE, "serve", "--roles", "collect"], _env(database_url))
        with _processes(cmd, cmd) as procs:
            runs = sa.select(sa.func.count()).select_from(source_runs).where(source_runs.c.status == "ok")
            _wait_for(lambda: _count(engine, runs) >= 6, 60, "every hackernews source to be collected")
            assert all(p.poll() is None for p in procs), "a collector process died"
        arrivals = sorted(r.at for r in api.requests)
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert len(arrivals) >= 6 and min(gaps) >= PACE * 0.9, gaps
    with reading(engine) as conn:
        workers = set(conn.execute(sa.select(source_runs.c.worker).distinct()).scalars())
    assert len(workers) == 2, "both processes should have taken part"
