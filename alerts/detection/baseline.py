"""What is normal for a brand at a given hour: an hour-of-week profile, learnt from its own history.

The expected rate of an hour is the mean of the same hour of the week (Monday 9:00 with the other Mondays
9:00), shrunk towards the same hour on days of the same type (weekday or weekend), itself shrunk towards
the brand's mean for that day type. Four weeks give four samples per hour of the week: too few alone, so the
shrinkage borrows from the 20 weekday mornings without flattening a weekly peak. Hours are local to the
workspace's time zone, because people post on local time.

Counts are over-dispersed twice: reposts come in clusters (variance grows like φ·mean) and some hours and
days are simply busier (α·mean²). A window's variance is φ·mean + α·mean², both learnt from the history
(see `alerts.detection.estimate`), with a floor. Past incident periods are left out and extreme hours
clipped, so a storm never becomes the new normal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alerts.detection.config import DetectionConfig
from alerts.detection.estimate import (
    HOURS_PER_WEEK,
    QUARTER,
    daily_dispersion,
    hourly_rates,
    local_hour,
    ordinary_peak,
    usable_history,
    variance_model,
)
from alerts.detection.series import Bucket


def hour_of_week(at: datetime, tz: str) -> int:
    """0 for Monday 00:00-00:59 local time in `tz`, up to 167 for Sunday 23:00."""
    local = at.astimezone(ZoneInfo(tz))
    return local.weekday() * 24 + local.hour


def poisson_log_cdf(observed: int, mean: float) -> float:
    """log P(X <= observed) for a Poisson count of this mean, summed in log space (no underflow at 1e-300)."""
    if mean <= 0:
        return 0.0
    term = total = -mean  # log P(X = 0)
    for i in range(1, observed + 1):
        term += math.log(mean / i)
        total = max(total, term) + math.log1p(math.exp(-abs(total - term)))
    return min(0.0, total)


@dataclass(frozen=True, slots=True)
class Baseline:
    """What a window [at - window_minutes, at) usually holds for a brand, and how much that varies."""

    expected_volume: float  # mentions expected over the window
    variance: float  # of that count: φ·mean + α·mean², floored
    negative_share: float  # the brand's usual share of negative mentions
    evidence: int  # history mentions behind the estimate
    window_minutes: int = 60
    dispersion: float = 0.1  # α for this window length
    cluster_factor: float = 2.0  # φ: mentions per independent voice, reposts included
    crisis_share: float = 0.02  # share of mentions that usually carry a crisis term
    big_negative_share: float = 0.002  # share of mentions that are negative and from a big author
    negative_peak: float = 0.0  # most negatives beyond the expected that ordinary traffic put in such a window
    hour_of_week: int = 0  # of the window's last minute, local time: "on a Tuesday 14:00"
    thin: bool = False  # too little history to trust: storms are capped at warning

    @property
    def expected_per_hour(self) -> float:
        """The expected count as a rate per hour."""
        return self.expected_volume * 60 / self.window_minutes

    def stddev(self) -> float:
        """Standard deviation of the window's count."""
        return math.sqrt(self.variance)


@dataclass(frozen=True, slots=True)
class Profile:
    """A brand's normal, learnt once from its history, then asked about any window (cheap)."""

    tz: str
    rates: tuple[float, ...]  # expected mentions per hour, per hour of the week
    cluster_factor: float
    dispersion_hour: float
    dispersion_day: float
    negative_share: float
    crisis_share: float
    big_negative_share: float
    source_shares: dict[int, float]
    negative_peaks: dict[int, float]  # window minutes -> ordinary peak of negatives beyond the expected
    evidence: int
    hours: int  # usable history hours
    variance_floor: float
    min_evidence: int

    def expected_between(self, start: datetime, end: datetime) -> float:
        """Mentions expected in [start, end), quarter hour by quarter hour in local time."""
        t, t_end, total = start.timestamp(), end.timestamp(), 0.0
        while t < t_end:
            quarter = int(t // QUARTER) * QUARTER
            step = min(quarter + QUARTER, t_end) - t
            total += self.rates[local_hour(quarter, self.tz)[1]] * step / 3600
            t += step
        return total

    def expected_windows(self, at: datetime, minutes: Sequence[int]) -> dict[int, float]:
        """Mentions expected in each window [at - m, at), in one walk back from `at`."""
        out: dict[int, float] = {}
        t_end = at.timestamp()
        t, total = t_end, 0.0
        for m in sorted(minutes):
            start = t_end - m * 60
            while t > start:
                quarter = int((t - 1e-6) // QUARTER) * QUARTER
                step = t - max(quarter, start)
                total += self.rates[local_hour(quarter, self.tz)[1]] * step / 3600
                t -= step
            out[m] = total
        return out

    def dispersion_for(self, minutes: float) -> float:
        """Level dispersion of a window: hourly swings average out over longer windows, day-to-day ones don't."""
        return self.dispersion_day + (self.dispersion_hour - self.dispersion_day) * min(1.0, 60 / max(minutes, 1))

    def baseline(self, at: datetime, *, minutes: int, share: float = 1.0, expected: float | None = None) -> Baseline:
        """The baseline of the window [at - minutes, at), or of a part of the brand (a source) with `share`.

        `expected`: the brand's expected count for that window, when already computed (`expected_windows`).
        """
        if expected is None:
            expected = self.expected_between(datetime.fromtimestamp(at.timestamp() - minutes * 60, UTC), at)
        mean = expected * share
        dispersion = self.dispersion_for(minutes)
        variance = max(self.cluster_factor * mean + dispersion * mean * mean, self.variance_floor)
        last_minute = datetime.fromtimestamp(at.timestamp() - 60, UTC)
        return Baseline(
            expected_volume=mean,
            variance=variance,
            negative_share=self.negative_share,
            evidence=self.evidence,
            window_minutes=minutes,
            dispersion=dispersion,
            cluster_factor=self.cluster_factor,
            crisis_share=self.crisis_share,
            big_negative_share=self.big_negative_share,
            negative_peak=self.negative_peaks.get(minutes, 0.0),
            hour_of_week=hour_of_week(last_minute, self.tz),
            thin=self.evidence < self.min_evidence,
        )


def _width(history: Sequence[Bucket], config: DetectionConfig) -> int:
    if len(history) > 1:
        return int((history[1].start - history[0].start).total_seconds())
    return config.bucket_minutes * 60


def build_profile(history: Sequence[Bucket], *, tz: str, excluded, config: DetectionConfig) -> Profile:
    """Learn a brand's normal from its history buckets (any width dividing an hour), excluded periods left out.

    The costly step of detection (~10 ms for 28 days of 5-minute buckets): the caller may keep the profile
    for an hour, and rebuild it when an incident opens or closes (its period joins `excluded`).
    """
    width = _width(history, config)
    usable = usable_history(history, excluded, tz=tz, width=width, config=config)
    if usable.hours:
        rates, loo, values = hourly_rates(usable.hours, config)
        phi, alpha_h = variance_model(values, loo, config)
        alpha_d = min(alpha_h, daily_dispersion(usable.hours, values, loo, phi, config))
    else:
        rates, phi, alpha_h = [0.0] * HOURS_PER_WEEK, config.cluster_prior, config.dispersion_prior
        alpha_d = alpha_h / 2
    t, n = usable.totals, config.prior_mentions
    volume = t["volume"]
    rates = [max(r, config.min_rate_per_hour) for r in rates]
    negative_share = (t["negative"] + n * config.usual_negative_prior) / (volume + n)
    per_bucket = [negative_share * r * width / 3600 for r in rates]  # negatives expected in a bucket, per slot
    excess = [None if v is None else v - per_bucket[s] for v, s in zip(usable.negatives, usable.slots, strict=True)]
    peaks = {
        m: ordinary_peak(excess, max(1, m * 60 // width), config.ordinary_peak_rank)
        for m in config.storm_windows_minutes
    }
    return Profile(
        tz=tz,
        rates=tuple(rates),
        cluster_factor=phi,
        dispersion_hour=alpha_h,
        dispersion_day=max(config.dispersion_bounds[0], alpha_d),
        negative_share=negative_share,
        crisis_share=(t["crisis"] + n * 0.02) / (volume + n),
        big_negative_share=(t["big"] + n * 0.002) / (volume + n),
        source_shares={s: c / volume for s, c in usable.sources.items()} if volume else {},
        negative_peaks=peaks,
        evidence=volume,
        hours=len(usable.hours),
        variance_floor=config.variance_floor,
        min_evidence=config.min_evidence,
    )


def build_baseline(
    history: Sequence[Bucket], *, at: datetime, tz: str, excluded, config: DetectionConfig, minutes: int = 60
) -> Baseline:
    """The baseline of the window [at - minutes, at) from the history buckets (see `build_profile`)."""
    return build_profile(history, tz=tz, excluded=excluded, config=config).baseline(at, minutes=minutes)
