"""A dead collector must not look like a calm day, nor a calm day like a dead collector."""

from __future__ import annotations

from datetime import timedelta

from alerts.detection import DetectionConfig, bucketize, build_profile, detect_silence
from alerts.detection.silence import detect_silences, window_counts
from tests.alerts.detection.traffic import MONDAY, Traffic, office_rhythm

CONFIG = DetectionConfig()
PARIS = "Europe/Paris"
NOW = MONDAY + timedelta(days=29, hours=16)  # a Tuesday, 17:00 in Paris
SPLIT = NOW - timedelta(minutes=CONFIG.baseline_gap_minutes)


def brand_traffic(*, quiet_source_since=None, factor_since=None, factor=1.0, per_hour=60.0) -> Traffic:
    """Four weeks and a day of a brand on two sources (70 % / 30 %), then what happens since a moment."""
    traffic = Traffic(seed=5)
    rhythm = office_rhythm(PARIS)
    change = quiet_source_since or factor_since or NOW
    traffic.background(MONDAY, change, per_hour, rhythm=rhythm, sources=(1, 1, 1, 1, 1, 1, 1, 2, 2, 2))
    after = traffic.background(change, NOW, per_hour * factor, rhythm=rhythm, sources=(1, 1, 1, 1, 1, 1, 1, 2, 2, 2))
    if quiet_source_since:
        traffic.points = [p for p in traffic.points if not (p in after and p.source_id == 2)]
    return traffic


def silences(traffic: Traffic):
    history = bucketize(traffic.points, start=SPLIT - timedelta(days=28), end=SPLIT, minutes=5)
    recent = bucketize(traffic.points, start=SPLIT, end=NOW, minutes=5)
    profile = build_profile(history, tz=PARIS, excluded=[], config=CONFIG)
    return detect_silences(history, recent, profile, CONFIG, now=NOW)


def test_a_dead_collector_is_a_silence_of_its_source() -> None:
    (found,) = silences(brand_traffic(quiet_source_since=NOW - timedelta(hours=3)))

    assert found.kind == "silence" and found.severity == "warning" and found.subject == "source:2"
    assert found.facts["observed"] == 0 and found.facts["expected"] > 20 and found.facts["others"] > 50
    assert found.dedup_key(3) == "brand:3:silence:source:2"


def test_a_calm_day_is_not_a_silence() -> None:
    assert silences(brand_traffic(factor_since=NOW - timedelta(hours=16), factor=0.35)) == []


def test_a_brand_gone_silent_is_one_finding_not_one_per_source() -> None:
    (found,) = silences(brand_traffic(factor_since=NOW - timedelta(hours=4), factor=0.0))
    assert found.subject == "brand" and found.facts["observed"] == 0


def test_an_ordinary_day_is_not_a_silence() -> None:
    assert silences(brand_traffic()) == []


def test_a_hole_in_stale_cached_history_is_not_read_as_silence() -> None:
    traffic = brand_traffic()
    history = bucketize(traffic.points, start=SPLIT - timedelta(days=28), end=SPLIT - timedelta(hours=6), minutes=5)
    recent = bucketize(traffic.points, start=SPLIT, end=NOW, minutes=5)
    counts = window_counts(history, recent, NOW, CONFIG.silence_windows_minutes)
    assert max(counts) <= CONFIG.baseline_gap_minutes  # only what the recent buckets cover


def test_a_quiet_brand_is_never_silent_for_a_few_hours() -> None:
    traffic = Traffic()
    traffic.background(MONDAY, SPLIT - timedelta(hours=12), 0.2, rhythm=office_rhythm(PARIS))
    assert silences(traffic) == []


def test_silence_needs_both_few_mentions_and_a_small_probability() -> None:
    from alerts.detection import Baseline

    base = Baseline(expected_volume=100, variance=300, negative_share=0.2, evidence=10_000, window_minutes=120,
                    cluster_factor=2.0)  # fmt: skip
    assert detect_silence(0, base, CONFIG, scope="brand", now=NOW) is not None
    assert detect_silence(25, base, CONFIG, scope="brand", now=NOW) is None  # a calm stretch
    small = Baseline(expected_volume=6, variance=12, negative_share=0.2, evidence=100, cluster_factor=2.0)
    assert detect_silence(0, small, CONFIG, scope="brand", now=NOW) is None  # a quiet brand's normal gap
