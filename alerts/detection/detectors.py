"""The three detectors: a storm forming, one high-risk mention, a brand or source gone silent.

A storm's score (0-100) is the sum of five visible components, each judged against the brand's own normal:

| component      | measures                                                   | points                          |
|----------------|------------------------------------------------------------|---------------------------------|
| volume         | window count against the negative-binomial baseline (z)    | 0 at z 3, 25 at z 10            |
| negative_share | share of negative mentions above the brand's usual share   | lift 0.10 → 0.40, × confidence  |
| crisis_terms   | mentions with crisis words, against their usual share      | 0 at z 1, 20 at z 5             |
| reach          | big negative authors (≥ 10k), log-weighted, beyond usual   | 10 at 4 "reach points"          |
| velocity       | excess rate of the last 15 min against the 45 before       | 0 at ×1.5, 10 at ×4             |

Negative share, crisis words and reach are measured against the window's *observed* volume: a product launch
that multiplies mentions by ten multiplies complaints by ten too, and that is not a crisis. Volume and
velocity together stay under the warning score, and a finding with no negativity points is capped at info:
volume alone (a launch, a contest, good press) never pages anyone.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from alerts.detection.baseline import Baseline
from alerts.detection.config import DetectionConfig, for_brand
from alerts.detection.findings import Component, Finding, ramp, severity_for
from alerts.detection.series import Bucket, MentionPoint, WindowTotals, add_up
from alerts.detection.silence import detect_silence, voices_factor

__all__ = [
    "Component",
    "DetectionConfig",
    "Finding",
    "detect_high_risk_mentions",
    "detect_silence",
    "detect_storm",
    "for_brand",
    "velocity_component",
]


def _volume(t: WindowTotals, base: Baseline, config: DetectionConfig) -> Component:
    z = (t.volume - base.expected_volume) / base.stddev()
    points = config.weight_volume * ramp(z, *config.volume_z) if t.volume >= config.min_volume else 0.0
    return Component("volume", round(z, 2), points, f"{t.volume} mentions vs {base.expected_volume:.1f} expected")


def _negative_share(t: WindowTotals, base: Baseline, config: DetectionConfig) -> Component:
    n, p0 = t.volume, base.negative_share
    share = t.negative / n if n else 0.0
    # Binomial variance times the cluster factor (never below its prior: four weeks of a quiet brand hold too
    # few complaints to show how far one can be reposted): a complaint and its reposts are one opinion.
    variance = max(voices_factor(base.cluster_factor, config) * n * p0 * (1 - p0), 1.0)
    z = (t.negative - n * p0) / math.sqrt(variance)
    points = config.weight_negative * ramp(share - p0, *config.negative_lift) * ramp(z, *config.negative_z)
    if t.negative < config.min_negative:
        points = 0.0
    return Component("negative_share", round(share, 3), points, f"{share:.0%} negative vs {p0:.0%} usual")


def _crisis_terms(t: WindowTotals, base: Baseline, config: DetectionConfig) -> Component:
    n, share = t.volume, base.crisis_share
    expected = share * n
    variance = max(voices_factor(base.cluster_factor, config) * expected * (1 - share), 1.0)
    z = (t.crisis_terms - expected) / math.sqrt(variance)
    points = config.weight_crisis * ramp(z, *config.crisis_z) if t.crisis_terms >= 2 else 0.0
    top = ", ".join(f"{term} ×{count}" for term, count in t.terms.most_common(3))
    return Component("crisis_terms", t.crisis_terms, points, f"{t.crisis_terms} with crisis terms ({top or '-'})")


def _reach(t: WindowTotals, base: Baseline, config: DetectionConfig) -> Component:
    big = [r for r in t.negative_authors.values() if r >= config.big_author_reach]
    # A 10k author counts 1, 100k counts 2, 1M counts 3: audiences are heavy-tailed, so logs, not sums.
    value = sum(math.log10(r / config.big_author_reach) + 1 for r in big)
    excess = value - 1.3 * base.big_negative_share * t.volume
    points = config.weight_reach * ramp(excess, 0.0, config.reach_full)
    return Component("reach", round(value, 2), points, f"{len(big)} negative authors ≥ {config.big_author_reach:,}")


def velocity_component(
    last: int, last_expected: float, before: int, before_expected: float, config: DetectionConfig
) -> Component:
    """Acceleration: how much further above normal the last minutes are than the ones before."""
    accel = ((last + 1) / (last_expected + 1)) / ((before + 1) / (before_expected + 1))
    significant = last >= max(config.min_volume, last_expected + 2 * math.sqrt(last_expected + 1))
    points = config.weight_velocity * ramp(accel, *config.velocity_ratio) if significant else 0.0
    minutes = config.velocity_minutes
    detail = f"{last} in the last {minutes} min, ×{accel:.1f} the pace of the {3 * minutes} min before"
    return Component("velocity", round(accel, 2), points, detail)


def _flat_velocity(recent: Sequence[Bucket], base: Baseline, config: DetectionConfig) -> Component:
    """Velocity from the buckets alone, when the caller has no finer baseline: the rate is taken as flat."""
    width = (recent[1].start - recent[0].start).total_seconds() / 60 if len(recent) > 1 else config.bucket_minutes
    n_last = max(1, round(config.velocity_minutes / width))
    last, before = recent[-n_last:], recent[-4 * n_last : -n_last]
    per_minute = base.expected_volume / base.window_minutes
    return velocity_component(
        sum(b.volume for b in last),
        per_minute * len(last) * width,
        sum(b.volume for b in before),
        per_minute * len(before) * width,
        config,
    )


def _storm_gate(components: tuple[Component, ...], base: Baseline, t: WindowTotals, hour: WindowTotals, config):
    """Why a storm may not page (None if it may): the rules that keep noise at info whatever the score."""
    negativity = sum(c.contribution for c in components if c.name in ("negative_share", "crisis_terms"))
    if negativity < config.negativity_gate:
        return "volume_only"  # a launch, a contest, good press
    # Twice the most negatives beyond the expected that ordinary traffic brought in four weeks (its second
    # peak: one complaint and its reposts on a quiet brand, a bad Monday morning on a large one). A new
    # record is not a storm: records happen every few weeks; twice the record does not.
    excess = t.negative - base.negative_share * base.expected_volume
    if t.negative < config.min_negative or excess <= config.ordinary_peak_margin * base.negative_peak:
        return "ordinary_peak"
    # A short window must agree with the last hour: five negatives in 15 minutes amid an hour of cheerful
    # launch posts are one complaint and its reposts, not a storm.
    if hour.volume and hour.negative / hour.volume - base.negative_share < config.negative_lift[0]:
        return "one_burst"
    return None


def _storm_severity(score: int, gate: str | None, base: Baseline, config: DetectionConfig) -> str | None:
    severity = severity_for(score, config)
    if severity is None or gate is not None:
        return severity and "info"
    if base.thin and severity == "critical":
        return "warning"  # a storm on a brand we barely know: page, but do not claim certainty
    return severity


def detect_storm(
    recent: Sequence[Bucket],
    baseline: Baseline,
    config: DetectionConfig,
    *,
    now: datetime,
    tz: str,
    velocity: Component | None = None,
) -> Finding | None:
    """Score the window of `baseline` (the last `baseline.window_minutes` of `recent`, which ends at `now`).

    Earlier buckets in `recent` only serve the velocity, unless the caller computed it (`velocity`) from a
    finer baseline. Returns None under the info score. `mention_ids` is left empty: buckets do not keep
    mentions; `evaluate` fills it in.
    """
    width = (recent[1].start - recent[0].start).total_seconds() / 60 if len(recent) > 1 else config.bucket_minutes
    window = recent[-max(1, round(baseline.window_minutes / width)) :]
    t = add_up(window)
    volume = _volume(t, baseline, config)
    if velocity is None:
        velocity = _flat_velocity(recent, baseline, config)
    if volume.contribution == 0:  # an acceleration of nothing unusual (a burst of reposts) is not a storm
        velocity = dataclasses.replace(velocity, contribution=0.0)
    components = (
        volume,
        _negative_share(t, baseline, config),
        _crisis_terms(t, baseline, config),
        _reach(t, baseline, config),
        velocity,
    )
    score = min(100, round(sum(c.contribution for c in components)))
    hour = add_up(recent[-round(60 / width) :]) if baseline.window_minutes < 60 else t
    gate = _storm_gate(components, baseline, t, hour, config)
    severity = _storm_severity(score, gate, baseline, config)
    if severity is None:
        return None
    return Finding(
        kind="storm",
        severity=severity,
        score=score,
        components=components,
        window_start=now - timedelta(minutes=baseline.window_minutes),
        window_end=now,
        mention_ids=(),
        facts=_storm_facts(t, baseline, config, gate),
    )


def _storm_facts(t: WindowTotals, base: Baseline, config: DetectionConfig, gate: str | None) -> dict:
    per_hour = 60 / base.window_minutes
    big = sorted(((a, r) for a, r in t.negative_authors.items() if r >= config.big_author_reach), key=lambda x: -x[1])
    return {
        "window_minutes": base.window_minutes,
        "volume": t.volume,
        "expected": round(base.expected_volume, 2),
        "rate_per_hour": round(t.volume * per_hour, 1),
        "expected_per_hour": round(base.expected_volume * per_hour, 1),
        "weekday": base.hour_of_week // 24,
        "hour": base.hour_of_week % 24,
        "negative": t.negative,
        "negative_share": round(t.negative / t.volume, 3) if t.volume else 0.0,
        "usual_negative_share": round(base.negative_share, 3),
        "complaints": t.complaint,
        "crisis_mentions": t.crisis_terms,
        "top_terms": [[term, count] for term, count in t.terms.most_common(5)],
        "big_authors": [[a, r] for a, r in big[:5] if not a.startswith("#anonymous")],
        "big_author_count": len(big),
        "big_author_reach": config.big_author_reach,
        "sources": len(t.by_source),
        "volume_only": gate == "volume_only",
        "gate": gate,  # why it stays at info despite its score: volume_only, ordinary_peak, one_burst
        "ordinary_negative_peak": round(base.negative_peak, 1),
        "thin_history": base.thin,
    }


def _high_risk_points(p: MentionPoint, config: DetectionConfig) -> tuple[float, float] | None:
    """(risk points, reach points) of a mention that qualifies as high-risk, else None."""
    reach = p.author_reach or 0
    if not p.crisis_terms or reach < config.high_risk_reach or p.risk < config.high_risk_min_risk:
        return None
    return 0.7 * p.risk, min(30.0, 10 + 10 * math.log10(reach / config.high_risk_reach))


def detect_high_risk_mentions(points: Sequence[MentionPoint], config: DetectionConfig) -> list[Finding]:
    """Mentions with crisis terms, a high risk and a large audience: one finding per brand (or none).

    No baseline: one such post can start a crisis at 3:00 on a Sunday, when no volume has moved yet. All
    such mentions of the evaluation go into one finding (one incident per brand and kind, as for storms):
    ten big accounts relaying the same scandal are one thing to handle, not ten pages. The score is the
    riskiest mention's.
    """
    scored = [(points_, p) for p in points if (points_ := _high_risk_points(p, config)) is not None]
    if not scored:
        return []
    scored.sort(key=lambda sp: (-(sp[0][0] + sp[0][1]), -(sp[1].author_reach or 0), sp[1].mention_id))
    (risk_points, reach_points), top = scored[0]
    score = min(100, round(risk_points + reach_points))
    reach = top.author_reach or 0
    terms = sorted(set(top.crisis_terms))
    authors = {p.author or f"mention:{p.mention_id}" for _, p in scored}
    components = (
        Component("risk", top.risk, risk_points, f"risk {top.risk} from the scorer"),
        Component("reach", reach, reach_points, f"author reach {reach:,}"),
        Component("crisis_terms", len(terms), 0.0, ", ".join(terms)),
    )
    by_audience = sorted((p for _, p in scored), key=lambda p: (-(p.author_reach or 0), -p.risk, p.mention_id))
    finding = Finding(
        kind="high_risk_mention",
        severity=severity_for(score, config) if score >= config.warning_score else "warning",
        score=score,
        components=components,
        window_start=min(p.published_at for _, p in scored),
        window_end=max(p.published_at for _, p in scored),
        mention_ids=tuple(p.mention_id for p in by_audience),
        facts={
            "author": top.author,
            "reach": reach,
            "risk": top.risk,
            "terms": terms,
            "published_at": top.published_at.isoformat(),
            "mentions": len(scored),
            "authors": len(authors),
        },  # fmt: skip
    )
    return [finding]
