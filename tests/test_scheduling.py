"""next_check_at: every rule of the docstring, and the clamps, on plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.scheduling import MAX_BACKOFF_EXPONENT, next_check_at

NOW = datetime(2025, 3, 17, 22, 0, tzinfo=UTC)  # a Monday evening, when a CM is on call
MINUTE = 60
HOUR = 3600
DAY = 86400


def delay(**kwargs: object) -> float:
    """Seconds between NOW and the next check, with the service's default clamps unless overridden."""
    params: dict[str, object] = {"interval_seconds": 15 * MINUTE, "min_seconds": MINUTE, "max_seconds": DAY}
    params.update(kwargs)
    return (next_check_at(NOW, **params) - NOW).total_seconds()  # type: ignore[arg-type]


def test_a_healthy_feed_is_checked_again_after_its_interval() -> None:
    assert delay() == 15 * MINUTE
    assert next_check_at(NOW, interval_seconds=900, min_seconds=60, max_seconds=DAY) == NOW + timedelta(minutes=15)


def test_a_feed_ttl_longer_than_the_interval_stretches_it() -> None:
    # Le Monde says <ttl>60</ttl>: come back in an hour, not in fifteen minutes.
    assert delay(ttl_seconds=HOUR) == HOUR


def test_a_feed_ttl_shorter_than_the_interval_is_ignored() -> None:
    assert delay(ttl_seconds=5 * MINUTE) == 15 * MINUTE


def test_a_cache_control_max_age_longer_than_the_interval_stretches_it() -> None:
    assert delay(max_age_seconds=2 * HOUR) == 2 * HOUR


def test_a_cache_control_max_age_shorter_than_the_interval_is_ignored() -> None:
    assert delay(max_age_seconds=0) == 15 * MINUTE
    assert delay(max_age_seconds=300) == 15 * MINUTE


def test_the_longest_publisher_hint_wins_when_both_are_given() -> None:
    assert delay(ttl_seconds=HOUR, max_age_seconds=2 * HOUR) == 2 * HOUR
    assert delay(ttl_seconds=3 * HOUR, max_age_seconds=2 * HOUR) == 3 * HOUR


@pytest.mark.parametrize(("errors", "expected"), [(0, 900), (1, 1800), (2, 3600), (3, 7200), (5, 28800)])
def test_each_consecutive_error_doubles_the_delay(errors: int, expected: int) -> None:
    assert delay(consecutive_errors=errors) == expected


def test_backoff_applies_on_top_of_a_publisher_hint() -> None:
    assert delay(ttl_seconds=HOUR, consecutive_errors=2) == 4 * HOUR


def test_the_backoff_exponent_is_capped_so_weeks_of_errors_stay_cheap() -> None:
    capped = delay(interval_seconds=1, max_seconds=10**9, consecutive_errors=MAX_BACKOFF_EXPONENT)
    assert capped == 2**MAX_BACKOFF_EXPONENT
    assert delay(interval_seconds=1, max_seconds=10**9, consecutive_errors=10_000) == capped


def test_negative_error_counts_mean_no_backoff() -> None:
    assert delay(consecutive_errors=-3) == 15 * MINUTE


def test_retry_after_is_a_floor() -> None:
    # 429 with Retry-After: 7200 after one error: the backoff says 30 min, the server says 2 h.
    assert delay(consecutive_errors=1, retry_after_seconds=2 * HOUR) == 2 * HOUR


def test_retry_after_shorter_than_the_backoff_does_not_shorten_it() -> None:
    assert delay(consecutive_errors=3, retry_after_seconds=30) == 2 * HOUR


def test_retry_after_zero_changes_nothing() -> None:
    assert delay(retry_after_seconds=0) == 15 * MINUTE


def test_the_result_is_never_earlier_than_min_seconds() -> None:
    assert delay(interval_seconds=10, min_seconds=MINUTE) == MINUTE
    assert delay(interval_seconds=0, min_seconds=MINUTE) == MINUTE


def test_the_result_is_never_later_than_max_seconds() -> None:
    assert delay(consecutive_errors=20) == DAY
    assert delay(ttl_seconds=7 * DAY) == DAY


def test_max_seconds_wins_over_a_longer_retry_after() -> None:
    assert delay(retry_after_seconds=30 * DAY) == DAY


def test_jitter_adds_at_most_ten_percent_of_the_delay() -> None:
    assert delay(jitter=0.0) == 900
    assert delay(jitter=0.5) == pytest.approx(945)
    assert 900 < delay(jitter=0.999999) < 990


def test_jitter_is_deterministic() -> None:
    assert delay(jitter=0.37) == delay(jitter=0.37)


def test_jitter_never_pushes_past_max_seconds() -> None:
    assert delay(interval_seconds=DAY, jitter=0.9) == DAY


def test_jitter_spreads_feeds_that_would_otherwise_be_due_together() -> None:
    due = {next_check_at(NOW, interval_seconds=900, min_seconds=60, max_seconds=DAY, jitter=j / 10) for j in range(10)}
    assert len(due) == 10


@pytest.mark.parametrize("jitter", [-0.1, 1.0, 2.5])
def test_jitter_outside_its_range_is_a_caller_bug(jitter: float) -> None:
    with pytest.raises(ValueError, match="jitter"):
        delay(jitter=jitter)


def test_inverted_clamps_are_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="min_seconds"):
        delay(min_seconds=DAY, max_seconds=MINUTE)


def test_the_time_zone_of_now_is_kept() -> None:
    assert next_check_at(NOW, interval_seconds=900, min_seconds=60, max_seconds=DAY).tzinfo is UTC
