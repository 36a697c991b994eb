"""How far a stream may read the incident timeline: never past an id that may still commit (pure rules)."""

from __future__ import annotations

from app.incident_stream import MAX_GAP_WAIT, Snapshot, StreamCursor, advance, severities_from, sse_event


def test_without_gaps_the_stream_reads_every_committed_id() -> None:
    cursor = StreamCursor(horizon=10)
    assert advance(cursor, [11, 12, 13], Snapshot(xmin=500, xmax=503), now=0) == 13
    assert advance(cursor, [], None, now=1) == 13


def test_an_id_still_in_flight_holds_back_the_later_ones_until_its_writer_ends() -> None:
    cursor = StreamCursor(horizon=10)
    # 11 is missing while transactions 500..502 run: 12 and 13 wait.
    assert advance(cursor, [12, 13], Snapshot(xmin=500, xmax=503), now=0) == 10
    assert advance(cursor, [12, 13], Snapshot(xmin=501, xmax=504), now=1) == 10  # 500 ended, 501 and 502 run
    assert advance(cursor, [11, 12, 13], Snapshot(xmin=502, xmax=505), now=2) == 13  # 11 committed: in order


def test_a_gap_whose_writers_all_ended_is_a_rollback_or_a_deletion_and_is_passed() -> None:
    cursor = StreamCursor(horizon=10)
    assert advance(cursor, [12], Snapshot(xmin=500, xmax=503), now=0) == 10
    assert advance(cursor, [12, 14], Snapshot(xmin=503, xmax=506), now=1) == 12  # 13 seen now: it waits in turn
    assert advance(cursor, [14], Snapshot(xmin=506, xmax=506), now=2) == 14
    assert cursor.gaps == {}


def test_an_idle_database_settles_a_gap_at_once_and_sqlite_gaps_are_never_in_flight() -> None:
    assert advance(StreamCursor(horizon=10), [12], Snapshot(xmin=700, xmax=700), now=0) == 12
    assert advance(StreamCursor(horizon=10), [12, 15], None, now=0) == 15


def test_a_transaction_left_open_elsewhere_delays_a_gap_at_most_max_gap_wait() -> None:
    cursor = StreamCursor(horizon=10)
    assert advance(cursor, [12], Snapshot(xmin=100, xmax=503), now=0) == 10
    assert advance(cursor, [12], Snapshot(xmin=100, xmax=900), now=MAX_GAP_WAIT - 1) == 10
    assert advance(cursor, [12], Snapshot(xmin=100, xmax=950), now=MAX_GAP_WAIT) == 12


def test_severity_is_a_minimum() -> None:
    assert severities_from("warning") == ("warning", "critical")
    assert severities_from("info") == ("info", "warning", "critical") and severities_from(None) is None


def test_an_event_is_one_sse_block_even_with_a_multiline_explanation() -> None:
    from datetime import UTC, datetime

    row = {
        "id": 42, "at": datetime(2026, 11, 22, 21, 0, tzinfo=UTC), "type": "escalated", "severity": "critical",
        "score": 91, "actor": "vigie", "incident_id": 7, "brand_id": 3, "brand_name": "SNCF", "kind": "storm",
        "incident_status": "open", "incident_severity": "critical", "incident_score": 91,
        "explanation": "Score 91\nretards à Lyon",
    }  # fmt: skip
    block = sse_event(row, public_url="https://vigie.example.fr/")
    assert block.startswith("id: 42\nevent: incident.escalated\ndata: {")
    assert block.endswith("}\n\n") and block.count("\n") == 4
    assert '"at": "2026-11-22T21:00:00Z"' in block and "https://vigie.example.fr/api/v1/incidents/7" in block
