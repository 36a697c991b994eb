"""The deployment of docker-compose.yml as local processes: 2 API processes and 3 workers (collect + alert) on
one fresh PostgreSQL database, 500 RSS sources on a local feed server, two webhook channels on a local
receiver. Over about three check intervals:

- every source is fetched about once per interval, never twice at once, never twice within an interval;
- every item is stored once (a storm item seen through three feeds is one mention), none is missing;
- a storm of negative crisis mentions about Acme, appearing in 30 feeds at once, opens exactly one incident;
- each channel receives each notification once: the receiver counts by `webhook-id`; a retry may repeat a
  message, never two distinct messages of the same notification;
- the worker sending the first page is killed with SIGKILL while it holds source and delivery leases, then
  restarted: its leases expire and other workers take them over; nothing is lost.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from app.db import make_engine, reading
from app.db.schema import deliveries, delivery_attempts, incidents, mentions, sources
from tests.feedserver import FeedServer, RecordedRequest
from tests.receivers import Receiver
from tests.topology import VIGIE, Feeds, Fleet, Member, fresh_postgres_database, webhook_secret, write_config

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ADMIN_KEY = "vg_topology_test_admin_key_0123456789abcdef"
N_SOURCES = 500
INTERVAL = 30  # seconds: the shortest interval a source may have (app.specs.MIN_INTERVAL_SECONDS)
LEASE = 20  # VIGIE_LEASE_SECONDS (fetches are capped at 10 s: VIGIE_FETCH_TOTAL_TIMEOUT must be shorter)
DELIVERY_LEASE = 12  # VIGIE_DELIVERY_LEASE_SECONDS (a send is capped at 10 s: VIGIE_DELIVERY_TIMEOUT, the time
# the test has to kill the sender of the page the receiver sits on, before that sender gives up on it)
GROUP_WAIT = 30  # the route's group_wait: the first page waits for the storm to grow (the shortest allowed)
SLOW = range(470, 500)  # sources whose fetch takes 6 s: refreshed at the kill, so that the victim holds some
SLOW_SECONDS = 6.0
STORM_FEEDS = list(range(0, 300, 10))  # 30 feeds carry the storm; each storm item is in 3 of them
STORM_ITEMS = 40
BUDGET = 240.0  # the whole test, setup and teardown included (about 100 s on a quiet machine)
# A fetch may start no earlier than INTERVAL after the previous one ended: the next check is computed when a
# fetch is stored (at or after the feed server's end of answer) as that time plus the interval and up to 10 %
# jitter, and a worker claims a source only once it is due. EARLY only absorbs the rounding of timestamps and
# the two clocks compared (the server's monotonic clock, the workers' wall clock: one machine, one clock).
EARLY = 0.1
# A fetch should start at most INTERVAL * 1.1 (jitter) + LATE after the previous one ended. LATE covers the
# collect tick (0.5 s), the queue when a whole round is due within seconds (500 sources, 3 workers with 8
# fetch slots each, on a 2-core machine shared with other work) and a worker fewer while one is dead.
# The second fetch of a source may also wait for the first round to end: all 500 sources are due at once when
# they are created, that round can outlast the interval on a busy machine, and claims go by due time, so the
# sources fetched first in that round wait for the rest of it. That wait (the measured spread of the first
# fetches) is added to the bound of the first gap only.
LATE = 12.0


class Clock:
    """Deadlines within the test's budget, and conversion of database times to the feed server's clock."""

    def __init__(self, budget: float) -> None:
        self.end = time.monotonic() + budget
        self.offset = time.time() - time.monotonic()

    def left(self, wanted: float) -> float:
        return max(0.0, min(wanted, self.end - time.monotonic() - 15))  # 15 s kept for stopping and checking

    def mono(self, at: datetime) -> float:
        return at.timestamp() - self.offset


def _wait(clock: Clock, fleet: Fleet, seconds: float, what: str, predicate) -> None:
    """Wait for `predicate`, failing with what was awaited and the processes' last log lines."""
    deadline = time.monotonic() + clock.left(seconds)
    while True:
        if predicate():
            return
        if dead := fleet.dead():
            pytest.fail(f"while waiting for {what}, {[m.name for m in dead]} ended:\n{fleet.report()}")
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {seconds:g}s waiting for {what}\n{fleet.report()}")
        time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(database_url: str, public_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(
        VIGIE_DATABASE_URL=database_url,
        VIGIE_ALLOW_PRIVATE_URLS="true",
        VIGIE_LOG_LEVEL="WARNING",
        VIGIE_ADMIN_KEY=ADMIN_KEY,
        VIGIE_PUBLIC_URL=public_url,
        VIGIE_COLLECT_TICK_SECONDS="0.5",
        VIGIE_COLLECT_CONCURRENCY="8",
        VIGIE_LEASE_SECONDS=str(LEASE),
        VIGIE_FETCH_CONNECT_TIMEOUT="3",
        VIGIE_FETCH_READ_TIMEOUT="9",
        VIGIE_FETCH_TOTAL_TIMEOUT="10",
        VIGIE_DETECT_TICK_SECONDS="1",
        VIGIE_ROUTE_TICK_SECONDS="0.2",  # every worker wakes the route timers often: races show
        VIGIE_DELIVER_TICK_SECONDS="0.5",
        VIGIE_DELIVERY_LEASE_SECONDS=str(DELIVERY_LEASE),
        VIGIE_DELIVERY_TIMEOUT="10",
    )
    return env


def _rows(engine: sa.Engine, stmt: sa.Select) -> list[dict[str, Any]]:
    with reading(engine) as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _completed_fetches(server: FeedServer) -> dict[str, int]:
    done: dict[str, int] = defaultdict(int)
    for r in server.requests:
        if r.ended:
            done[r.path] += 1
    return done


def test_two_apis_and_three_workers_on_one_postgresql_share_the_work_and_lose_nothing(tmp_path: Path) -> None:
    clock = Clock(BUDGET)
    hooks = {"ops": webhook_secret(), "cm": webhook_secret()}
    receiver = Receiver(hold=lambda n: 120.0 if n == 0 else 0.0)  # sits on the first page: its sender dies
    ports = [_free_port(), _free_port()]
    with fresh_postgres_database() as database_url, FeedServer() as server:
        engine = make_engine(database_url, pool_size=2)
        fleet = Fleet(_env(database_url, f"http://127.0.0.1:{ports[0]}"), tmp_path)
        try:
            feeds = Feeds(server, N_SOURCES, STORM_FEEDS, STORM_ITEMS, slow=dict.fromkeys(SLOW, SLOW_SECONDS))
            feeds.install()
            feeds.start_storm()  # the storm is in 30 feeds from their first fetch on
            story = _run(clock, fleet, engine, feeds, receiver, ports, hooks, tmp_path)
            story["end"] = time.monotonic()  # from now on nothing is claimed; fetches under way finish
            _print_timeline(story)
            print("CPU seconds:", fleet.cpu_seconds(), "this test process:", round(time.process_time(), 1))
            codes = fleet.stop()
            _check_processes(codes, story, fleet)
            _check_fetches(server.requests, story)
            _check_mentions(engine, feeds)
            incident = _check_incident(engine)
            _check_deliveries(engine, receiver, hooks, incident, story)
        finally:
            fleet.close()
            receiver.close()
            engine.dispose()
    assert time.monotonic() <= clock.end, f"the test overran its {BUDGET:g} s budget"


def _run(clock, fleet, engine, feeds, receiver, ports, hooks, tmp_path) -> dict[str, Any]:
    """Set up, start the fleet, inject the storm, kill and restart the page's sender, acknowledge, and let
    three rounds of fetches happen. Returns what the checks need to know of the story."""
    urls = {name: (receiver.url(f"/{name}"), secret) for name, secret in hooks.items()}
    config = write_config(tmp_path / "vigie.toml", feeds, interval=INTERVAL, group_wait=GROUP_WAIT, hooks=urls)
    for step in (["migrate"], ["config", "apply", str(config)]):  # the compose file's one-off `migrate`
        done = fleet.run_once(step, timeout=clock.left(60))
        assert done.returncode == 0, f"vigie {' '.join(step)} failed:\n{done.stdout}{done.stderr}"
    # As in docker-compose.yml, an API replica may run several uvicorn workers: the first one runs two.
    api = [*VIGIE, "serve", "--roles", "api", "--port"]
    apis = [fleet.start("api0", [*api, str(ports[0]), "--workers", "2"]), fleet.start("api1", [*api, str(ports[1])])]
    worker = [*VIGIE, "serve", "--roles", "collect,alert"]
    workers = [fleet.start(f"worker{i}", worker) for i in range(3)]
    _wait(clock, fleet, 40, "both API processes to answer /readyz", lambda: all(_ready(p) for p in ports))
    story: dict[str, Any] = {"ready": time.monotonic(), "workers": workers, "apis": apis}

    everyone = lambda: len(_completed_fetches(feeds.server)) == N_SOURCES  # noqa: E731
    _wait(clock, fleet, 50, "every source's first fetch", everyone)
    story["first_round_over"] = time.monotonic()
    # The incident may open late in the first round on a loaded machine, then waits GROUP_WAIT for its first page.
    _wait(clock, fleet, GROUP_WAIT + 60, "the first page of the storm at the receiver", lambda: receiver.requests)
    story["first_page"] = receiver.requests[0].received_at
    story.update(_kill_the_sender(clock, fleet, engine, receiver, ports[0]))
    time.sleep(2)
    story["restarted"] = fleet.start("worker3", worker)

    # Counted as at least, not exactly: a duplicate page is reported by the checks, with what it duplicates.
    pending = sa.select(deliveries).where(deliveries.c.status != "delivered")
    every_page = lambda: len(_rows(engine, sa.select(deliveries))) >= 2 and not _rows(engine, pending)  # noqa: E731
    _wait(clock, fleet, DELIVERY_LEASE + 15, "both first pages delivered after the lease expired", every_page)
    incident = _rows(engine, sa.select(incidents.c.id))[0]  # exactly one: see _check_incident
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    answer = httpx.post(f"http://127.0.0.1:{ports[1]}/api/v1/incidents/{incident['id']}/ack", headers=headers)
    assert answer.status_code == 200, answer.text
    all_four = lambda: len(_rows(engine, sa.select(deliveries))) >= 4 and not _rows(engine, pending)  # noqa: E731
    _wait(clock, fleet, 15, "both acknowledgements delivered", all_four)

    three = lambda: min(_completed_fetches(feeds.server).values()) >= 3  # noqa: E731
    _wait(clock, fleet, 2 * INTERVAL + 30, "every source to be fetched three times", three)
    return story


def _kill_the_sender(clock, fleet, engine, receiver, api_port) -> dict[str, Any]:
    """Kill, with SIGKILL, the worker whose page the receiver is sitting on, once it also holds source leases
    (the slow sources are refreshed through the API so that every worker takes some)."""
    held = receiver.requests[0].headers["webhook-id"]
    [page] = _rows(engine, sa.select(deliveries).where(deliveries.c.message_id == held))
    pid = int(page["lease_owner"].split(":")[1])
    victim: Member = next(m for m in fleet.members if m.proc.pid == pid)
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    slow = sa.select(sources.c.id).where(sources.c.name.in_([f"presse {n}" for n in SLOW]))
    slow_ids = [r["id"] for r in _rows(engine, slow)]
    refreshed = time.monotonic()
    for source_id in slow_ids:
        answer = httpx.post(f"http://127.0.0.1:{api_port}/api/v1/sources/{source_id}/refresh", headers=headers)
        assert answer.status_code == 202, answer.text
    prefix = page["lease_owner"].rsplit(":", 1)[0] + ":"
    mine = sa.select(sources.c.id, sources.c.name, sources.c.lease_until).where(
        sources.c.lease_owner.startswith(prefix), sources.c.lease_until > sa.func.now()
    )
    _wait(clock, fleet, 5, f"the page's sender ({victim.name}) to hold source leases", lambda: _rows(engine, mine))
    fleet.kill(victim)
    killed = time.monotonic()
    leases = {r["name"]: clock.mono(r["lease_until"]) for r in _rows(engine, mine)}
    [page] = _rows(engine, sa.select(deliveries).where(deliveries.c.message_id == held))
    assert page["status"] == "pending" and page["lease_owner"].startswith(prefix), page
    return {
        "victim": victim,
        "killed": killed,
        "refreshed": refreshed,
        "refreshed_paths": {f"/feed/{n}.xml" for n in SLOW},
        "source_leases": {f"/feed/{name.split()[1]}.xml": until for name, until in leases.items()},
        "held_page": page,
        "held_page_lease": clock.mono(page["lease_until"]),
    }


def _print_timeline(story: dict[str, Any]) -> None:
    """The story's moments, relative to the fleet being ready (shown by pytest when the test fails)."""
    moments = {k: v - story["ready"] for k, v in story.items() if isinstance(v, float)}
    print("timeline (s after ready):", {k: round(v, 1) for k, v in sorted(moments.items(), key=lambda kv: kv[1])})


def _check_processes(codes: dict[str, int | None], story: dict[str, Any], fleet: Fleet) -> None:
    # uvicorn re-raises the SIGTERM it caught once its graceful shutdown is over, hence -15 for the API.
    victim = story["victim"].name
    unclean = {name: code for name, code in codes.items() if name != victim and code not in (0, -signal.SIGTERM)}
    assert not unclean, f"processes that did not stop cleanly on SIGTERM (exit codes): {unclean}\n{fleet.report()}"


def _check_fetches(requests: list[RecordedRequest], story: dict[str, Any]) -> None:
    by_path: dict[str, list[RecordedRequest]] = defaultdict(list)
    for r in requests:
        by_path[r.path].append(r)
    for fetches in by_path.values():
        fetches.sort(key=lambda r: r.started)
    firsts = [fetches[0].started for fetches in by_path.values()]
    story["first_round"] = max(firsts) - min(firsts)
    problems: list[str] = []
    for path, fetches in sorted(by_path.items()):
        problems += _fetch_problems(path, fetches, story)
    assert len(by_path) == N_SOURCES, f"only {len(by_path)} of {N_SOURCES} sources were ever fetched"
    first_round = f"(the first round of fetches spread over {story['first_round']:.1f}s)"
    assert not problems, f"{len(problems)} scheduling problems {first_round}, e.g.:\n" + "\n".join(problems[:20])
    retaken = [p for p in story["source_leases"] if any(r.started > story["killed"] for r in by_path[p])]
    assert sorted(retaken) == sorted(story["source_leases"]), "sources leased by the killed worker not taken over"


def _fetch_problems(path: str, fetches: list[RecordedRequest], story: dict[str, Any]) -> list[str]:
    """What is wrong with one source's fetches (see EARLY and LATE)."""
    out = []
    if len(fetches) < 3:
        out.append(f"{path}: fetched {len(fetches)} times, expected at least 3 over the run")
    lease_until = story["source_leases"].get(path)
    for a, b in zip(fetches, fetches[1:], strict=False):
        gap, at = b.started - a.ended, f"{path}: fetch #{b.number} at +{b.started - story['ready']:.1f}s"
        late = INTERVAL * 1.1 + LATE + (story["first_round"] if a is fetches[0] else 0.0)
        if not a.ended or b.started < a.ended:
            out.append(f"{at} overlapped fetch #{a.number} (started +{a.started - story['ready']:.1f}s, not over)")
        elif lease_until is not None and a.started < story["killed"] <= b.started:
            if not lease_until - EARLY <= b.started <= lease_until + LATE:
                out.append(f"{at}: taken over {b.started - lease_until:+.1f}s from the dead worker's lease expiry")
        elif path in story["refreshed_paths"] and a.started < story["refreshed"] <= b.started:
            continue  # a manual refresh makes the source due at once: an early fetch is what was asked
        elif gap < INTERVAL - EARLY:
            out.append(f"{at}: only {gap:.2f}s after the previous fetch ended (interval {INTERVAL}s)")
        elif gap > late:
            out.append(f"{at}: {gap:.1f}s after the previous fetch ended (interval {INTERVAL}s, at most {late:.1f}s)")
    if story["end"] - fetches[-1].ended > INTERVAL * 1.1 + LATE:
        out.append(f"{path}: not fetched in the last {story['end'] - fetches[-1].ended:.1f}s of the run")
    return out


def _check_mentions(engine: sa.Engine, feeds: Feeds) -> None:
    rows = _rows(engine, sa.select(mentions.c.id, mentions.c.url, mentions.c.source_id))
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r["url"]] += 1
    expected = {feeds.routine_link(n, k) for n in range(N_SOURCES) for k in feeds.served.get(feeds.path(n), ())}
    expected |= {feeds.storm_link(i) for i in range(STORM_ITEMS)}
    duplicated = {u: c for u, c in counts.items() if c > 1}
    missing, extra = sorted(expected - set(counts)), sorted(set(counts) - expected)
    assert not duplicated, f"{len(duplicated)} items stored more than once, e.g. {list(duplicated.items())[:5]}"
    assert not missing, f"{len(missing)} served items never stored, e.g. {missing[:10]}"
    assert not extra, f"{len(extra)} stored mentions no feed served, e.g. {extra[:10]}"


def _check_incident(engine: sa.Engine) -> dict[str, Any]:
    found = _rows(engine, sa.select(incidents.c.id, incidents.c.kind, incidents.c.brand_id, incidents.c.status))
    assert len(found) == 1, f"the storm should open exactly one incident, found {found}"
    [incident] = found
    assert incident["kind"] == "storm" and incident["status"] == "acknowledged", incident
    return incident


def _check_deliveries(engine, receiver: Receiver, hooks, incident, story) -> None:
    rows = _rows(engine, sa.select(deliveries))
    assert {r["status"] for r in rows} == {"delivered"}, [(r["id"], r["status"], r["last_error"]) for r in rows]
    answered: dict[str, list] = defaultdict(list)
    for request in receiver.answered():
        answered[request.headers["webhook-id"]].append(request)
    missing = [r["message_id"] for r in rows if r["message_id"] not in answered]
    assert not missing, f"deliveries marked delivered that the receiver never answered: {missing}"
    unknown = {r.headers["webhook-id"] for r in receiver.requests} - {r["message_id"] for r in rows}
    assert not unknown, f"the receiver got messages that are not in the delivery log: {unknown}"
    # One notification = (channel, incident, event, reason): the planner sends each at most once per channel
    # here (group_interval 1 h, no reminders), so two distinct webhook-ids for one would be a duplicate page.
    notifications: dict[tuple, set[str]] = defaultdict(set)
    for request in receiver.requests:
        channel = request.path.strip("/")
        Webhook(hooks[channel]).verify(request.body, request.headers)
        body = request.json()
        key = (channel, body["data"]["incident"]["id"], body["type"], body["data"]["notification"]["reason"])
        notifications[key].add(request.headers["webhook-id"])
    duplicates = {k: v for k, v in notifications.items() if len(v) > 1}
    assert not duplicates, f"the same notification under distinct webhook-ids: {duplicates}"
    expected = {
        (channel, incident["id"], event, reason)
        for channel in hooks
        for event, reason in (("incident.opened", "first"), ("incident.acknowledged", "acknowledged"))
    }
    assert set(notifications) == expected
    _check_takeover_of_the_held_page(engine, receiver, story)


def _check_takeover_of_the_held_page(engine, receiver: Receiver, story) -> None:
    page = story["held_page"]
    sends = [r for r in receiver.requests if r.headers["webhook-id"] == page["message_id"]]
    assert sends[0].answered_at is None and sends[-1].answered_at is not None, "the page is sent again and answered"
    assert all(s.received_at >= story["held_page_lease"] - EARLY for s in sends[1:]), "resent before its lease expired"
    attempts = _rows(engine, sa.select(delivery_attempts).where(delivery_attempts.c.delivery_id == page["id"]))
    assert [a["outcome"] for a in attempts] == ["delivered"], attempts  # the dead worker recorded nothing
    assert attempts[0]["worker"] != page["lease_owner"]
    assert attempts[0]["at"] >= page["lease_until"].astimezone(UTC)
