"""What is normal for a brand: its weekly rhythm in its own time zone, its clustered counts, its past
incidents left out, and sane answers when it has almost no history."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from alerts.detection import DetectionConfig, bucketize, build_baseline, build_profile, hour_of_week
from alerts.detection.baseline import poisson_log_cdf
from tests.alerts.detection.traffic import MONDAY, Traffic, office_rhythm

CONFIG = DetectionConfig()
PARIS = "Europe/Paris"


def history_of(traffic: Traffic, end: datetime, days: int = 28):
    return bucketize(traffic.points, start=end - timedelta(days=days), end=end, minutes=5)


def test_hour_of_week_is_local_time_and_follows_daylight_saving() -> None:
    assert hour_of_week(datetime(2025, 1, 6, 8, 30, tzinfo=UTC), PARIS) == 9  # Monday 09:30 in winter
    assert hour_of_week(datetime(2025, 7, 7, 7, 30, tzinfo=UTC), PARIS) == 9  # Monday 09:30 in summer
    assert hour_of_week(datetime(2025, 1, 5, 23, 30, tzinfo=UTC), PARIS) == 0  # Monday 00:30 in Paris
    assert hour_of_week(datetime(2025, 1, 5, 23, 30, tzinfo=UTC), "America/Montreal") == 6 * 24 + 18


def test_a_monday_nine_oclock_peak_is_normal_and_the_same_volume_on_sunday_night_is_not() -> None:
    traffic = Traffic()
    end = MONDAY + timedelta(days=28)
    traffic.background(MONDAY, end, 20, rhythm=office_rhythm(PARIS, weekend=0.3))
    profile = build_profile(history_of(traffic, end), tz=PARIS, excluded=[], config=CONFIG)
    monday_nine = profile.baseline(datetime(2025, 2, 3, 9, tzinfo=UTC), minutes=60)  # 09:00-10:00 Paris
    sunday_three = profile.baseline(datetime(2025, 2, 2, 3, tzinfo=UTC), minutes=60)  # 03:00-04:00 Paris

    assert monday_nine.expected_per_hour == pytest.approx(20 * 1.8, rel=0.3)
    assert sunday_three.expected_per_hour < 1.0  # 0.3 an hour, shrunk a little towards other weekend hours
    peak = monday_nine.expected_volume
    z_monday = (peak - monday_nine.expected_volume) / monday_nine.stddev()
    z_sunday = (peak - sunday_three.expected_volume) / sunday_three.stddev()
    assert z_monday == 0 and z_sunday > 10
    assert monday_nine.hour_of_week == 9 and sunday_three.hour_of_week == 6 * 24 + 3


def test_reposts_in_bursts_make_the_variance_larger_than_the_mean() -> None:
    end = MONDAY + timedelta(days=28)
    plain, clustered = Traffic(seed=2), Traffic(seed=2)
    rhythm = office_rhythm(PARIS)
    plain.background(MONDAY, end, 30, rhythm=rhythm)
    clustered.background(MONDAY, end, 30, rhythm=rhythm, reposts=1.0)  # a post and its repost, on average
    steady = build_profile(history_of(plain, end), tz=PARIS, excluded=[], config=CONFIG)
    bursty = build_profile(history_of(clustered, end), tz=PARIS, excluded=[], config=CONFIG)

    # φ = E[c²]/E[c] for cluster sizes c = 1 + Poisson(1): 2.5. Plain Poisson traffic: 1.
    assert steady.cluster_factor < 1.3 and 2.0 < bursty.cluster_factor < 3.0
    at = end + timedelta(hours=12)
    assert bursty.baseline(at, minutes=60).variance > 2 * steady.baseline(at, minutes=60).variance


def test_a_thin_history_gives_floors_not_certainty() -> None:
    traffic = Traffic()
    end = MONDAY + timedelta(days=28)
    traffic.mention(end - timedelta(days=3), negative=True)
    base = build_baseline(history_of(traffic, end), at=end, tz=PARIS, excluded=[], config=CONFIG, minutes=15)

    assert base.thin and base.evidence == 1
    assert base.expected_volume == pytest.approx(CONFIG.min_rate_per_hour / 4)
    assert base.variance == CONFIG.variance_floor  # one mention on a quiet brand is not a 10-sigma peak
    assert (1 - base.expected_volume) / base.stddev() < 1
    assert base.negative_share == pytest.approx(0.2, abs=0.05)  # the prior, barely moved by one complaint


def test_an_empty_history_still_answers() -> None:
    base = build_baseline([], at=MONDAY, tz=PARIS, excluded=[], config=CONFIG)
    assert base.thin and base.expected_volume > 0 and base.variance >= CONFIG.variance_floor


def test_a_past_incident_is_left_out_so_a_storm_never_becomes_the_new_normal() -> None:
    traffic = Traffic()
    end = MONDAY + timedelta(days=28)
    traffic.background(MONDAY, end, 10)
    storm_start = MONDAY + timedelta(days=20, hours=14)
    traffic.burst(storm_start, 240, 2_000, negative_share=0.8)
    history = history_of(traffic, end)
    with_storm = build_profile(history, tz=PARIS, excluded=[], config=CONFIG)
    without = build_profile(
        history, tz=PARIS, excluded=[(storm_start, storm_start + timedelta(hours=4))], config=CONFIG
    )

    assert without.negative_share == pytest.approx(0.2, abs=0.03)
    assert with_storm.negative_share > 0.3
    assert without.evidence < with_storm.evidence - 1_900
    assert max(without.negative_peaks.values()) < 10 < min(with_storm.negative_peaks.values())


def test_an_unmarked_past_launch_is_clipped_not_learnt() -> None:
    traffic = Traffic()
    end = MONDAY + timedelta(days=28)
    traffic.background(MONDAY, end, 10)
    launch = MONDAY + timedelta(days=14, hours=10)  # a Monday, 11:00 Paris
    traffic.burst(launch, 60, 600, negative_share=0.05)
    profile = build_profile(history_of(traffic, end), tz=PARIS, excluded=[], config=CONFIG)

    same_hour = profile.baseline(launch + timedelta(days=14, hours=1), minutes=60)
    assert same_hour.expected_volume < 25  # 10 an hour, not (3 × 10 + 600) / 4
    assert profile.cluster_factor < 3


def test_expected_counts_over_windows_agree_however_they_are_asked() -> None:
    traffic = Traffic()
    end = MONDAY + timedelta(days=28)
    traffic.background(MONDAY, end, 12, rhythm=office_rhythm("Asia/Kolkata"))  # a half-hour offset
    profile = build_profile(history_of(traffic, end), tz="Asia/Kolkata", excluded=[], config=CONFIG)
    now = end + timedelta(hours=30, minutes=7)
    windows = profile.expected_windows(now, [15, 60, 180, 4320])
    for minutes, expected in windows.items():
        assert expected == pytest.approx(profile.expected_between(now - timedelta(minutes=minutes), now))


@pytest.mark.parametrize(("observed", "mean"), [(0, 3.0), (2, 3.0), (5, 0.5), (0, 800.0), (12, 40.0)])
def test_poisson_tail_matches_the_formula_and_does_not_underflow(observed: int, mean: float) -> None:
    direct = sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(observed + 1))
    if direct > 0:
        assert math.exp(poisson_log_cdf(observed, mean)) == pytest.approx(direct, rel=1e-9)
    else:
        assert poisson_log_cdf(observed, mean) == pytest.approx(-mean)
