"""Between two evaluations: does a storm open, grow, go on, calm down or end? Pure; the caller stores state.

Hysteresis keeps one storm one incident: an incident opens from `open_score`, but it only counts as calm
below `info_score` (lower), and it resolves after `resolve_after` calm evaluations in a row. A storm that
dips for one evaluation and comes back is the same incident, not a second page.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.detection.config import DetectionConfig, severity_rank
from alerts.detection.findings import Finding

ACTIONS = ("none", "open", "grow", "continue", "calm", "resolve")


@dataclass(frozen=True, slots=True)
class Assessment:
    """What to do with an incident after one evaluation."""

    action: str  # "none" | "open" | "grow" | "continue" | "calm" | "resolve"
    calm_streak: int  # to store for the next evaluation
    record: Finding | None  # the finding to keep on the incident (its peak): the `previous` of next time
    notify: bool  # open and grow are news worth a message; the rest is not


def assess(
    previous: Finding | None, current: Finding | None, *, calm_streak: int, config: DetectionConfig
) -> Assessment:
    """Decide from the incident's recorded finding (`previous`, None when no incident is open) and this evaluation.

    `previous` should be the finding recorded at open or at the last grow (its peak), not the last
    evaluation's: a storm climbing 5 points at a time must still be reported once it has climbed 15.
    """
    if previous is None:
        if current is not None and current.score >= config.open_score:
            return Assessment("open", 0, current, True)
        return Assessment("none", 0, None, False)
    if current is None or current.score < config.info_score:
        streak = calm_streak + 1
        if streak >= config.resolve_after:
            return Assessment("resolve", streak, previous, True)
        return Assessment("calm", streak, previous, False)
    grew = severity_rank(current.severity) > severity_rank(previous.severity) or (
        current.score >= previous.score + config.grow_points
    )
    if grew:
        return Assessment("grow", 0, current, True)
    return Assessment("continue", 0, previous, False)
