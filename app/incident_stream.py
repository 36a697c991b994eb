"""The live alert stream's rules, as pure functions: how far a stream may read the timeline, and how an incident
event is written as a Server-Sent Event.

A stream reads `incident_events` in id order and sends each event's id as the SSE id, so that `Last-Event-ID`
resumes exactly, after a restart or on another API replica. One catch: on PostgreSQL ids come from a sequence
taken when a row is inserted, so transactions can commit out of order: a reader may see id 12 while id 11 is
still in flight. Sending 12 would make the client resume after 12 and lose 11 for good. So a stream only moves
past a missing id (a gap) once the gap is *settled*: every transaction that was running when the gap was first
seen has ended (the snapshot's `xmin` has passed the `xmax` noted then), so the id is either visible now or will
never be (rolled back, or deleted with its brand). That waits exactly as long as the writers, not a guessed lag;
`MAX_GAP_WAIT` only bounds the wait when an unrelated long transaction holds `xmin` back. On SQLite writers are
serial and a visible id means every lower one has committed: gaps there are deletions, settled at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Seconds after which a gap is passed even though a transaction older than it still runs (one left open by an
# unrelated client holds `xmin` back); Vigie's own transactions that write incident events last well under this.
MAX_GAP_WAIT = 30.0
RETRY_MS = 3000  # how long an EventSource waits before reconnecting
HEARTBEAT = ": heartbeat\n\n"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """PostgreSQL's view of running transactions when ids were read: `xmin` the oldest still running,
    `xmax` the next to start (pg_snapshot_xmin / pg_snapshot_xmax)."""

    xmin: int
    xmax: int


@dataclass(slots=True)
class StreamCursor:
    """Where a stream stands: every event id up to `horizon` is settled (sent, filtered out, or known never to
    commit); `gaps` maps the first id of each missing run above it to (the `xmax` when first seen, that time)."""

    horizon: int
    gaps: dict[int, tuple[int, float]] = field(default_factory=dict)


def advance(cursor: StreamCursor, ids: list[int], snapshot: Snapshot | None, now: float) -> int:
    """Move the cursor over the committed ids read above its horizon (ascending), stopping before the first gap
    that is not settled yet; returns the new horizon. `snapshot` is None where gaps cannot be in flight (SQLite)."""
    expected = cursor.horizon + 1
    blocked = False
    for event_id in ids:
        if event_id > expected and not _gap_settled(cursor, expected, snapshot, now):
            blocked = True  # later gaps are noted all the same, so that they age in parallel
        if not blocked:
            cursor.horizon = event_id
        expected = event_id + 1
    cursor.gaps = {start: seen for start, seen in cursor.gaps.items() if start > cursor.horizon}
    return cursor.horizon


def _gap_settled(cursor: StreamCursor, start: int, snapshot: Snapshot | None, now: float) -> bool:
    if snapshot is None:
        return True
    marker, first_seen = cursor.gaps.setdefault(start, (snapshot.xmax, now))
    return marker <= snapshot.xmin or now - first_seen >= MAX_GAP_WAIT


def severities_from(minimum: str | None) -> tuple[str, ...] | None:
    """The severities a `severity=` filter lets through: that one and the higher ones (None: all)."""
    order = ("info", "warning", "critical")
    return None if minimum is None else order[order.index(minimum) :]


def sse_event(row: dict[str, Any], *, public_url: str) -> str:
    """One incident event as a Server-Sent Event: its id, `incident.<type>`, and the event with the incident
    (as it is now) in JSON."""
    data = {
        "id": row["id"],
        "at": _iso(row["at"]),
        "type": row["type"],
        "severity": row["severity"],
        "score": row["score"],
        "actor": row["actor"],
        "incident": {
            "id": row["incident_id"],
            "brand_id": row["brand_id"],
            "brand_name": row["brand_name"],
            "kind": row["kind"],
            "status": row["incident_status"],
            "severity": row["incident_severity"],
            "score": row["incident_score"],
            "explanation": row["explanation"],
            "url": f"{public_url.rstrip('/')}/api/v1/incidents/{row['incident_id']}",
        },
    }
    # json.dumps escapes newlines, so the data is one `data:` line whatever the explanation holds.
    return f"id: {row['id']}\nevent: incident.{row['type']}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
