"""Real `vigie serve --roles alert` processes deliver the outbox: a worker killed with SIGKILL mid-send loses
nothing (the page goes out after a restart, with the same webhook-id and a valid signature); e-mail pages
reach a real SMTP server and parse; two workers on one database never send the same page twice; a receiver
down for a while gets every message once it recovers, in order per incident."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook

from alerts.detection.findings import Component, Finding
from app.alerting import ChannelSpec, RouteSpec
from app.db import reading, writing
from app.db.schema import deliveries, delivery_attempts, utcnow
from app.detect import finding_to_dict
from app.incidents import acknowledge, resolve
from app.route import route_change, route_incident
from app.settings import Settings
from app.specs import BrandSpec
from app.storage import delivery as store
from app.storage.brands import create_brand
from app.storage.incidents import add_event, create_incident, get_incident
from app.storage.workspaces import ensure_workspace
from tests.receivers import Receiver
from tests.test_processes import ADMIN_KEY, ROOT, VIGIE, _free_port, _processes, _wait_for

pytestmark = pytest.mark.slow
SERVE_ALERT = [*VIGIE, "serve", "--roles", "alert"]


def _alert_env(database_url: str, **extra: str) -> dict[str, str]:
    """The alert role on fast clocks: deliver every 0.2 s, 3 s leases; detection out of the way."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(
        VIGIE_DATABASE_URL=database_url,
        VIGIE_ALLOW_PRIVATE_URLS="true",
        VIGIE_DELIVER_TICK_SECONDS="0.2",
        VIGIE_DELIVERY_LEASE_SECONDS="3",
        VIGIE_ROUTE_TICK_SECONDS="0.5",
        VIGIE_DETECT_TICK_SECONDS="3600",
        VIGIE_LOG_LEVEL="WARNING",
        VIGIE_ADMIN_KEY=ADMIN_KEY,  # the processes serving the API use it, instead of writing a first-start key file
    )
    env.update(extra)
    return env


def _migrate(env: dict[str, str]) -> None:
    """`vigie migrate`, as an operator runs it before `vigie serve` (a no-op on the test database)."""
    subprocess.run([*VIGIE, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=60)


def _world(engine: sa.Engine, channel: ChannelSpec) -> dict[str, Any]:
    """Workspace `default`, brand Acme, the channel, and a route paging it at once (group_wait 0)."""
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name="default")
        brand = create_brand(conn, workspace_id=ws["id"], values=BrandSpec(name="Acme", query="acme").to_row())
        row = store.create_channel(conn, workspace_id=ws["id"], values=channel.to_row())
        route = RouteSpec(name="on-call", channels=[channel.name], group_wait=0, repeat_interval=0)
        store.create_route(conn, workspace_id=ws["id"], values=route.to_row())
    return {"workspace": ws, "brand": brand, "channel": row}


def _open_incident(engine: sa.Engine, world: dict[str, Any], database_url: str, author: str = "@alerte_conso") -> int:
    """A high-risk mention incident, opened as app.detect._open does, and routed: its page is in the outbox."""
    ws, brand, now = world["workspace"], world["brand"], utcnow()
    finding = Finding(
        kind="high_risk_mention",
        severity="critical",
        score=91,
        components=(
            Component("risk", 100, 70.0, "risk 100 from the scorer"),
            Component("reach", 200_000, 16.0, "author reach 200,000"),
            Component("crisis_terms", 2, 0.0, "intoxication alimentaire, rappel produit"),
        ),
        window_start=now - timedelta(minutes=1),
        window_end=now,
        mention_ids=(),
        facts={"author": author, "reach": 200_000, "risk": 100, "terms": ["intoxication alimentaire"]},
    )
    explanation = f"Mention à haut risque : {author} (200 000 abonnés) parle d'intoxication alimentaire chez Acme."
    values = {
        "workspace_id": ws["id"],
        "brand_id": brand["id"],
        "kind": "high_risk_mention",
        "dedup_key": f"brand:{brand['id']}:high_risk_mention:{author}",
        "status": "open",
        "severity": "critical",
        "score": 91,
        "peak_score": 91,
        "mention_count": 1,
        "explanation": explanation,
        "summary": {"recorded": finding_to_dict(finding), "score_history": [[now.isoformat(), 91]]},
        "window_start": finding.window_start,
        "window_end": now,
        "opened_at": now,
        "updated_at": now,
    }
    settings = Settings(_env_file=None, database_url=database_url, allow_private_urls=True)
    with writing(engine) as conn:
        incident_id = create_incident(conn, values=values)
        assert incident_id is not None
        add_event(conn, incident_id=incident_id, type="opened", at=now, severity="critical", score=91, actor="vigie")
        incident = get_incident(conn, workspace_id=ws["id"], incident_id=incident_id)
        assert route_incident(conn, workspace=ws, incident=incident, settings=settings, now=now) == 1
    return incident_id


def _deliveries(engine: sa.Engine) -> list[dict[str, Any]]:
    with reading(engine) as conn:
        return [dict(r) for r in conn.execute(sa.select(deliveries).order_by(deliveries.c.id)).mappings()]


def _attempts(engine: sa.Engine) -> list[dict[str, Any]]:
    with reading(engine) as conn:
        stmt = sa.select(delivery_attempts).order_by(delivery_attempts.c.id)
        return [dict(r) for r in conn.execute(stmt).mappings()]


def _all_delivered(engine: sa.Engine) -> bool:
    return all(d["status"] == "delivered" for d in _deliveries(engine))


def test_a_worker_killed_mid_delivery_loses_nothing_the_restart_sends_it_again_with_the_same_webhook_id(
    database_url, engine
) -> None:
    # The receiver sits on the first request (the worker dies while waiting), then answers at once.
    receiver = Receiver(hold=lambda n: 20.0 if n == 0 else 0.0)
    try:
        world = _world(engine, ChannelSpec(name="oncall-hook", kind="webhook", url=receiver.url("/vigie")))
        secret = world["channel"]["secrets"]["signing"][0]["secret"]
        _open_incident(engine, world, database_url)
        [queued] = _deliveries(engine)
        assert queued["status"] == "pending" and queued["event"] == "incident.opened"
        env = _alert_env(database_url)
        _migrate(env)

        with _processes((SERVE_ALERT, env)) as [doomed]:
            _wait_for(lambda: len(receiver.requests) >= 1, 20, "the first worker to send the page")
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait(timeout=10)
        [after_kill] = _deliveries(engine)
        assert after_kill["status"] == "pending" and after_kill["attempts"] == 0  # neither lost nor delivered
        assert after_kill["lease_owner"].endswith(f":{doomed.pid}:deliver")  # still leased to the dead worker
        assert receiver.answered() == []

        with _processes((SERVE_ALERT, env)) as [restarted]:
            _wait_for(lambda: _all_delivered(engine), 20, "the restarted worker to deliver the page")
            assert restarted.poll() is None
        first, again = receiver.requests  # sent once more, and only once
        assert again.answered_at is not None and again.status == 200
        assert again.headers["webhook-id"] == first.headers["webhook-id"] == queued["message_id"]
        assert again.body == first.body  # the same message; only the timestamp and signature are fresh
        Webhook(secret).verify(again.body, again.headers)
        assert again.json()["data"]["incident"]["brand"] == "Acme"
        [attempt] = _attempts(engine)  # the dead worker recorded nothing; the new one waited for its lease
        assert attempt["outcome"] == "delivered" and not attempt["worker"].endswith(f":{doomed.pid}:deliver")
        assert attempt["at"] >= after_kill["lease_until"]
    finally:
        receiver.close()


class Inbox:
    """An aiosmtpd handler keeping every envelope it accepts."""

    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.received.append(envelope)
        return "250 OK"


def test_an_email_page_reaches_a_real_smtp_server_and_parses(database_url, engine) -> None:
    inbox, port = Inbox(), _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="smtp.test")
    smtp.start()
    try:
        world = _world(engine, ChannelSpec(name="cm-mail", kind="email", to=["cm@example.com"]))
        incident_id = _open_incident(engine, world, database_url)
        env = _alert_env(
            database_url,
            VIGIE_SMTP_HOST="127.0.0.1",
            VIGIE_SMTP_PORT=str(port),
            VIGIE_SMTP_SECURITY="plain",
            VIGIE_SMTP_FROM="vigie@example.com",
        )
        _migrate(env)
        with _processes((SERVE_ALERT, env)):
            _wait_for(lambda: _all_delivered(engine), 45, "the e-mail page to be delivered")
    finally:
        smtp.stop()
    [envelope] = inbox.received
    assert envelope.mail_from == "vigie@example.com" and envelope.rcpt_tos == ["cm@example.com"]
    mail: EmailMessage = BytesParser(policy=default).parsebytes(envelope.original_content)  # type: ignore[assignment]
    subject = mail["Subject"]
    assert subject.startswith("[") and "Acme" in subject and "score" in subject, subject
    assert mail["To"] == "cm@example.com" and mail["X-Vigie-Incident"] == str(incident_id)
    assert mail["Message-ID"] and mail["Message-ID"].endswith("@vigie.local>")
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and html is not None
    assert "Acme" in plain.get_content() and "intoxication" in plain.get_content()
    assert "<html" in html.get_content().lower()


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_two_alert_processes_send_thirty_pages_each_exactly_once(database_url, engine) -> None:
    receiver = Receiver(delay=0.1)  # a little slow, so that both workers have pages in flight at once
    try:
        world = _world(engine, ChannelSpec(name="oncall-hook", kind="webhook", url=receiver.url("/vigie")))
        env = _alert_env(database_url)
        _migrate(env)
        ports = [_free_port(), _free_port()]
        # The API role is only there for /readyz: the pages are queued once both workers are up and ticking,
        # so that they compete for them from the first claim.
        commands = [([*VIGIE, "serve", "--roles", "alert,api", "--port", str(p)], env) for p in ports]
        with _processes(*commands) as procs:
            _wait_for(lambda: all(_ready(p) for p in ports), 30, "both processes to be ready")
            for n in range(30):
                _open_incident(engine, world, database_url, author=f"@relais_{n}")
            _wait_for(lambda: len(receiver.answered()) >= 30 and _all_delivered(engine), 30, "30 pages delivered")
            time.sleep(1.0)  # leave time for a wrongful second send to show up
            assert all(p.poll() is None for p in procs), "an alert process died"
        rows = _deliveries(engine)
        assert len(rows) == 30 and {d["status"] for d in rows} == {"delivered"}
        sent = Counter(r.headers["webhook-id"] for r in receiver.requests)
        assert set(sent) == {d["message_id"] for d in rows}  # every page received...
        assert max(sent.values()) == 1, [k for k, v in sent.items() if v > 1]  # ...exactly once
        workers = Counter(a["worker"] for a in _attempts(engine))
        assert len(workers) == 2, f"both processes should have taken part: {dict(workers)}"
    finally:
        receiver.close()


OUTAGE_SECONDS = 8.0
EVENTS = ["incident.opened", "incident.acknowledged", "incident.resolved"]


def test_a_receiver_down_for_a_while_gets_every_message_afterwards_in_order_per_incident(database_url, engine) -> None:
    """The guarantee "a webhook receiver that fails for 10 minutes then recovers gets every message afterwards,
    in order per incident, none lost", on a real alert process with the clocks scaled down: 10 minutes of
    outage against the default backoff (10 s doubling, with jitter, capped at 1 h; about 7 attempts fit in
    10 minutes) becomes 8 seconds of outage with VIGIE_DELIVERY_RETRY_BASE_SECONDS=0.2 and
    VIGIE_DELIVERY_RETRY_MAX_SECONDS=4, which gives the same number of retries in proportion (about 7), with
    the default 12 attempts before the dead letter. (A cap of 2 s would retry about 10 times in 8 s and
    dead-letter a page now and then: not the same guarantee.) Three incidents each have opened, acknowledged
    and resolved messages queued; the receiver answers 503 (every other one with Retry-After: 1) for 8 seconds
    from its first request, then 200."""
    started: list[float] = []

    def answer(n: int) -> tuple[int, dict[str, str]]:  # called under the receiver's lock
        started[:] = started or [time.monotonic()]
        if time.monotonic() - started[0] < OUTAGE_SECONDS:
            return 503, ({"retry-after": "1"} if n % 2 else {})
        return 200, {}

    receiver = Receiver(answer=answer)
    try:
        world = _world(engine, ChannelSpec(name="oncall-hook", kind="webhook", url=receiver.url("/vigie")))
        secret = world["channel"]["secrets"]["signing"][0]["secret"]
        brands = [world["brand"]]
        with writing(engine) as conn:
            for name in ("Bistro", "Cafés Martin"):
                values = BrandSpec(name=name, query=name.lower()).to_row()
                brands.append(create_brand(conn, workspace_id=world["workspace"]["id"], values=values))
        incident_ids = [_open_incident(engine, {**world, "brand": brand}, database_url) for brand in brands]
        settings = Settings(_env_file=None, database_url=database_url, allow_private_urls=True)
        for change in ("acknowledge", "resolve"):  # as POST /incidents/{id}/ack and /resolve do it
            for incident_id in incident_ids:
                with writing(engine) as conn:
                    now = utcnow()
                    incident = get_incident(conn, workspace_id=world["workspace"]["id"], incident_id=incident_id)
                    if change == "acknowledge":
                        incident = acknowledge(conn, incident=incident, actor="api", now=now)
                    else:
                        incident = resolve(conn, incident=incident, reason="handled", note=None, actor="api", now=now)
                    assert route_change(conn, incident=incident, settings=settings, now=now) == 1
        queued = _deliveries(engine)
        assert len(queued) == 9 and {d["status"] for d in queued} == {"pending"}
        for incident_id in incident_ids:
            assert [d["event"] for d in queued if d["incident_id"] == incident_id] == EVENTS
        env = _alert_env(database_url, VIGIE_DELIVERY_RETRY_BASE_SECONDS="0.2", VIGIE_DELIVERY_RETRY_MAX_SECONDS="4")
        _migrate(env)

        with _processes((SERVE_ALERT, env)) as [proc]:
            _wait_for(lambda: _all_delivered(engine), 60, "every message to be delivered after the outage")
            time.sleep(0.5)  # leave time for a wrongful second send to show up
            assert proc.poll() is None, "the alert process died"

        rows = _deliveries(engine)
        assert {d["status"] for d in rows} == {"delivered"}  # none lost (none dead-lettered)
        accepted = receiver.answered()
        sent = Counter(r.headers["webhook-id"] for r in accepted)
        assert set(sent) == {d["message_id"] for d in rows}  # every message got through...
        assert max(sent.values()) == 1, [k for k, v in sent.items() if v > 1]  # ...exactly once
        for request in accepted:
            Webhook(secret).verify(request.body, request.headers)
        by_incident: dict[int, list[str]] = {i: [] for i in incident_ids}
        for request in accepted:
            body = request.json()
            by_incident[body["data"]["incident"]["id"]].append(body["type"])
        assert by_incident == {i: EVENTS for i in incident_ids}  # in order, per incident
        tried: dict[int, list[str]] = {i: [] for i in incident_ids}  # every attempt, refused ones included
        for request in receiver.requests:
            body = request.json()
            types = tried[body["data"]["incident"]["id"]]
            if not types or types[-1] != body["type"]:
                types.append(body["type"])
        assert tried == {i: EVENTS for i in incident_ids}  # nothing later was even tried before its turn

        refused = [r for r in receiver.requests if r.status == 503]
        assert refused and max(r.received_at for r in refused) < min(r.received_at for r in accepted)
        assert min(r.received_at for r in accepted) - started[0] >= OUTAGE_SECONDS
        opened = {d["id"]: d for d in rows if d["event"] == "incident.opened"}
        assert {r.headers["webhook-id"] for r in refused} == {d["message_id"] for d in opened.values()}
        attempts = _attempts(engine)
        for delivery in rows:
            mine = [a for a in attempts if a["delivery_id"] == delivery["id"]]
            assert len(mine) == delivery["attempts"] and mine[-1]["outcome"] == "delivered"
            retries = mine[:-1]
            assert all(a["outcome"] == "retry" and a["status_code"] == 503 for a in retries)
            if delivery["id"] in opened:  # retried through the outage, short of the dead letter
                assert 3 <= len(retries) < 11, len(retries)
            else:  # queued behind its incident's earlier message: sent once, when its turn came
                assert retries == []
        assert len(refused) == sum(d["attempts"] - 1 for d in opened.values())
    finally:
        receiver.close()
