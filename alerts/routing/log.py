"""The notification log of one (incident, route), stored by the app as JSON, and the notifications themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The webhook event of each reason: a reminder is news of nothing new, an escalation step is a rise.
EVENTS = {
    "first": "incident.opened",
    "update": "incident.updated",
    "severity": "incident.escalated",
    "reminder": "incident.updated",
    "escalation": "incident.escalated",
    "acknowledged": "incident.acknowledged",
    "resolved": "incident.resolved",
}
_TIMES = ("first_sent_at", "last_sent_at", "sent_changed_at")


@dataclass(frozen=True, slots=True)
class RouteLog:
    """What a route has told its channels about one incident so far; the empty log means nothing yet."""

    first_sent_at: datetime | None = None
    # The last message to the route's audience; an escalation reaches new people only and does not move it.
    last_sent_at: datetime | None = None
    sent_severity: str | None = None  # the incident as of that message
    sent_peak_score: int | None = None
    sent_changed_at: datetime | None = None
    reminders: int = 0
    escalation_step: int = 0  # steps already notified
    acknowledged_sent: bool = False
    resolved_sent: bool = False
    notified_channels: tuple[str, ...] = ()  # everyone told so far: they all hear the end of it

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict: datetimes as ISO 8601 strings with their offset."""
        out: dict[str, Any] = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in _TIMES:
            out[name] = out[name].isoformat() if out[name] is not None else None
        out["notified_channels"] = list(self.notified_channels)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RouteLog:
        """The log `to_dict` wrote; missing keys take their defaults, so older stored logs still load."""
        values = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        for name in _TIMES:
            if values.get(name) is not None:
                values[name] = datetime.fromisoformat(values[name])
        if "notified_channels" in values:
            values["notified_channels"] = tuple(values["notified_channels"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Notification:
    """One message to send to one channel."""

    channel: str
    reason: str  # "first" | "update" | "severity" | "reminder" | "escalation" | "acknowledged" | "resolved"
    event: str  # the webhook event, see EVENTS
    escalation_step: int  # the escalation level the incident has reached on this route, 0 before any step
