"""How a brand's profile is learnt from its history: usable hours, seasonal means, variance, ordinary peaks.

Pure arithmetic over buckets, used by `alerts.detection.baseline.build_profile`. Three robustness rules:
past incident periods are left out; hours far above a first, median-based estimate are clipped (a launch
nobody marked); and the variance is checked against each hour's *leave-one-out* expectation, so that the
error of estimating a mean from four weeks is part of it.
"""

from __future__ import annotations

import heapq
import itertools
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from alerts.detection.config import DetectionConfig
from alerts.detection.series import Bucket

HOURS_PER_WEEK = 168
QUARTER = 900  # every real UTC offset is a multiple of 15 minutes: a quarter hour lies in one local hour


@lru_cache(maxsize=1 << 17)
def local_hour(epoch: int, tz: str) -> tuple[int, int]:
    """(a number unique to the local hour containing `epoch`, its hour of the week, Monday 00:00 = 0)."""
    local = datetime.fromtimestamp(epoch, UTC).astimezone(ZoneInfo(tz))
    offset = int(local.utcoffset().total_seconds())  # type: ignore[union-attr]
    return (epoch + offset) // 3600, local.weekday() * 24 + local.hour


@dataclass(slots=True)
class Hour:
    """One local hour of history: its hour of the week and its mention count."""

    key: int  # local hour number
    slot: int
    volume: float = 0.0
    covered: int = 0  # buckets seen


@dataclass(slots=True)
class Usable:
    """The part of the history the baseline may learn from."""

    hours: list[Hour]
    totals: Counter
    sources: Counter
    negatives: list[int | None] = field(default_factory=list)  # per bucket, None when excluded
    slots: list[int] = field(default_factory=list)  # per bucket, its hour of the week


def _excluded_mask(history: Sequence[Bucket], excluded, width: int) -> list[bool]:
    """Which buckets overlap an excluded period; buckets are consecutive, so each period is an index range."""
    mask = [False] * len(history)
    if not history:
        return mask
    t0 = history[0].start.timestamp()
    for a, b in excluded:
        first = max(0, math.floor((a.timestamp() - t0) / width))
        last = min(len(history), math.ceil((b.timestamp() - t0) / width))
        for i in range(first, last):
            mask[i] = True
    return mask


def usable_history(history: Sequence[Bucket], excluded, *, tz: str, width: int, config: DetectionConfig) -> Usable:
    """The local hours of the history outside excluded periods (widened), and the totals of the buckets kept.

    Buckets are consecutive, so the local hour is looked up once per quarter hour, not once per bucket.
    """
    before, after = timedelta(minutes=config.exclude_before_minutes), timedelta(minutes=config.exclude_after_minutes)
    mask = _excluded_mask(history, [(a - before, b + after) for a, b in excluded], width)
    kept = [b for b, skip in zip(history, mask, strict=True) if not skip]
    out = Usable([], Counter(), Counter())
    out.negatives = [None if skip else b.negative for b, skip in zip(history, mask, strict=True)]
    out.hours = _hours(history, mask, tz, width, out.slots)
    big_reach = config.big_author_reach
    out.totals.update(
        volume=sum(b.volume for b in kept),
        negative=sum(b.negative for b in kept),
        crisis=sum(b.crisis_terms for b in kept),
        big=sum(1 for b in kept for reach in b.negative_authors.values() if reach >= big_reach),
    )
    sources: dict[int, int] = {}
    for b in kept:  # plain dict arithmetic: Counter.update is ten times slower here
        for source, count in b.by_source.items():
            sources[source] = sources.get(source, 0) + count
    out.sources.update(sources)
    return out


def _hours(history: Sequence[Bucket], mask: list[bool], tz: str, width: int, slots: list[int]) -> list[Hour]:
    """Usable local hours: a half-excluded hour is scaled up; a mostly-excluded one says too little.

    `slots` receives the hour of the week of every bucket, excluded or not.
    """
    hours: dict[int, Hour] = {}
    if not history:
        return []
    t0 = int(history[0].start.timestamp())
    step = max(1, QUARTER // width)  # buckets per quarter hour (1 for buckets of 15 minutes or more)
    for i in range(0, len(history), step):
        key, slot = local_hour((t0 + i * width) // QUARTER * QUARTER, tz)
        hour = hours.get(key)
        if hour is None:
            hour = hours[key] = Hour(key, slot)
        for j in range(i, min(i + step, len(history))):
            slots.append(slot)
            if not mask[j]:
                hour.volume += history[j].volume
                hour.covered += 1
    per_hour = 3600 // width
    kept = [h for h in hours.values() if h.covered * 2 >= per_hour]
    for h in kept:
        h.volume *= per_hour / h.covered
    return kept


def pseudo_hours(prior_rate: float, spread: float, config: DetectionConfig) -> float:
    """How many hours of data a prior is worth: its relative spread against one hour's sampling noise.

    One hour at rate μ varies by φ·μ + α·μ² (reposts, swings); a prior off by `spread` (relative) is off by
    (spread·μ)². On a quiet brand the noise dominates and the prior weighs a lot; on a large one, little.
    """
    mu = max(prior_rate, 1e-3)
    return (config.cluster_prior / mu + config.dispersion_prior) / (spread * spread)


def _slot_priors(sums: list[float], counts: list[int], config: DetectionConfig) -> list[float]:
    """Per hour of week: the mean of the same hour on days of the same type, shrunk to that type's mean."""
    overall = sum(sums) / max(1, sum(counts))
    priors = [0.0] * HOURS_PER_WEEK
    for days in (range(5), range(5, 7)):  # weekdays, then the weekend
        slots = [d * 24 + hod for d in days for hod in range(24)]
        n_type, total_type = sum(counts[s] for s in slots), sum(sums[s] for s in slots)
        m = pseudo_hours(overall, 0.5, config)
        type_mean = (total_type + m * overall) / (n_type + m)
        for hod in range(24):
            same = [d * 24 + hod for d in days]
            n, total = sum(counts[s] for s in same), sum(sums[s] for s in same)
            m = pseudo_hours(type_mean, config.shrink_day, config)
            for s in same:
                priors[s] = (total + m * type_mean) / (n + m)
    return priors


def _shrunk(sums: list[float], counts: list[int], config: DetectionConfig):
    """(rate, prior, prior's pseudo-hours) per hour of week: the same hour of the week, shrunk to the day profile."""
    priors = _slot_priors(sums, counts, config)
    weights = [pseudo_hours(p, config.shrink_week, config) for p in priors]
    rates = [(sums[s] + weights[s] * priors[s]) / (counts[s] + weights[s]) for s in range(HOURS_PER_WEEK)]
    return rates, priors, weights


def _sums(hours: list[Hour], values: list[float]) -> tuple[list[float], list[int]]:
    sums, counts = [0.0] * HOURS_PER_WEEK, [0] * HOURS_PER_WEEK
    for h, v in zip(hours, values, strict=True):
        sums[h.slot] += v
        counts[h.slot] += 1
    return sums, counts


def _median_rates(hours: list[Hour], config: DetectionConfig) -> list[float]:
    """A first estimate per hour of week that one extreme hour cannot move: medians, shrunk to day-type priors."""
    samples: list[list[float]] = [[] for _ in range(HOURS_PER_WEEK)]
    for h in hours:
        samples[h.slot].append(h.volume)
    counts = [len(s) for s in samples]
    sums = [statistics.median(s) * len(s) if s else 0.0 for s in samples]
    return _shrunk(sums, counts, config)[0]


def _robust_dispersion(values: list[float], means: list[float], config: DetectionConfig) -> float:
    """A first level dispersion that one unmarked launch cannot inflate: the median of per-hour estimates.

    For a roughly normal residual the median of z² is 0.455. Hours under a mean of 2 mentions say more
    about reposts than about the level; quiet brands (few other hours) keep the prior.
    """
    phi = config.cluster_prior
    estimates = sorted(((x - mu) ** 2 / 0.455 - phi * mu) / (mu * mu) for x, mu in zip(values, means, strict=True)
                       if mu >= 2)  # fmt: skip
    return max(0.0, estimates[len(estimates) // 2]) if len(estimates) >= 24 else config.dispersion_prior


def hourly_rates(hours: list[Hour], config: DetectionConfig) -> tuple[list[float], list[float], list[float]]:
    """(rate per hour of week, leave-one-out expectation per history hour, clipped counts per history hour)."""
    phi = config.cluster_prior
    first = _median_rates(hours, config)
    alpha = _robust_dispersion([h.volume for h in hours], [first[h.slot] for h in hours], config)
    caps = [r + config.winsor_sigmas * math.sqrt(phi * r + alpha * r * r) + 1 for r in first]
    values = [min(h.volume, caps[h.slot]) for h in hours]
    sums, counts = _sums(hours, values)
    rates, priors, weights = _shrunk(sums, counts, config)
    # Leave-one-out: each hour is compared with what the others predict, so the dispersion includes the
    # error of estimating a mean from four weeks, which is what a new hour will face.
    loo = [
        (sums[h.slot] - v + weights[h.slot] * priors[h.slot]) / (counts[h.slot] - 1 + weights[h.slot])
        for h, v in zip(hours, values, strict=True)
    ]
    return rates, loo, values


def variance_model(values: list[float], means: list[float], config: DetectionConfig) -> tuple[float, float]:
    """(φ, α) of variance = φ·mean + α·mean², by weighted least squares on squared residuals, with priors.

    φ, the cluster factor, is what reposts do (a complaint and its three reposts are four mentions, one
    voice): it dominates on quiet brands. α, the level dispersion, is hour-to-hour swing: it dominates on
    large brands. The priors weigh as `variance_prior_hours` hours, so each parameter is learnt where the
    brand has the data for it and stays near its prior where it has not.
    """
    phi0, a0, n0 = config.cluster_prior, config.dispersion_prior, config.variance_prior_hours
    level = max(sum(means) / max(1, len(means)), 1e-6)
    # α only shows where hours hold a few mentions; on a quiet brand every residual is a repost cluster, and
    # fitting α there would only fit their heavy tail.
    fit_alpha = sum(1 for mu in means if mu >= 3) >= 24
    phi, alpha = phi0, a0
    for _ in range(2):  # once with the prior's weights, once with the first fit's
        s00 = s01 = s11 = y0 = y1 = 0.0
        for x, mu in zip(values, means, strict=True):
            if mu <= 0:
                continue
            w = 1 / (phi * mu + alpha * mu * mu) ** 2
            r2 = (x - mu) ** 2
            s00, s01, s11 = s00 + w * mu * mu, s01 + w * mu**3, s11 + w * mu**4
            y0, y1 = y0 + w * mu * r2, y1 + w * mu * mu * r2
        l0, l1 = n0 / phi0**2, n0 * level**4 / (phi0 * level + a0 * level * level) ** 2
        a, c = s00 + l0, s11 + l1
        if fit_alpha:
            det = a * c - s01 * s01
            phi = (c * (y0 + l0 * phi0) - s01 * (y1 + l1 * a0)) / det
            alpha = (a * (y1 + l1 * a0) - s01 * (y0 + l0 * phi0)) / det
        else:
            phi = (y0 + l0 * phi0 - a0 * s01) / a
        phi = min(config.cluster_bounds[1], max(config.cluster_bounds[0], phi))
        alpha = min(config.dispersion_bounds[1], max(config.dispersion_bounds[0], alpha))
    return phi, alpha


def daily_dispersion(hours: list[Hour], values: list[float], loo: list[float], phi: float, config) -> float:
    """Level dispersion of whole local days (calm and busy days), from days with at least 22 usable hours."""
    days: dict[int, list[float]] = {}
    for h, v, mu in zip(hours, values, loo, strict=True):
        day = days.setdefault(h.key // 24, [0.0, 0.0, 0])
        day[0], day[1], day[2] = day[0] + v, day[1] + mu, day[2] + 1
    full = [d for d in days.values() if d[2] >= 22]
    prior, weight = config.dispersion_prior / 2, 7.0  # a week of days
    excess = sum((x - mu) ** 2 - phi * mu for x, mu, _ in full)
    scale = sum(mu * mu for _, mu, _ in full)
    raw = excess / scale if scale else prior
    n = len(full)
    return (n * raw + weight * prior) / (n + weight)


def ordinary_peak(excess: list[float | None], n: int, rank: int) -> float:
    """The `rank`-th largest sum of `excess` over `n` consecutive usable buckets, peaks at least `n` apart.

    `excess` is, per bucket, negative mentions minus those expected (None when excluded): what ordinary
    traffic brings at worst beyond its normal, a complaint reposted a dozen times on a quiet brand, a bad
    morning on a large one. Peaks closer than a window are one event, so the second peak is another day's.
    """
    sums_, gaps = (
        list(itertools.accumulate((v or 0.0 for v in excess), initial=0.0)),
        list(itertools.accumulate((v is None for v in excess), initial=0)),
    )  # prefix sums of the excess and of excluded buckets
    sums = [sums_[i + n] - sums_[i] if gaps[i + n] == gaps[i] else -1.0 for i in range(len(excess) - n + 1)]
    chosen: list[int] = []
    for i in heapq.nlargest(2 * n * rank, range(len(sums)), key=sums.__getitem__):
        if all(abs(i - j) >= n for j in chosen):
            chosen.append(i)
            if len(chosen) == rank:
                return max(0.0, sums[i])
    return 0.0
