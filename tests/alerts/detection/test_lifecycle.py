"""One storm, one incident: it opens once, grows when it gets worse, survives a dip, and resolves only
after calm evaluations in a row under a lower threshold than the one that opened it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerts.detection import DetectionConfig, assess
from alerts.detection.findings import Finding

CONFIG = DetectionConfig()
AT = datetime(2025, 3, 4, 13, tzinfo=UTC)


def storm(score: int, severity: str = "info") -> Finding:
    return Finding("storm", severity, score, (), AT, AT, ())


def test_nothing_then_a_finding_under_the_open_score_opens_nothing() -> None:
    assert assess(None, None, calm_streak=0, config=CONFIG).action == "none"
    assert assess(None, storm(CONFIG.open_score - 1), calm_streak=0, config=CONFIG).action == "none"


def test_a_storm_opens_then_grows_then_continues() -> None:
    opened = assess(None, storm(52, "warning"), calm_streak=0, config=CONFIG)
    assert (opened.action, opened.notify, opened.record.score) == ("open", True, 52)

    worse = assess(opened.record, storm(75, "critical"), calm_streak=0, config=CONFIG)
    assert (worse.action, worse.notify, worse.record.score) == ("grow", True, 75)

    higher = assess(worse.record, storm(75 + CONFIG.grow_points, "critical"), calm_streak=0, config=CONFIG)
    assert higher.action == "grow"

    same = assess(worse.record, storm(80, "critical"), calm_streak=0, config=CONFIG)
    assert (same.action, same.notify, same.record.score) == ("continue", False, 75)


def test_a_storm_that_climbs_slowly_still_grows_against_its_recorded_peak() -> None:
    record = assess(None, storm(46, "warning"), calm_streak=0, config=CONFIG).record
    for score in (50, 55, 60):
        verdict = assess(record, storm(score, "warning"), calm_streak=0, config=CONFIG)
        assert verdict.action == "continue"
        record = verdict.record
    assert assess(record, storm(61, "warning"), calm_streak=0, config=CONFIG).action == "grow"


def test_hysteresis_a_dip_does_not_resolve_and_a_simmer_is_not_calm() -> None:
    record = storm(60, "warning")
    dip = assess(record, None, calm_streak=0, config=CONFIG)
    assert (dip.action, dip.calm_streak) == ("calm", 1)
    back = assess(record, storm(55, "warning"), calm_streak=dip.calm_streak, config=CONFIG)
    assert (back.action, back.calm_streak) == ("continue", 0)
    simmer = assess(record, storm(CONFIG.info_score, "info"), calm_streak=3, config=CONFIG)
    assert (simmer.action, simmer.calm_streak) == ("continue", 0)  # above the calm threshold, below opening


def test_it_resolves_after_enough_calm_evaluations_in_a_row() -> None:
    record, streak = storm(60, "warning"), 0
    for _ in range(CONFIG.resolve_after - 1):
        verdict = assess(record, None, calm_streak=streak, config=CONFIG)
        assert verdict.action == "calm" and not verdict.notify
        streak = verdict.calm_streak
    final = assess(record, None, calm_streak=streak, config=CONFIG)
    assert (final.action, final.notify) == ("resolve", True)


@pytest.mark.parametrize("kind", ["storm", "high_risk_mention", "silence"])
def test_dedup_keys_are_stable_per_brand_and_kind(kind: str) -> None:
    subject = "source:4" if kind == "silence" else ""
    finding = Finding(kind, "warning", 50, (), AT, AT, (), {}, subject)
    again = Finding(kind, "critical", 90, (), AT, AT, (9,), {"x": 1}, subject)
    assert finding.dedup_key(12) == again.dedup_key(12) != finding.dedup_key(13)
    assert finding.dedup_key(12).startswith(f"brand:12:{kind}")
