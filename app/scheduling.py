"""When to check a source next: one pure function over the interval and the hints of the last fetch."""

from __future__ import annotations

from datetime import datetime, timedelta

# 2**10 = 1024 times the interval is already far beyond any sane max_seconds; capping the exponent keeps
# the arithmetic small after a source has failed for weeks.
MAX_BACKOFF_EXPONENT = 10
JITTER_SHARE = 0.10  # jitter adds at most 10% of the delay


def next_check_at(
    now: datetime,
    *,
    interval_seconds: int,
    min_seconds: int,
    max_seconds: int,
    consecutive_errors: int = 0,
    ttl_seconds: int | None = None,
    retry_after_seconds: int | None = None,
    max_age_seconds: int | None = None,
    jitter: float = 0.0,
) -> datetime:
    """The next time a source is due, applying these rules in order:

    1. The base delay is `interval_seconds`, the source's configured interval.
    2. A feed <ttl> or a Cache-Control max-age LONGER than that stretches it to the longest of the two:
       the publisher asks us to come less often. Shorter ones are ignored: we never poll faster than
       configured because a publisher allows it.
    3. After `consecutive_errors` failures in a row the delay is multiplied by 2**errors (exponent capped
       at MAX_BACKOFF_EXPONENT), so a broken source is asked less and less often.
    4. A Retry-After (from a 429 or 503) is a floor: never come back before the server said.
    5. `jitter` in [0, 1), drawn by the caller, adds up to 10% of the delay, so that sources configured
       together do not stay due at the same second forever. Deterministic for a given jitter.
    6. The result is clamped to [min_seconds, max_seconds], which wins over every rule above (a
       Retry-After of a week still comes back after max_seconds, and is told again if need be).
    """
    if min_seconds > max_seconds:
        raise ValueError(f"min_seconds ({min_seconds}) is larger than max_seconds ({max_seconds})")
    if not 0.0 <= jitter < 1.0:
        raise ValueError(f"jitter must be in [0, 1), not {jitter}")
    delay = float(interval_seconds)
    publisher_hint = max(ttl_seconds or 0, max_age_seconds or 0)
    if publisher_hint > delay:
        delay = float(publisher_hint)
    if consecutive_errors > 0:
        delay *= 2 ** min(consecutive_errors, MAX_BACKOFF_EXPONENT)
    if retry_after_seconds is not None and retry_after_seconds > delay:
        delay = float(retry_after_seconds)
    delay += delay * JITTER_SHARE * jitter
    delay = min(max(delay, float(min_seconds)), float(max_seconds))
    return now + timedelta(seconds=delay)
