"""Processes for the collector benchmarks: `vigie serve --roles collect` workers, and what /proc says about
them (peak resident memory, CPU time), about PostgreSQL's server processes and about the whole machine."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

VIGIE = [sys.executable, "-c", "from app.cli import main; main()"]
_TICKS = os.sysconf("SC_CLK_TCK")


def worker_env(database_url: str, settings: dict[str, str]) -> dict[str, str]:
    """The environment of a worker: this database, private URLs allowed (the feeds are on 127.0.0.1), warnings
    only, the given VIGIE_* settings, and nothing else from this shell's VIGIE_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(VIGIE_DATABASE_URL=database_url, VIGIE_ALLOW_PRIVATE_URLS="true", VIGIE_LOG_LEVEL="WARNING")
    env.update(settings)
    return env


@dataclass
class Worker:
    """One running `vigie serve --roles collect` process, in an empty working directory of its own."""

    proc: subprocess.Popen
    workdir: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def check_alive(self) -> None:
        """Raise with the end of its log when the process has exited."""
        if self.proc.poll() is not None:
            tail = (self.workdir / "worker.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"vigie serve exited ({self.proc.returncode}):\n{tail}")

    def stop(self) -> None:
        """SIGTERM (the clean shutdown), then SIGKILL after 30 s; removes the working directory."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_worker(env: dict[str, str], roles: str = "collect") -> Worker:
    """Start `vigie serve --roles <roles>` with `env`; its output goes to worker.log in its directory."""
    workdir = Path(tempfile.mkdtemp(prefix="vigie-bench-worker-"))
    with (workdir / "worker.log").open("wb") as log:
        proc = subprocess.Popen([*VIGIE, "serve", "--roles", roles], env=env, cwd=workdir, stdout=log,
                                stderr=subprocess.STDOUT)  # fmt: skip
    return Worker(proc, workdir)


def memory_kib(pid: int, field: str = "VmHWM") -> int:
    """A memory figure of /proc/<pid>/status in KiB: VmHWM (peak resident set) or VmRSS (now); 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def reset_peak_memory(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux: write 5 to clear_refs); False when refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (its own threads, not its children); 0 if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by every process named `postgres` (the local server's backends), if readable."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def machine_busy_seconds() -> tuple[float, float]:
    """(busy CPU seconds, total CPU seconds) of the whole machine so far, all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return (total - idle) / _TICKS, total / _TICKS
