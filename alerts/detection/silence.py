"""Silence: a brand, or one of its sources, that normally talks and has gone quiet. A dead collector.

A calm day must not look like a dead collector, nor the reverse. Two tests, each immune to calm days:

- the whole brand: so few mentions that even a calm day (`silence_calm_factor`, a third of the usual)
  would make it unlikely. Slow on quiet brands (a day or more for 50 mentions a day), but never fooled;
- one source: compared with the brand's *other* sources over the same window. A calm Sunday lowers them
  all; a dead collector takes its share to zero while the others go on.

Counts are judged in independent voices (mentions divided by the cluster factor φ: a post and its reposts
are one voice), with a Poisson law on them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from alerts.detection.baseline import Baseline, Profile, poisson_log_cdf
from alerts.detection.config import DetectionConfig
from alerts.detection.findings import Component, Finding
from alerts.detection.series import Bucket


def voices_factor(cluster_factor: float, config: DetectionConfig) -> float:
    """Mentions per independent voice, never below the prior: a history that looks unclustered (a quiet brand,
    or one whose swings were read as level changes) must not make a short gap look impossible."""
    return max(cluster_factor, config.cluster_prior)


def detect_silence(
    observed: int,
    baseline: Baseline,
    config: DetectionConfig,
    *,
    scope: str,
    now: datetime,
    calm_factor: float | None = None,
    others: int | None = None,
) -> Finding | None:
    """A brand (`scope` "brand") or a source ("source:12") far quieter than `baseline` says.

    Quiet is silence when at most `silence_max_fraction` of the expected mentions arrived and, at
    `calm_factor` of the expectation (default `silence_calm_factor`), so few would have probability under
    `silence_p`. `others`: what the other sources brought, when `baseline` was derived from them (then
    `calm_factor` is 1). Severity is warning: a blind spot is urgent to fix, but it is not a crisis.
    """
    expected = baseline.expected_volume
    if expected <= 0 or observed > config.silence_max_fraction * expected:
        return None
    factor = config.silence_calm_factor if calm_factor is None else calm_factor
    phi = voices_factor(baseline.cluster_factor, config)
    # The expectation is counted in voices (divided by φ), the observation is not: a handful of mentions is
    # more likely a handful of voices than one cluster, and that reading never raises a false silence.
    log10_p = poisson_log_cdf(observed, expected * factor / phi) / math.log(10)
    if log10_p > math.log10(config.silence_p):
        return None
    surprise = -log10_p
    score = min(config.critical_score - 1, round(config.warning_score + 5 * (surprise + math.log10(config.silence_p))))
    detail = f"{observed} mentions in {baseline.window_minutes} min vs {expected:.1f} expected"
    facts = {"scope": scope, "observed": observed, "expected": round(expected, 1),
             "window_minutes": baseline.window_minutes, "others": others}  # fmt: skip
    return Finding(
        kind="silence",
        severity="warning",
        score=score,
        components=(Component("silence", round(surprise, 2), float(score), f"{detail} (p = 10^-{surprise:.1f})"),),
        window_start=now - timedelta(minutes=baseline.window_minutes),
        window_end=now,
        mention_ids=(),
        facts=facts,
        subject=scope,
    )


def window_counts(history: Sequence[Bucket], recent: Sequence[Bucket], now: datetime, windows) -> dict[int, dict]:
    """Mentions per source (and "brand" for all) in each window [now - w, now) the buckets fully cover.

    Both bucket lists are consecutive, so a window is a slice found by arithmetic. History older than the
    recent buckets counts only if it joins them: a stale cached history would leave a hole read as silence.
    """
    t_now = now.timestamp()
    recent_start = recent[0].start.timestamp() if recent else t_now
    width = _width(history)
    joined = bool(history) and history[-1].start.timestamp() + width >= recent_start - 1
    h_start = history[0].start.timestamp() if joined else recent_start
    counts: dict[int, dict] = {}
    running: dict = {"brand": 0}
    taken_recent, taken_history = 0, 0  # buckets already added, from the end of each list
    for w in sorted(windows):
        limit = t_now - w * 60
        if limit < h_start - 1:
            break  # not covered: better no answer than a hole counted as zero
        remaining = recent[: len(recent) - taken_recent]
        new_recent = [b for b in remaining if b.start.timestamp() >= limit - 1]
        new_history: Sequence[Bucket] = ()
        if joined and limit < recent_start - 1:
            first = max(0, math.ceil((limit - 1 - h_start) / width))
            new_history = history[first : len(history) - taken_history]
        for b in (*new_recent, *new_history):
            for source, count in b.by_source.items():
                running[source] = running.get(source, 0) + count
            running["brand"] += b.volume
        taken_recent += len(new_recent)
        taken_history += len(new_history)
        counts[w] = dict(running)
    return counts


def _width(buckets: Sequence[Bucket]) -> float:
    return (buckets[1].start - buckets[0].start).total_seconds() if len(buckets) > 1 else 300.0


def _brand_silence(profile: Profile, counts: dict[int, dict], config: DetectionConfig, now) -> Finding | None:
    """The shortest window in which a calm day would still have brought mentions: did it bring any?"""
    expected = profile.expected_windows(now, config.silence_windows_minutes)
    for minutes in config.silence_windows_minutes:
        base = profile.baseline(now, minutes=minutes, expected=expected[minutes])
        voices = base.expected_volume * config.silence_calm_factor / voices_factor(base.cluster_factor, config)
        if voices >= -math.log(config.silence_p):
            if minutes not in counts:
                return None
            return detect_silence(counts[minutes]["brand"], base, config, scope="brand", now=now)
    return None


def _source_silence(source: int, share: float, profile: Profile, counts, config: DetectionConfig, now):
    """The shortest window in which the other sources brought enough to expect this one: did it bring any?

    What the source should have carried is the lower of two readings: its share of what the others
    brought (a calm day lowers them all) and its share of the brand's usual volume (a campaign on one
    network inflates the others, and must not make this one look dead).
    """
    usual = profile.expected_windows(now, sorted(counts))
    for minutes, seen in sorted(counts.items()):
        others = seen["brand"] - seen.get(source, 0)
        expected = min(others * share / (1 - share), usual[minutes] * share)
        # In independent voices, the chance that none of the expected came: exp(-expected / φ).
        if expected / voices_factor(profile.cluster_factor, config) < -math.log(config.silence_p):
            continue
        base = profile.baseline(now, minutes=minutes, share=share)
        base = dataclasses.replace(base, expected_volume=expected)
        return detect_silence(seen.get(source, 0), base, config, scope=f"source:{source}", now=now,
                              calm_factor=1.0, others=others)  # fmt: skip
    return None


def detect_silences(
    history: Sequence[Bucket],
    recent: Sequence[Bucket],
    profile: Profile,
    config: DetectionConfig,
    *,
    now: datetime,
    sources: Collection[int] | None = None,
) -> list[Finding]:
    """Silence of the whole brand, else of each watched source that usually carries enough of its mentions."""
    counts = window_counts(history, recent, now, config.silence_windows_minutes)
    if not counts:
        return []
    # A scope that spoke in the shortest window is not silent now, whatever a longer window says: a source
    # that came back after a night's outage is no longer worth a page.
    latest = counts[min(counts)]
    brand = _brand_silence(profile, counts, config, now) if latest["brand"] == 0 else None
    if brand is not None:
        return [brand]  # every source is quiet too: one finding says it, not one per source
    shares = profile.source_shares
    watched = sorted(shares if sources is None else sources)
    findings = []
    for source in watched:
        share = shares.get(source, 0.0)
        if config.silence_min_share <= share < 1.0 and latest.get(source, 0) == 0:
            found = _source_silence(source, share, profile, counts, config, now)
            if found is not None:
                findings.append(found)
    return findings
