"""Silences: a time window during which incidents matching brand, kind and severity page nobody.

Matchers are equalities, each None = any, as in Alertmanager: silencing the warnings of a brand during a
product launch still lets a critical storm through. A silence with no matcher at all would mute every
incident of the workspace, so it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from alerts.detection.config import SEVERITIES
from alerts.detection.findings import KINDS
from alerts.routing.calendar import require_aware
from alerts.routing.facts import IncidentFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class Silence:
    """Mute incidents matching every given matcher from `starts_at` (included) to `ends_at` (excluded)."""

    id: int | None = None
    brand: str | None = None
    kind: str | None = None
    severity: str | None = None
    starts_at: datetime
    ends_at: datetime
    comment: str = ""
    created_by: str = ""

    def __post_init__(self) -> None:
        if self.brand is None and self.kind is None and self.severity is None:
            raise ValueError(
                "a silence with no matcher would mute every incident; give it a brand, a kind and/or a severity"
            )
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError(f"silence: unknown kind {self.kind!r}; kinds are {', '.join(KINDS)}")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"silence: unknown severity {self.severity!r}; severities are {', '.join(SEVERITIES)}")
        require_aware(self.starts_at, "starts_at")
        require_aware(self.ends_at, "ends_at")
        if not self.starts_at < self.ends_at:
            raise ValueError("silence: ends_at must be after starts_at")


def silence_matches(silence: Silence, incident: IncidentFacts, at: datetime) -> bool:
    """True when the silence is in force at `at` and every matcher it sets equals the incident's."""
    return (
        silence.starts_at <= at < silence.ends_at
        and silence.brand in (None, incident.brand)
        and silence.kind in (None, incident.kind)
        and silence.severity in (None, incident.severity)
    )


def active_silences(silences: Sequence[Silence], incident: IncidentFacts, at: datetime) -> tuple[Silence, ...]:
    """The silences that mute this incident at `at`."""
    return tuple(s for s in silences if silence_matches(s, incident, at))
