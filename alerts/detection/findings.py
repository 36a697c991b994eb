"""What a detector reports: a finding, its score and the components that make it, ready to explain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from alerts.detection.config import SEVERITIES, DetectionConfig

KINDS = ("storm", "high_risk_mention", "silence")


@dataclass(frozen=True, slots=True)
class Component:
    """One visible part of a score: the measured value, the points it adds, and a one-line reason."""

    name: str
    value: float
    contribution: float
    detail: str


@dataclass(frozen=True, slots=True)
class Finding:
    """Something worth an incident, with everything needed to explain it."""

    kind: str  # "storm" | "high_risk_mention" | "silence"
    severity: str  # "info" | "warning" | "critical"
    score: int  # 0-100
    components: tuple[Component, ...]
    window_start: datetime
    window_end: datetime
    mention_ids: tuple[int, ...]  # contributing mentions, most important first (reach, risk)
    facts: dict = field(default_factory=dict)  # numbers for the explanation
    subject: str = ""  # what the finding is about within its kind: "" (the brand), "author:x", "source:12"

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.severity not in SEVERITIES:
            raise ValueError(f"unknown kind or severity: {self.kind!r}, {self.severity!r}")

    def dedup_key(self, brand_id: int) -> str:
        """Stable across evaluations: one storm per brand, one incident per big author or silent source."""
        key = f"brand:{brand_id}:{self.kind}"
        return f"{key}:{self.subject}" if self.subject else key

    def component(self, name: str) -> Component | None:
        """The component called `name`, if any."""
        return next((c for c in self.components if c.name == name), None)


def severity_for(score: float, config: DetectionConfig) -> str | None:
    """The severity band of a score, None under info."""
    if score >= config.critical_score:
        return "critical"
    if score >= config.warning_score:
        return "warning"
    return "info" if score >= config.info_score else None


def ramp(value: float, low: float, high: float) -> float:
    """0 at `low` and below, 1 at `high` and above, linear in between."""
    if value <= low:
        return 0.0
    return 1.0 if value >= high else (value - low) / (high - low)
