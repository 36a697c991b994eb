"""Routes: which incidents a set of channels hears about (brand, kind, severity), when, and how insistently."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import timedelta

from alerts.detection.config import severity_rank
from alerts.detection.findings import KINDS
from alerts.routing.facts import IncidentFacts

# "info" is not routable: info incidents only go to the alert feed and the digest, never to a page.
ROUTABLE_SEVERITIES = ("warning", "critical")
WINDOWS = ("always", "office_hours", "on_call")


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """Who else hears about an incident still unacknowledged `after` the route's first notification."""

    after: timedelta
    channels: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(self.channels))
        if self.after <= timedelta(0):
            raise ValueError("an escalation step's `after` must be positive; list immediate channels in the route")
        if not self.channels:
            raise ValueError("an escalation step needs at least one channel")


@dataclass(frozen=True, slots=True)
class Route:
    """A rule of the routing tree: matchers, a time window, channels and the timers of their notifications."""

    name: str
    channels: tuple[str, ...]
    _: KW_ONLY
    brands: frozenset[str] = frozenset()  # empty = every brand
    kinds: frozenset[str] = frozenset()  # empty = every kind
    min_severity: str = "warning"
    when: str = "always"  # "always" | "office_hours" | "on_call" (nights, weekends, holidays)
    # Wait before the first message, so that it carries the grown storm rather than its first minute.
    group_wait: timedelta = timedelta(minutes=2)
    group_interval: timedelta = timedelta(minutes=10)  # updates at most this often
    repeat_interval: timedelta = timedelta(hours=1)  # reminders while unacknowledged; 0 = never
    escalation: tuple[EscalationStep, ...] = ()
    notify_resolved: bool = True

    def __post_init__(self) -> None:
        for name in ("brands", "kinds"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "escalation", tuple(self.escalation))
        where = f"route {self.name!r}"
        if not self.name:
            raise ValueError("a route needs a name")
        if self.min_severity not in ROUTABLE_SEVERITIES:
            raise ValueError(
                f"{where}: min_severity must be 'warning' or 'critical', not {self.min_severity!r}; "
                "info incidents only go to the alert feed and the digest"
            )
        if self.when not in WINDOWS:
            raise ValueError(f"{where}: when must be one of {', '.join(WINDOWS)}, not {self.when!r}")
        if unknown := sorted(self.kinds - set(KINDS)):
            raise ValueError(f"{where}: unknown incident kinds {unknown}; kinds are {', '.join(KINDS)}")
        _check_channels(where, self.channels)
        _check_timers(where, self)


def _check_channels(where: str, channels: tuple[str, ...]) -> None:
    if not channels:
        raise ValueError(f"{where}: needs at least one channel")
    if not all(channels):
        raise ValueError(f"{where}: channel names cannot be empty")
    if len(set(channels)) != len(channels):
        raise ValueError(f"{where}: a channel is listed twice in {list(channels)}")


def _check_timers(where: str, route: Route) -> None:
    for name in ("group_wait", "group_interval", "repeat_interval"):
        if getattr(route, name) < timedelta(0):
            raise ValueError(f"{where}: {name} cannot be negative")
    afters = [step.after for step in route.escalation]
    if any(later <= earlier for earlier, later in zip(afters, afters[1:], strict=False)):
        raise ValueError(f"{where}: escalation steps must be in strictly increasing `after` order, got {afters}")


def route_matches(route: Route, incident: IncidentFacts) -> bool:
    """The static matchers: brand, kind, and severity at least the route's minimum."""
    return (
        (not route.brands or incident.brand in route.brands)
        and (not route.kinds or incident.kind in route.kinds)
        and severity_rank(incident.severity) >= severity_rank(route.min_severity)
    )


def route_audience(route: Route, escalation_step: int) -> tuple[str, ...]:
    """The route's channels plus those of the escalation steps already reached, each once."""
    channels = list(route.channels)
    for step in route.escalation[:escalation_step]:
        channels += step.channels
    return tuple(dict.fromkeys(channels))


def reached_step(route: Route, elapsed: timedelta) -> int:
    """How many escalation steps are due `elapsed` after the first notification."""
    return sum(1 for step in route.escalation if step.after <= elapsed)
