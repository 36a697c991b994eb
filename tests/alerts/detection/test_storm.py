"""The storm score: each component visible, volume alone capped at info (a launch, a contest, good press),
a French complaint storm paging, and the rules that keep one angry post and its reposts at info."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from alerts.detection import Baseline, DetectionConfig, bucketize, detect_storm, for_brand
from tests.alerts.detection.traffic import MONDAY, Traffic

CONFIG = DetectionConfig()
NOW = MONDAY + timedelta(days=28, hours=14)  # a Monday, 15:00 in Paris
PARIS = "Europe/Paris"


def baseline(per_hour: float, minutes: int = 15, **changes) -> Baseline:
    """A settled brand: `per_hour` mentions usually, 20 % negative, clusters of about two."""
    mean = per_hour * minutes / 60
    values = dict(expected_volume=mean, variance=max(2 * mean + 0.05 * mean * mean, 1.5), negative_share=0.2,
                  evidence=5_000, window_minutes=minutes, dispersion=0.05, cluster_factor=2.0, crisis_share=0.02,
                  big_negative_share=0.002, negative_peak=max(3.0, 0.2 * mean), hour_of_week=14)  # fmt: skip
    return Baseline(**{**values, **changes})


def recent(traffic: Traffic, minutes: int = 180):
    return bucketize(traffic.points, start=NOW - timedelta(minutes=minutes), end=NOW, minutes=5)


def usual_traffic(per_hour: float, seed: int = 1) -> Traffic:
    traffic = Traffic(seed=seed)
    traffic.background(NOW - timedelta(hours=3), NOW, per_hour)
    return traffic


def components(finding) -> dict[str, float]:
    return {c.name: round(c.contribution, 1) for c in finding.components}


def test_a_french_complaint_storm_is_critical_with_every_reason_visible() -> None:
    traffic = usual_traffic(25)
    traffic.burst(NOW - timedelta(minutes=15), 15, 85, negative_share=0.7, terms=("remboursement", "arnaque"),
                  terms_share=0.4)  # fmt: skip
    traffic.mention(NOW - timedelta(minutes=3), negative=True, reach=250_000, author="@journaliste")
    found = detect_storm(recent(traffic), baseline(25), CONFIG, now=NOW, tz=PARIS)

    assert found is not None and found.kind == "storm" and found.severity == "critical"
    parts = components(found)
    assert parts["volume"] == 25 and parts["negative_share"] == 35 and parts["crisis_terms"] == 20
    assert parts["reach"] > 0 and found.score == min(100, round(sum(parts.values())))
    facts = found.facts
    assert facts["rate_per_hour"] >= 300 and facts["expected_per_hour"] == pytest.approx(25)
    assert facts["negative_share"] > 0.6 and facts["usual_negative_share"] == 0.2
    assert dict(facts["top_terms"]).keys() == {"remboursement", "arnaque"}
    assert ["@journaliste", 250_000] in facts["big_authors"]
    assert found.window_start == NOW - timedelta(minutes=15) and found.window_end == NOW


@pytest.mark.parametrize(
    ("spike", "negative_share"),
    [("product launch", 0.2), ("contest", 0.03), ("good press", 0.05)],
)
def test_volume_alone_never_goes_above_info(spike: str, negative_share: float) -> None:
    traffic = usual_traffic(25)
    traffic.burst(NOW - timedelta(minutes=60), 60, 500, negative_share=negative_share, reach=80_000)  # ×20
    for minutes in (15, 60, 180):
        found = detect_storm(recent(traffic), baseline(25, minutes), CONFIG, now=NOW, tz=PARIS)
        assert found is not None, spike
        assert found.severity == "info" and found.facts["gate"] == "volume_only", (spike, minutes)
        assert components(found)["volume"] == 25


def test_the_score_bands_cannot_let_volume_and_velocity_alone_page() -> None:
    with pytest.raises(ValueError, match="volume and velocity"):
        DetectionConfig(weight_volume=30, weight_velocity=20)


def test_an_ordinary_hour_is_not_a_finding() -> None:
    traffic = usual_traffic(25, seed=3)
    assert detect_storm(recent(traffic), baseline(25, 60), CONFIG, now=NOW, tz=PARIS) is None


def test_one_angry_post_and_its_reposts_on_a_quiet_brand_stay_at_info() -> None:
    traffic = Traffic()
    traffic.burst(NOW - timedelta(minutes=12), 10, 5, negative_share=1.0, terms=("honteux",), terms_share=1.0)
    found = detect_storm(recent(traffic), baseline(0.2), CONFIG, now=NOW, tz=PARIS)

    assert found is None or found.severity == "info"


def test_a_burst_of_complaints_amid_a_cheerful_launch_hour_stays_at_info() -> None:
    traffic = usual_traffic(2)
    traffic.burst(NOW - timedelta(minutes=60), 45, 40, negative_share=0.0)  # the launch
    traffic.burst(NOW - timedelta(minutes=14), 12, 8, negative_share=1.0)  # one complaint, reposted
    found = detect_storm(recent(traffic), baseline(2, negative_peak=1.0), CONFIG, now=NOW, tz=PARIS)

    assert found is not None and found.severity == "info" and found.facts["gate"] == "one_burst"


def test_no_more_negatives_than_ordinary_traffic_brings_at_worst_stays_at_info() -> None:
    traffic = usual_traffic(10)
    traffic.burst(NOW - timedelta(minutes=15), 15, 14, negative_share=0.8)
    ordinary = baseline(10, negative_peak=8.0)  # this brand has had 8 extra negatives in 15 minutes before
    unusual = baseline(10, negative_peak=3.0)

    assert detect_storm(recent(traffic), ordinary, CONFIG, now=NOW, tz=PARIS).facts["gate"] == "ordinary_peak"
    assert detect_storm(recent(traffic), unusual, CONFIG, now=NOW, tz=PARIS).severity in ("warning", "critical")


def test_a_storm_on_a_brand_we_barely_know_pages_but_is_not_critical() -> None:
    traffic = Traffic()
    traffic.burst(NOW - timedelta(minutes=15), 15, 60, negative_share=0.9, terms=("boycott",), terms_share=0.6)
    thin = baseline(0.2, thin=True, evidence=3)
    found = detect_storm(recent(traffic), thin, CONFIG, now=NOW, tz=PARIS)

    assert found is not None and found.score >= CONFIG.critical_score and found.severity == "warning"
    assert found.facts["thin_history"] is True


def test_velocity_rewards_acceleration_not_a_steady_high_level() -> None:
    rising, steady = usual_traffic(25, seed=4), usual_traffic(25, seed=4)
    rising.burst(NOW - timedelta(minutes=15), 15, 100, negative_share=0.7)
    steady.burst(NOW - timedelta(minutes=60), 60, 400, negative_share=0.7)
    fast = detect_storm(recent(rising), baseline(25, 60), CONFIG, now=NOW, tz=PARIS)
    flat = detect_storm(recent(steady), baseline(25, 60), CONFIG, now=NOW, tz=PARIS)

    assert components(fast)["velocity"] == CONFIG.weight_velocity
    assert components(flat)["velocity"] == 0


def test_settings_are_per_brand_and_checked() -> None:
    big_brand = for_brand({"big_author_reach": 100_000, "storm_windows_minutes": [15, 60]})
    assert big_brand.big_author_reach == 100_000 and big_brand.storm_windows_minutes == (15, 60)
    assert dataclasses.replace(big_brand, min_negative=10).min_negative == 10
    with pytest.raises(ValueError, match="unknown detection settings: treshold"):
        for_brand({"treshold": 3})
    with pytest.raises(ValueError):
        for_brand({"warning_score": 90, "critical_score": 80})
