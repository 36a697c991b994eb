"""`vigie serve --workers N`: the API in N uvicorn worker processes behind one port. The parent shows the
first admin key once (never once per worker), every worker answers, and SIGTERM stops them all cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.test_processes import VIGIE, _env, _free_port, _wait_for

pytestmark = pytest.mark.slow


def _workers(pid: int) -> set[int]:
    """The live uvicorn worker processes under `pid` (Linux /proc): spawned children, not multiprocessing's
    resource tracker."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid and fields[0] != "Z" and "spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _ready(api: str) -> bool:
    try:
        return httpx.get(f"{api}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_serve_with_two_api_workers_answers_announces_the_key_once_and_stops_on_sigterm(
    database_url: str, tmp_path: Path
) -> None:
    env = _env(database_url, VIGIE_API_WORKERS="1")  # the option wins over the environment
    del env["VIGIE_ADMIN_KEY"]  # a fresh database: the first start makes a key and shows it once
    port = _free_port()
    cmd = [*VIGIE, "serve", "--roles", "api", "--workers", "2", "--port", str(port)]
    proc = subprocess.Popen(
        cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    api = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "serve exited"
            return _ready(api) and len(_workers(proc.pid)) >= 2

        _wait_for(ready, 60, "two API worker processes answering /readyz")
        workers = _workers(proc.pid)
        assert len(workers) == 2, f"expected 2 uvicorn workers under {proc.pid}, found {sorted(workers)}"
        key = (tmp_path / "vigie-admin.key").read_text().strip()
        headers = {"Authorization": f"Bearer {key}"}
        # Many short connections: the kernel hands them to both workers; each one has the key's database.
        for _ in range(20):
            assert httpx.get(f"{api}/api/v1/brands", headers=headers, timeout=5).status_code == 200
        assert httpx.get(f"{api}/api/v1/brands", timeout=5).status_code == 401

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, "the parent should exit cleanly on SIGTERM"
        output = proc.stdout.read().decode() if proc.stdout else ""
        _wait_for(lambda: not any(_alive(w) for w in workers), 10, "the worker processes to end with the parent")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
    assert output.count("Vigie admin API key (shown once") == 1, output
    assert output.count(key) == 1
    assert "Traceback" not in output, output
