"""Detection settings: one frozen object per brand, with defaults that hold from 5 mentions a day to 500 an hour.

Nothing here is a raw count threshold that only fits one brand size. Counts are judged against the brand's
own baseline with an over-dispersed (negative-binomial) variance, and the fixed minimums are small absolute
floors that only matter for quiet brands, where one or two mentions must never look like a peak.
`eval/storms.py` measures these defaults on simulated brands of three sizes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True, slots=True)
class DetectionConfig:
    """Thresholds and weights of the detectors; `for_brand` applies a brand's overrides."""

    # --- series and baseline
    bucket_minutes: int = 5  # the polling period: finer buckets would only add noise
    history_days: int = 28  # four of each weekday: enough for a weekly rhythm, short enough to follow a trend
    storm_windows_minutes: tuple[int, ...] = (15, 60, 180)  # sudden bursts, fast storms, slow ramps
    baseline_gap_minutes: int = 180  # the latest hours never feed the baseline: a forming storm is not normal
    # How far an hour may stray from its prior (relative), which sets how much the prior weighs against the
    # data (see estimate.pseudo_hours): Monday 9:00 may differ by ~30 % from other weekday 9:00s; an hour
    # of the day may differ from the day's mean by ~100 % (nights are quiet).
    shrink_week: float = 0.3
    shrink_day: float = 1.0
    min_rate_per_hour: float = 0.05  # expected-rate floor: a brand with no history is not "expected to be silent"
    variance_floor: float = 1.5  # no window variance below this: 2 mentions on a dead-quiet hour are not a peak
    cluster_prior: float = 2.0  # φ: a mention comes with about one repost, until the history says otherwise
    cluster_bounds: tuple[float, float] = (1.0, 20.0)
    dispersion_prior: float = 0.1  # α: hours swing by about ±30 % around their mean
    dispersion_bounds: tuple[float, float] = (0.01, 3.0)
    variance_prior_hours: float = 48.0  # the priors on φ and α weigh as two days of history
    # Incident periods are widened before they leave the baseline: a storm starts before it is detected and
    # its tail outlives the incident (which resolves once the score is low, not once traffic is normal).
    exclude_before_minutes: int = 60
    exclude_after_minutes: int = 240
    winsor_sigmas: float = 4.0  # history hours above mean + 4 sd (robust) are clipped: a past launch not marked
    ordinary_peak_rank: int = 2  # the 2nd-largest negative excess of the history is what ordinary traffic reaches
    ordinary_peak_margin: float = 2.0  # a warning needs more than twice that excess of negatives
    usual_negative_prior: float = 0.2  # ordinary brands: 15-25 % of mentions are negative
    prior_mentions: float = 20.0  # weight of the priors on shares, in mentions
    min_evidence: int = 30  # history mentions below which the baseline is "thin" (storms capped at warning)

    # --- storm score: weights add up to 100; volume + velocity alone (35) stay under warning
    weight_volume: float = 25.0
    weight_negative: float = 35.0
    weight_crisis: float = 20.0
    weight_reach: float = 10.0
    weight_velocity: float = 10.0
    volume_z: tuple[float, float] = (2.0, 6.0)  # volume surprise (z, over-dispersed): none at 2, full at 6
    negative_lift: tuple[float, float] = (0.05, 0.30)  # negative share above the usual one: 0 to full points
    negative_z: tuple[float, float] = (1.0, 3.0)  # confidence in that lift (binomial, repost-inflated)
    crisis_z: tuple[float, float] = (1.0, 5.0)  # mentions with crisis terms, against their usual rate
    big_author_reach: int = 10_000  # an author from whom one post reaches more than a small town
    reach_full: float = 4.0  # reach points: log10(reach / 10k) + 1 per big negative author; 4 = full
    velocity_minutes: int = 15  # the last 15 minutes against the 45 before
    velocity_ratio: tuple[float, float] = (1.5, 4.0)
    min_volume: int = 4  # fewer mentions in a window are never a volume surprise
    min_negative: int = 8  # fewer negatives never page: one complaint and its reposts can make seven
    negativity_gate: float = 15.0  # negative-share + crisis points needed above info: volume alone stays info

    # --- severities (storm score bands) and the incident lifecycle
    info_score: int = 20
    warning_score: int = 45
    critical_score: int = 70
    open_score: int = 30  # an incident opens from here; it calms only below info_score (hysteresis)
    grow_points: int = 15  # a rise this large over the incident's peak is news, even at the same severity
    resolve_after: int = 6  # calm evaluations in a row before auto-resolve: 30 minutes at 5-minute polling

    # --- high-risk single mention
    high_risk_reach: int = 50_000
    high_risk_critical_reach: int = 500_000
    high_risk_min_risk: int = 65  # crisis word + negativity + reach; blame words from a big account stay below
    high_risk_lookback_minutes: int = 60  # a mention stays a finding this long, so the incident is stable

    # --- silence
    # From 2 hours: a feed polled hourly, or a news site publishing in batches, has quiet hours by design.
    silence_windows_minutes: tuple[int, ...] = (120, 180, 360, 720, 1440, 2880, 4320)
    silence_p: float = 0.0001  # P(this few | a calm day) below which quiet is silence; tested every 5 minutes
    silence_calm_factor: float = 0.3  # a calm day (holiday, sunny Sunday) can bring 30 % of the usual mentions
    silence_max_fraction: float = 0.1  # and at most this share of the expected mentions arrived
    silence_min_share: float = 0.05  # sources under 5 % of the brand's volume are too sparse to watch alone

    max_mention_ids: int = 50

    def __post_init__(self) -> None:
        if not self.info_score <= self.open_score <= self.warning_score <= self.critical_score <= 100:
            raise ValueError("scores must satisfy info <= open <= warning <= critical <= 100")
        if self.weight_volume + self.weight_velocity >= self.warning_score:
            raise ValueError("volume and velocity alone must stay under the warning score")
        if 60 % self.bucket_minutes or any(w % self.bucket_minutes for w in self.storm_windows_minutes):
            raise ValueError("bucket_minutes must divide an hour and every storm window")
        if max(self.storm_windows_minutes) > self.baseline_gap_minutes:
            raise ValueError("the baseline gap must cover the longest storm window")


_DEFAULTS = DetectionConfig()
_LISTS = {"storm_windows_minutes", "silence_windows_minutes"}  # any length; the other tuples are (low, high) pairs


def _checked(name: str, value: Any) -> Any:
    """`value` as the type of the default of `name` (lists become tuples of the same length), or ValueError."""
    default = getattr(_DEFAULTS, name)
    if isinstance(default, tuple):
        size = "numbers" if name in _LISTS else f"{len(default)} numbers"
        fits = isinstance(value, list | tuple) and (len(value) >= 1 if name in _LISTS else len(value) == len(default))
        if not fits:
            raise ValueError(f"{name} must be a list of {size}, like {list(default)}")
        return tuple(_number(name, v, type(default[0])) for v in value)
    return _number(name, value, type(default))


def _number(name: str, value: Any, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and not isinstance(value, int)):
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return kind(value)


def for_brand(overrides: dict[str, Any] | None = None, base: DetectionConfig | None = None) -> DetectionConfig:
    """The defaults (or `base`) with a brand's overrides; unknown keys, wrong types and inconsistent
    thresholds are a ValueError that names the setting."""
    overrides = dict(overrides or {})
    known = {f.name for f in dataclasses.fields(DetectionConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown detection settings: {', '.join(unknown)}")
    checked = {name: _checked(name, value) for name, value in overrides.items()}
    return dataclasses.replace(base or _DEFAULTS, **checked)


def severity_rank(severity: str | None) -> int:
    """0 for none, then info < warning < critical."""
    return 0 if severity is None else SEVERITIES.index(severity) + 1
