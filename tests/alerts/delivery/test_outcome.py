"""Attempt outcomes: which answers are retried, when the next try comes, and what error text may show."""

from __future__ import annotations

import dataclasses
import random
import statistics
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote

import pytest

from alerts.delivery.outcome import (
    RETRY_AFTER_CAP,
    Attempt,
    classify_http,
    excerpt,
    next_retry_delay,
    parse_retry_after,
    redact_secrets,
    url_secrets,
)

NOW = datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
SLACK_URL = "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "delivered"),
        (201, "delivered"),
        (204, "delivered"),
        (301, "failed"),
        (302, "failed"),
        (400, "failed"),
        (401, "failed"),
        (403, "failed"),
        (404, "failed"),
        (408, "retry"),
        (410, "gone"),
        (413, "failed"),
        (422, "failed"),
        (429, "retry"),
        (500, "retry"),
        (502, "retry"),
        (503, "retry"),
        (504, "retry"),
    ],
)
def test_classify_http(status: int, outcome: str) -> None:
    assert classify_http(status) == outcome


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Thu, 02 May 2024 08:10:00 GMT", 600.0),
        ("Thu May  2 08:01:00 2024", 60.0),  # asctime, no zone: GMT per RFC 9110
        ("Wed, 01 May 2024 08:00:00 GMT", None),  # already past
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("9" * 400, None),  # infinite
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_the_backoff_ceiling_doubles_and_stops_at_the_cap() -> None:
    rng = random.Random(7)
    for attempts, ceiling in [(1, 10.0), (2, 20.0), (3, 40.0), (6, 320.0), (9, 2560.0), (10, 3600.0), (50, 3600.0)]:
        draws = [next_retry_delay(attempts, retry_after=None, rng=rng) for _ in range(2000)]
        assert min(draws) >= 5.0  # floor of base/2: never an immediate retry
        assert max(draws) <= ceiling
        assert max(draws) > ceiling * 0.95  # full jitter reaches the top of its range


def test_the_backoff_grows_on_average() -> None:
    rng = random.Random(11)
    means = [statistics.mean(next_retry_delay(n, retry_after=None, rng=rng) for _ in range(2000)) for n in range(1, 9)]
    assert means == sorted(means)
    assert means[-1] > 10 * means[0]


def test_the_backoff_is_reproducible_with_a_seeded_rng_and_survives_huge_attempt_counts() -> None:
    first = [next_retry_delay(n, retry_after=None, rng=random.Random(3)) for n in (1, 5, 10)]
    again = [next_retry_delay(n, retry_after=None, rng=random.Random(3)) for n in (1, 5, 10)]
    assert first == again
    assert 5.0 <= next_retry_delay(10_000, retry_after=None, rng=random.Random(3)) <= 3600.0
    assert 5.0 <= next_retry_delay(0, retry_after=None, rng=random.Random(3)) <= 10.0


def test_retry_after_is_a_floor_honoured_up_to_six_hours() -> None:
    rng = random.Random(5)
    assert all(next_retry_delay(1, retry_after=120.0, rng=rng) == 120.0 for _ in range(200))
    assert all(next_retry_delay(8, retry_after=1.0, rng=rng) >= 5.0 for _ in range(200))  # backoff wins
    assert next_retry_delay(3, retry_after=2 * 3600.0, rng=rng) == 7200.0  # beyond the backoff cap: honoured
    assert next_retry_delay(3, retry_after=365 * 86400.0, rng=rng) == RETRY_AFTER_CAP == 6 * 3600.0
    assert 5.0 <= next_retry_delay(1, retry_after=float("inf"), rng=rng) <= 10.0


def test_a_smaller_cap_and_base_are_respected() -> None:
    rng = random.Random(9)
    draws = [next_retry_delay(n, retry_after=None, rng=rng, base=1.0, cap=4.0) for n in range(1, 20) for _ in range(50)]
    assert min(draws) >= 0.5 and max(draws) <= 4.0


def test_a_slack_url_and_a_signing_secret_are_redacted_raw_and_quoted() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/+="
    text = f"POST {SLACK_URL} failed; key={secret}; echoed /{quote(secret, safe='')}"

    redacted = redact_secrets(text, [SLACK_URL, secret])

    assert "XXXXXXXX" not in redacted and "MfKQ9r8" not in redacted
    assert redacted == "POST *** failed; key=***; echoed /***"


def test_user_info_and_query_strings_are_stripped_from_any_url_in_the_text() -> None:
    text = 'proxy said: <a href="https://bot:hunter22@api.example.com:8443/v1/hook?token=abc123#frag">retry</a>'

    redacted = redact_secrets(text, [])

    assert redacted == 'proxy said: <a href="https://api.example.com:8443/v1/hook?***">retry</a>'
    assert redact_secrets("see http://[::1/broken", []) == "see http://***"


def test_empty_secrets_are_ignored_and_plain_text_is_untouched() -> None:
    text = "Service indisponible, réessayez plus tard."
    assert redact_secrets(text, ["", ""]) == text


def test_the_longest_secret_is_redacted_whole() -> None:
    assert redact_secrets("token abcdefgh-ijkl", ["abcdefgh", "abcdefgh-ijkl"]) == "token ***"


def test_url_secrets_cover_the_path_the_query_and_the_token_segments() -> None:
    parts = url_secrets("http://user:pw@127.0.0.1:8080/services/T000/B000/SECRETTOKEN?key=abcdefghij")

    assert {"/services/T000/B000/SECRETTOKEN?key=abcdefghij", "/services/T000/B000/SECRETTOKEN"} <= set(parts)
    assert {"SECRETTOKEN", "key=abcdefghij", "abcdefghij", "user:pw"} <= set(parts)
    assert "T000" not in parts  # short segments are words: redacting them would mangle every message


def test_excerpt_collapses_whitespace_and_cuts_at_300_characters() -> None:
    assert excerpt("  <h1>Bad\n\n  Gateway</h1> ") == "<h1>Bad Gateway</h1>"
    long = excerpt("é" * 1000)
    assert len(long) == 300 and long.endswith("…")


def test_an_attempt_is_immutable() -> None:
    attempt = Attempt("retry", 503, 12.5, "HTTP 503", 30.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        attempt.outcome = "delivered"  # type: ignore[misc]
