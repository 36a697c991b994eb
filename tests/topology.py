"""The parts of the topology test (tests/test_topology.py): a fresh PostgreSQL database, a fleet of real
`vigie` processes in their own process groups, the changing feeds of 500 sources, and the config file that
declares them with the alerting."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from tests.conftest import new_postgres_database
from tests.feedserver import FeedServer

ROOT = Path(__file__).resolve().parents[1]
VIGIE = [sys.executable, "-c", "from app.cli import main; main()"]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WINDOW = 3  # items in a feed: the latest three; each fetch adds one, so an item stays for three fetches
STORM_TEXTS = [
    "Intoxication alimentaire après un repas Acme, remboursez-nous, c'est scandaleux",
    "Rappel produit Acme : des enfants malades, aucune information, inadmissible",
    "Acme se moque de nous, intoxication alimentaire dans toute la famille, honteux",
    "Plainte collective contre Acme après l'intoxication, c'est une honte",
]


def fresh_postgres_database() -> AbstractContextManager[str]:
    """A new, empty PostgreSQL database for the fleet, dropped afterwards (see tests.conftest)."""
    return new_postgres_database("vigie_topology")


@dataclass
class Member:
    """One process of the fleet: its command line, its log file, its Popen."""

    name: str
    command: list[str]
    log: Path
    proc: subprocess.Popen

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return f"--- {self.name} (pid {self.proc.pid}), last lines of {self.log.name}:\n" + "\n".join(text[-lines:])


class Fleet:
    """Real `vigie` processes, each in a process group of its own (so that the API's uvicorn workers go with
    their parent), logging to files; `close` stops them all, SIGKILL for whatever did not stop in time."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.members: list[Member] = []

    def run_once(self, arguments: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """A one-off `vigie` command (migrate, config apply), as the compose file's `migrate` service runs."""
        return subprocess.run(
            [*VIGIE, *arguments], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )

    def start(self, name: str, command: list[str]) -> Member:
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                command, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        member = Member(name, command, log, proc)
        self.members.append(member)
        return member

    def kill(self, member: Member) -> None:
        """SIGKILL, as a crash or the OOM killer would: no handler runs, nothing is released."""
        os.killpg(member.proc.pid, signal.SIGKILL)
        member.proc.wait(timeout=10)

    def dead(self) -> list[Member]:
        """Members that ended on their own (not killed by the test)."""
        return [m for m in self.members if m.proc.poll() is not None and m.proc.returncode != -signal.SIGKILL]

    def stop(self, timeout: float = 20.0) -> dict[str, int | None]:
        """SIGTERM to every live member, then wait; returns each one's exit code (None: had to be SIGKILLed)."""
        for member in self.members:
            if member.proc.poll() is None:
                member.proc.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        deadline = time.monotonic() + timeout
        for member in self.members:
            try:
                codes[member.name] = member.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                codes[member.name] = None
        self.close()
        return codes

    def close(self) -> None:
        for member in self.members:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(member.proc.pid, signal.SIGKILL)  # the group: uvicorn workers too
            member.proc.wait()

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each live member used so far (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        used = {}
        for member in self.members:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{member.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
                used[member.name] = round((int(fields[11]) + int(fields[12])) / ticks, 1)
        return used

    def report(self) -> str:
        return "\n".join(m.tail() for m in self.members)


@dataclass
class Feeds:
    """The feeds of the sources on one FeedServer. Source n serves, at its k-th fetch, its routine items
    max(0, k-2)..k (one new item per fetch) about Orange, and, once the storm is on, the storm items assigned
    to it (each storm item is in `copies` feeds: one mention seen through several feeds)."""

    server: FeedServer
    n_sources: int
    storm_feeds: list[int]
    storm_items: int
    copies: int = 3
    slow: dict[int, float] = field(default_factory=dict)  # source -> seconds each fetch of it takes
    storm_at: datetime | None = None
    served: dict[str, set[int]] = field(default_factory=dict)  # path -> routine item numbers served
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def path(self, n: int) -> str:
        return f"/feed/{n}.xml"

    def url(self, n: int) -> str:
        return self.server.url(self.path(n))

    def install(self) -> None:
        for n in range(self.n_sources):
            self.server.add_dynamic(self.path(n), lambda k, n=n: self._render(n, k), delay=self.slow.get(n, 0.0))

    def start_storm(self) -> None:
        with self._lock:
            self.storm_at = datetime.now(UTC)

    def storm_items_of(self, n: int) -> list[int]:
        """The storm items feed n carries once the storm is on."""
        if n not in self.storm_feeds:
            return []
        slot = self.storm_feeds.index(n)
        spread = len(self.storm_feeds)
        return [i for i in range(self.storm_items) if slot in {(i * 7 + c * 11) % spread for c in range(self.copies)}]

    @staticmethod
    def routine_link(n: int, k: int) -> str:
        return f"https://news.example.fr/{n}/{k}"

    @staticmethod
    def storm_link(i: int) -> str:
        return f"https://social.example.fr/acme/{i}"

    def _render(self, n: int, k: int) -> bytes:
        now = datetime.now(UTC)
        with self._lock:
            storm_at = self.storm_at
            self.served.setdefault(self.path(n), set()).update(range(max(0, k - WINDOW + 1), k + 1))
        items = [
            _item(
                guid=f"orange-{n}-{j}",
                link=self.routine_link(n, j),
                title=f"Orange fibre : point presse {n}-{j}",
                text=f"Orange annonce la fibre dans la commune {n} (lot {j}).",
                at=now,
            )
            for j in range(max(0, k - WINDOW + 1), k + 1)
        ]
        if storm_at is not None:
            items += [
                _item(
                    guid=f"acme-{i}",
                    link=self.storm_link(i),
                    title=f"Acme : témoignage {i}",
                    text=f"{STORM_TEXTS[i % len(STORM_TEXTS)]} (témoignage {i})",
                    at=storm_at,
                )
                for i in self.storm_items_of(n)
            ]
        channel = f"<title>Presse {n}</title><link>https://news.example.fr/{n}</link>{''.join(items)}"
        return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{channel}</channel></rss>'.encode()


def _item(*, guid: str, link: str, title: str, text: str, at: datetime) -> str:
    return (
        f"<item><title>{escape(title)}</title><guid>{guid}</guid><link>{link}</link>"
        f"<description>{escape(text)}</description><pubDate>{format_datetime(at)}</pubDate></item>"
    )


def webhook_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def write_config(
    path: Path, feeds: Feeds, *, interval: int, group_wait: int, hooks: dict[str, tuple[str, str]]
) -> Path:
    """The monitoring config of the test, as a CM would write it: two brands, the sources, one webhook
    channel per entry of `hooks` (name -> (url, secret)) and one route paging them all."""
    lines = [
        '[workspace]\nname = "default"\nlanguage = "fr"\ntimezone = "Europe/Paris"\n',
        # Routine press about Orange: 500 feeds appearing at once are a volume-only jump (volume and velocity
        # give at most 35 points) that must not open an incident of its own in this test.
        '[[brands]]\nname = "Orange"\nquery = "orange"\ndetection = { open_score = 40 }\n',
        '[[brands]]\nname = "Acme"\nquery = "acme"\n',
    ]
    for name, (url, secret) in hooks.items():
        lines.append(f'[[channels]]\nname = "{name}"\nkind = "webhook"\nurl = "{url}"\nsecret = "{secret}"\n')
    channels = ", ".join(f'"{name}"' for name in hooks)
    # The first page waits for group_wait on a route timer, which every worker wakes: it must still go out
    # once. group_interval is far beyond the test: each (incident, event, reason) goes out once per channel.
    lines.append(
        f'[[routes]]\nname = "astreinte"\nchannels = [{channels}]\nwhen = "always"\n'
        f'group_wait = {group_wait}\ngroup_interval = "1h"\nrepeat_interval = 0\n'
    )
    for n in range(feeds.n_sources):
        lines.append(f'[[sources]]\nname = "presse {n}"\nkind = "rss"\nurl = "{feeds.url(n)}"\ninterval = {interval}\n')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
