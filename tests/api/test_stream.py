"""The live alert stream (Server-Sent Events) against real `vigie serve --roles api` processes, on SQLite and
PostgreSQL: a CM's dashboard sees incidents change as they happen, and picks up exactly where it left off after
the API restarts."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app import incidents as actions
from app.db import writing
from app.db.schema import utcnow
from app.specs import BrandSpec
from app.storage.apikeys import revoke_api_key
from app.storage.brands import create_brand
from app.storage.incidents import add_event, create_incident, get_incident
from app.storage.workspaces import ensure_workspace
from tests.api.conftest import bearer, make_key
from tests.test_processes import ADMIN_KEY, VIGIE, _env, _free_port, _processes, _wait_for

STREAM = "/api/v1/incidents/stream"


@contextmanager
def _serve(database_url: str, **env: str) -> Iterator[str]:
    """A real API process on a free port; yields its base URL."""
    port = _free_port()
    extra = {"VIGIE_SSE_POLL_SECONDS": "0.1", **env}
    with _processes(([*VIGIE, "serve", "--roles", "api", "--port", str(port)], _env(database_url, **extra))) as [p]:
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert p.poll() is None, p.stdout.read().decode() if p.stdout else "serve exited"
            try:
                return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        _wait_for(ready, 20, "the API process to be ready")
        yield base


class Stream:
    """An SSE client reading in a thread: `take` returns the next events (comments with `comments=True`)."""

    def __init__(self, url: str, key: str = ADMIN_KEY, **headers: str):
        self.items: queue.Queue[dict[str, Any]] = queue.Queue()
        self.client = httpx.Client(timeout=httpx.Timeout(5, read=None), headers={**bearer(key), **headers})
        self.response = self.client.send(self.client.build_request("GET", url), stream=True)
        assert self.response.status_code == 200, self.response.read()
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self._next(5) == {"retry": "3000"}  # the stream has started: what happens from now on is sent

    def _read(self) -> None:
        block: dict[str, Any] = {}
        try:
            for line in self.response.iter_lines():
                if line == "":
                    if block:
                        self.items.put(block)
                    block = {}
                elif line.startswith(":"):
                    self.items.put({"comment": line[1:].strip()})
                else:
                    name, _, value = line.partition(":")
                    block[name] = value.removeprefix(" ")
        except Exception:  # noqa: BLE001 - closed by the test
            return
        self.items.put({"closed": True})  # the server ended the stream

    def _next(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self.items.get(timeout=timeout)
        except queue.Empty:
            return None

    def take(self, n: int, timeout: float = 5, comments: bool = False) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(got) < n and (item := self._next(max(0.01, deadline - time.monotonic()))) is not None:
            if "comment" in item and not comments:
                continue
            got.append({**item, "data": json.loads(item["data"])} if "data" in item else item)
        return got

    def close(self) -> None:
        # Shut the socket down first: closing the response from this thread alone leaves the reading thread
        # blocked in recv() (and the connection open) until the server writes again.
        self.response.extensions["network_stream"].get_extra_info("socket").shutdown(socket.SHUT_RDWR)
        self.thread.join(timeout=5)
        self.response.close()
        self.client.close()


@contextmanager
def _stream(url: str, key: str = ADMIN_KEY, **headers: str) -> Iterator[Stream]:
    s = Stream(url, key, **headers)
    try:
        yield s
    finally:
        s.close()


def _brand(engine: sa.Engine, name: str, workspace: str = "default") -> int:
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name=workspace)
        values = BrandSpec(name=name, query=name.lower()).to_row()
        return create_brand(conn, workspace_id=ws["id"], values=values)["id"]


def _open(engine: sa.Engine, brand_id: int, *, severity: str = "critical", kind: str = "storm") -> tuple[int, int]:
    """Detection opens an incident: returns (incident id, event id)."""
    now = utcnow()
    with writing(engine) as conn:
        workspace_id = conn.execute(sa.text("SELECT workspace_id FROM brands WHERE id = :b"), {"b": brand_id}).scalar()
        incident_id = create_incident(conn, values=_values(workspace_id, brand_id, severity, kind, now))
        add_event(conn, incident_id=incident_id, type="opened", at=now, severity=severity, score=87, actor="vigie")
        event_id = conn.execute(sa.text("SELECT max(id) FROM incident_events")).scalar()
    return incident_id, event_id


def _values(workspace_id: int, brand_id: int, severity: str, kind: str, now: datetime) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "brand_id": brand_id,
        "kind": kind,
        "dedup_key": f"{kind}:{brand_id}:{now.timestamp()}",
        "status": "open",
        "severity": severity,
        "score": 87,
        "peak_score": 87,
        "peak_rate": 340.0,
        "explanation": "Score 87 — 340 mentions/h vs 25 expected",
        "summary": {"score": 87},
        "window_start": now,
        "window_end": now,
        "opened_at": now,
        "updated_at": now,
    }


def _ack(engine: sa.Engine, incident_id: int, actor: str = "cm:lea") -> None:
    with writing(engine) as conn:
        incident = get_incident(conn, workspace_id=1, incident_id=incident_id)
        actions.acknowledge(conn, incident=incident, actor=actor, now=utcnow())


def test_a_dashboard_sees_incidents_open_and_get_acknowledged_as_it_happens(database_url, engine) -> None:
    brand = _brand(engine, "SNCF")
    with _serve(database_url) as api, _stream(api + STREAM) as stream:
        incident, opened_id = _open(engine, brand)
        [opened] = stream.take(1)
        assert opened["id"] == str(opened_id) and opened["event"] == "incident.opened"
        data = opened["data"]
        assert datetime.fromisoformat(data["at"]).tzinfo is not None
        assert {k: data[k] for k in ("id", "type", "severity", "score", "actor")} == {
            "id": opened_id,
            "type": "opened",
            "severity": "critical",
            "score": 87,
            "actor": "vigie",
        }
        assert data["incident"] == {
            "id": incident,
            "brand_id": brand,
            "brand_name": "SNCF",
            "kind": "storm",
            "status": "open",
            "severity": "critical",
            "score": 87,
            "explanation": "Score 87 — 340 mentions/h vs 25 expected",
            "url": f"http://127.0.0.1:8000/api/v1/incidents/{incident}",
        }
        acked = httpx.post(f"{api}/api/v1/incidents/{incident}/ack", headers=bearer(ADMIN_KEY), timeout=5)
        assert acked.status_code == 200
        [ack] = stream.take(1)
        assert ack["event"] == "incident.acknowledged" and int(ack["id"]) > opened_id
        assert ack["data"]["actor"].startswith("api:") and ack["data"]["incident"]["status"] == "acknowledged"
        # /incidents/{id} did not capture /incidents/stream, and the one incident route still answers.
        assert httpx.get(f"{api}/api/v1/incidents/{incident}", headers=bearer(ADMIN_KEY)).json()["id"] == incident


def test_after_a_restart_the_dashboard_resumes_with_exactly_the_events_it_missed(database_url, engine) -> None:
    brand = _brand(engine, "SNCF")
    with _serve(database_url) as api, _stream(api + STREAM) as stream:
        first, _ = _open(engine, brand)
        second, _ = _open(engine, brand, severity="warning")
        seen = stream.take(2)
        assert [e["data"]["incident"]["id"] for e in seen] == [first, second]
    # The API is down: detection and people go on.
    third, _ = _open(engine, brand)
    _ack(engine, first)
    _ack(engine, second, actor="cm:hugo")
    with writing(engine) as conn:
        missed = conn.execute(
            sa.text("SELECT id, type FROM incident_events WHERE id > :i ORDER BY id"), {"i": int(seen[-1]["id"])}
        ).all()
    assert len(missed) == 3
    with _serve(database_url) as api:  # a new process, on another port: nothing of the old one survives
        with _stream(api + STREAM, **{"Last-Event-ID": seen[-1]["id"]}) as resumed:
            got = resumed.take(3)
            assert [(int(e["id"]), e["event"]) for e in got] == [(i, f"incident.{t}") for i, t in missed]
            assert [e["data"]["actor"] for e in got] == ["vigie", "cm:lea", "cm:hugo"]
            assert resumed.take(1, timeout=1) == []  # nothing twice
            later, later_id = _open(engine, brand)
            [live] = resumed.take(1)  # and it goes on live
            assert int(live["id"]) == later_id and live["data"]["incident"]["id"] == later
        # A browser without the header may pass the id in the query.
        with _stream(f"{api}{STREAM}?last_event_id={seen[-1]['id']}") as by_query:
            assert [int(e["id"]) for e in by_query.take(4)] == [i for i, _ in missed] + [later_id]


def test_filters_by_brand_minimum_severity_and_kind(database_url, engine) -> None:
    sncf, ouigo = _brand(engine, "SNCF"), _brand(engine, "Ouigo")
    with (
        _serve(database_url) as api,
        _stream(f"{api}{STREAM}?brand={sncf}&severity=warning") as sncf_warning,
        _stream(f"{api}{STREAM}?kind=silence") as silences,
    ):
        ids = {
            (b, s, k): _open(engine, b, severity=s, kind=k)[1]
            for b, s, k in [
                (sncf, "info", "storm"),
                (sncf, "warning", "storm"),
                (ouigo, "critical", "storm"),
                (sncf, "critical", "high_risk_mention"),
                (ouigo, "warning", "silence"),
            ]
        }
        assert [int(e["id"]) for e in sncf_warning.take(2)] == [
            ids[(sncf, "warning", "storm")],
            ids[(sncf, "critical", "high_risk_mention")],
        ]
        assert [int(e["id"]) for e in silences.take(1)] == [ids[(ouigo, "warning", "silence")]]
        assert sncf_warning.take(1, timeout=0.5) == [] and silences.take(1, timeout=0.1) == []
        unknown = httpx.get(f"{api}{STREAM}?brand=999", headers=bearer(ADMIN_KEY), timeout=5)
        assert unknown.status_code == 404


def test_another_workspace_never_sees_these_events(database_url, engine) -> None:
    sncf, theirs = _brand(engine, "SNCF"), _brand(engine, "Carrefour", workspace="agency-client")
    their_key = make_key(engine, workspace="agency-client", scope="read", name="wall")
    with _serve(database_url) as api, _stream(api + STREAM, key=their_key) as other, _stream(api + STREAM) as ours:
        _open(engine, sncf)
        _, their_event = _open(engine, theirs)
        [only] = other.take(5, timeout=2)
        assert int(only["id"]) == their_event and only["data"]["incident"]["brand_name"] == "Carrefour"
        assert [e["data"]["incident"]["brand_name"] for e in ours.take(5, timeout=1)] == ["SNCF"]
        # Resuming from before our events does not show them to the other workspace either.
        with _stream(api + STREAM, key=their_key, **{"Last-Event-ID": "0"}) as replay:
            assert [int(e["id"]) for e in replay.take(5, timeout=1)] == [their_event]
        # Their key is revoked: their open stream ends at once.
        with writing(engine) as conn:
            key_id = conn.execute(sa.text("SELECT id FROM api_keys WHERE name = 'wall'")).scalar_one()
            revoke_api_key(conn, key_id=key_id, now=utcnow())
        assert other.take(1, timeout=2) == [{"closed": True}]
        assert ours.take(1, timeout=0.5) == []  # ours goes on


def test_an_idle_stream_sends_heartbeats(database_url) -> None:
    with _serve(database_url, VIGIE_SSE_HEARTBEAT_SECONDS="1") as api, _stream(api + STREAM) as stream:
        beats = stream.take(2, timeout=3.5, comments=True)
        assert beats == [{"comment": "heartbeat"}, {"comment": "heartbeat"}]


def test_the_stream_needs_a_key_and_a_valid_resume_point(database_url) -> None:
    with _serve(database_url) as api:
        assert httpx.get(api + STREAM, timeout=5).status_code == 401
        bad = httpx.get(api + STREAM, headers={**bearer(ADMIN_KEY), "Last-Event-ID": "abc"}, timeout=5)
        assert bad.status_code == 422 and "Last-Event-ID" in bad.json()["detail"]
        paths = httpx.get(api + "/openapi.json", timeout=5).json()["paths"]
        assert "text/event-stream" in paths[STREAM]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite writers are serial: ids commit in order
def test_an_event_committed_late_is_sent_before_later_ones_never_skipped(database_url, engine) -> None:
    """On PostgreSQL a transaction holding id N can commit after one holding N+1: the stream waits for N."""
    brand = _brand(engine, "SNCF")
    with _serve(database_url) as api, _stream(api + STREAM) as stream:
        with engine.connect() as slow:
            slow_tx = slow.begin()
            slow_incident = create_incident(slow, values=_values(1, brand, "critical", "storm", utcnow()))
            add_event(
                slow,
                incident_id=slow_incident,
                type="opened",
                at=utcnow(),
                severity="critical",
                score=87,
                actor="vigie",
            )
            _, fast_event = _open(engine, brand)  # id N+1, committed first
            assert stream.take(1, timeout=1.5) == []  # N+1 is held back while N may still commit
            slow_tx.commit()
        got = stream.take(2)
        assert [int(e["id"]) for e in got] == [fast_event - 1, fast_event]
        assert got[0]["data"]["incident"]["id"] == slow_incident


def test_a_stream_whose_client_left_ends_at_once_and_lets_the_api_stop(database_url) -> None:
    """No heartbeat for 15 s: only the server's own disconnect check can end the stream that soon (uvicorn
    waits for open responses before it exits)."""
    with _serve(database_url) as api:
        with _stream(api + STREAM):
            pass
        started = time.monotonic()
    assert time.monotonic() - started < 5
