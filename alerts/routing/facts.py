"""What routing needs to know of an incident: plain facts, copied from the incident row by the app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts.detection.config import SEVERITIES
from alerts.detection.findings import KINDS
from alerts.routing.calendar import require_aware

STATUSES = ("open", "acknowledged", "resolved")


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """One incident as the planner sees it; all datetimes UTC-aware."""

    id: int
    brand: str | None
    kind: str  # "storm" | "high_risk_mention" | "silence"
    severity: str  # "info" | "warning" | "critical"
    status: str  # "open" | "acknowledged" | "resolved"
    score: int
    peak_score: int
    opened_at: datetime
    changed_at: datetime  # its latest "updated"/"escalated" timeline event, else opened_at
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    snoozed_until: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"incident {self.id}: unknown kind {self.kind!r}; kinds are {', '.join(KINDS)}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"incident {self.id}: unknown severity {self.severity!r}")
        if self.status not in STATUSES:
            raise ValueError(f"incident {self.id}: unknown status {self.status!r}")
        for name in ("opened_at", "changed_at", "acknowledged_at", "resolved_at", "snoozed_until"):
            if (value := getattr(self, name)) is not None:
                require_aware(value, name)
