"""One evaluation of one brand: its mentions in, its current findings out. The function the app calls.

    evaluate_brand(points, now=..., tz=..., config=..., excluded=[...])

splits the brand's mentions at `now - baseline_gap_minutes`: older ones become the history buckets the
baseline learns from, newer ones are scored. A caller evaluating often (every 5 minutes) should keep the
history buckets (they only grow at the end) and the profile (it changes slowly: rebuild it hourly, and
when an incident opens or resolves) and call `evaluate_buckets(history, recent_points, profile=...)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

from alerts.detection.baseline import Profile, build_profile
from alerts.detection.config import DetectionConfig, severity_rank
from alerts.detection.detectors import detect_high_risk_mentions, detect_storm, velocity_component
from alerts.detection.findings import Finding
from alerts.detection.series import Bucket, MentionPoint, bucketize
from alerts.detection.silence import detect_silences

FUTURE_TOLERANCE = timedelta(minutes=10)  # clock skew between a source and us; later ones are ignored


def _floor(at: datetime, minutes: int) -> datetime:
    width = minutes * 60
    return datetime.fromtimestamp(at.timestamp() // width * width, UTC)


def evaluate_brand(
    points: Sequence[MentionPoint],
    *,
    now: datetime,
    tz: str,
    config: DetectionConfig,
    excluded: Sequence[tuple[datetime, datetime]],
    since: datetime | None = None,
    sources: Collection[int] | None = None,
) -> list[Finding]:
    """The brand's current findings from its mentions over the history window up to `now`.

    `excluded`: past (and open) incident periods, left out of the baseline. `since`: when monitoring began;
    without it, history starts on the day of the oldest mention, so a brand added last week is not read as
    three silent weeks. `sources`: the brand's active sources, watched for silence (default: those seen).
    """
    bucket = config.bucket_minutes
    split = now - timedelta(minutes=config.baseline_gap_minutes)
    start = now - timedelta(days=config.history_days)
    if since is None and points:
        since = _floor(min(p.published_at for p in points), 24 * 60)
    if since is not None:
        start = max(start, since)
    start = min(_floor(start, bucket), split)
    cut = split.timestamp()
    older = [p for p in points if p.published_at.timestamp() < cut]
    newer = [p for p in points if p.published_at.timestamp() >= cut]
    history = bucketize(older, start=start, end=split, minutes=bucket)
    return evaluate_buckets(history, newer, now=now, tz=tz, config=config, excluded=excluded, sources=sources)


def evaluate_buckets(
    history: Sequence[Bucket],
    recent_points: Sequence[MentionPoint],
    *,
    now: datetime,
    tz: str,
    config: DetectionConfig,
    excluded: Sequence[tuple[datetime, datetime]] = (),
    sources: Collection[int] | None = None,
    profile: Profile | None = None,
) -> list[Finding]:
    """Findings from pre-bucketed history (up to `now - baseline_gap_minutes`) and the recent mentions.

    `profile`, when given, is used as is (see the module docstring); otherwise it is built from `history`.
    """
    if profile is None:
        profile = build_profile(history, tz=tz, excluded=excluded, config=config)
    recent_start = now - timedelta(minutes=config.baseline_gap_minutes)
    visible = _visible(recent_points, recent_start, now)
    recent = bucketize(visible, start=recent_start, end=now, minutes=config.bucket_minutes)
    findings: list[Finding] = []
    storm = _strongest_storm(recent, visible, profile, config, now=now, tz=tz)
    if storm is not None:
        findings.append(storm)
    lookback = (now - timedelta(minutes=config.high_risk_lookback_minutes)).timestamp()
    findings += detect_high_risk_mentions([p for p in visible if p.published_at.timestamp() >= lookback], config)
    findings += detect_silences(history, recent, profile, config, now=now, sources=sources)
    return findings


def _visible(points: Sequence[MentionPoint], start: datetime, now: datetime) -> list[MentionPoint]:
    """Mentions in [start, now), with slightly future ones (clock skew) moved into the last minute."""
    t0, t_now, t_max = start.timestamp(), now.timestamp(), (now + FUTURE_TOLERANCE).timestamp()
    out = []
    for p in points:
        t = p.published_at.timestamp()
        if t0 <= t < t_now:
            out.append(p)
        elif t_now <= t < t_max:
            out.append(dataclasses.replace(p, published_at=now - timedelta(seconds=1)))
    return out


def _strongest_storm(recent, visible, profile: Profile, config: DetectionConfig, *, now, tz) -> Finding | None:
    """The storm window (15 min, 1 h, 3 h...) that says the most: highest severity, then highest score."""
    m = config.velocity_minutes
    expected = profile.expected_windows(now, sorted({m, 4 * m, *config.storm_windows_minutes}))
    last = sum(b.volume for b in recent[-(m // config.bucket_minutes) :])
    before = sum(b.volume for b in recent[-(4 * m // config.bucket_minutes) : -(m // config.bucket_minutes)])
    velocity = velocity_component(last, expected[m], before, expected[4 * m] - expected[m], config)
    best: Finding | None = None
    for minutes in config.storm_windows_minutes:
        base = profile.baseline(now, minutes=minutes, expected=expected[minutes])
        found = detect_storm(recent, base, config, now=now, tz=tz, velocity=velocity)
        if found and (
            best is None or (severity_rank(found.severity), found.score) > (severity_rank(best.severity), best.score)
        ):
            best = found
    if best is None:
        return None
    return dataclasses.replace(best, mention_ids=_ranked_mentions(visible, best.window_start, config.max_mention_ids))


def _ranked_mentions(points: Sequence[MentionPoint], since: datetime, limit: int) -> tuple[int, ...]:
    """The window's mentions a CM should read first: negative ones, the widest audience, then the riskiest."""
    t0 = since.timestamp()
    chosen = [p for p in points if p.published_at.timestamp() >= t0]
    chosen.sort(key=lambda p: (not (p.negative or p.crisis_terms), -(p.author_reach or 0), -p.risk, p.mention_id))
    return tuple(p.mention_id for p in chosen[:limit])
