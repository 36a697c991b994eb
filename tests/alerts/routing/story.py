"""The shared setting of the routing stories: a Paris hotel chain, its calendar, its routes, a storm, a clock."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.routing import Calendar, EscalationStep, IncidentFacts, Plan, Route, RouteLog, Silence, plan

PARIS = ZoneInfo("Europe/Paris")
BRAND = "Hôtel Lumière"
# French public holidays of spring 2025: Easter Monday, 1 May, Ascension, Whit Monday.
HOLIDAYS = frozenset({date(2025, 4, 21), date(2025, 5, 1), date(2025, 5, 29), date(2025, 6, 9)})
CALENDAR = Calendar("Europe/Paris", holidays=HOLIDAYS)

ON_CALL = Route(
    "astreinte",
    ("slack:astreinte",),
    when="on_call",
    escalation=(
        EscalationStep(timedelta(minutes=15), ("email:manager",)),
        EscalationStep(timedelta(minutes=30), ("sms:direction",)),
    ),
)
OFFICE = Route("bureau", ("slack:community",), when="office_hours")
ALWAYS = Route("toujours", ("webhook:crm",))


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Paris wall-clock time as the UTC instant the app would pass."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def local(at: datetime) -> str:
    """How a Paris CM reads an instant: 'Sun 22:02'."""
    return at.astimezone(PARIS).strftime("%a %H:%M")


def storm(opened_at: datetime, *, severity: str = "warning", peak: int = 55, **changes: object) -> IncidentFacts:
    """A storm of negative mentions about the brand, open since `opened_at`."""
    incident = IncidentFacts(
        id=1,
        brand=BRAND,
        kind="storm",
        severity=severity,
        status="open",
        score=peak,
        peak_score=peak,
        opened_at=opened_at,
        changed_at=opened_at,
    )
    return dataclasses.replace(incident, **changes)  # type: ignore[arg-type]


def sent(result: Plan) -> list[tuple[str, str]]:
    return [(n.channel, n.reason) for n in result.notifications]


def decide(
    incident: IncidentFacts, route: Route, log: RouteLog | None, now: datetime, silences: Sequence[Silence] = ()
) -> Plan:
    return plan(incident, route, log, now=now, calendar=CALENDAR, silences=silences)


def simulate(
    timeline: Sequence[tuple[datetime, IncidentFacts]],
    route: Route,
    *,
    until: datetime,
    silences: Sequence[Silence] = (),
    every: timedelta | None = None,
) -> list[tuple[str, str, str]]:
    """Play the app: call plan at each incident change and each wake_at (or every `every`); list what is sent.

    Each call is checked the way the app relies on it: wake_at is in the future, and calling again at the
    same instant with the new log sends nothing (no duplicate if the worker runs twice).
    """
    log: RouteLog | None = None
    wake: datetime | None = None
    changes = list(timeline)
    incident = changes[0][1]
    now = changes[0][0]
    out: list[tuple[str, str, str]] = []
    while now <= until:
        while changes and changes[0][0] <= now:
            incident = changes.pop(0)[1]
        result = decide(incident, route, log, now, silences)
        assert result.wake_at is None or result.wake_at > now, (local(now), result.wake_at)
        assert decide(incident, route, result.log, now, silences).notifications == (), local(now)
        out += [(local(now), n.channel, n.reason) for n in result.notifications]
        log, wake = result.log, result.wake_at
        upcoming = [t for t in (wake, changes[0][0] if changes else None) if t is not None]
        if every is not None:
            upcoming = [now + every]
        if not upcoming:
            break
        now = min(upcoming)
    return out
