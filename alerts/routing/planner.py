"""The routing decision for one (incident, route): what to send now, the log once sent, when to look again.

The app calls `plan` whenever the incident changes, when silences or routes change, and when the previous
plan's `wake_at` passes; it writes the notifications to the outbox and the new log in the same transaction.

Rules, in the order they apply:

1. Closing messages ("acknowledged", "resolved") go only to `log.notified_channels`, once each, and only if
   the route sent its first message: someone paged must hear it ended, nobody else needs to. They go out
   even when the route no longer matches (the severity fell) and outside the route's window or during a
   snooze, because they end a loop already opened. An active silence holds them back until it ends (a
   silence is an explicit "quiet about this"); "resolved" then replaces a held "acknowledged".
   "resolved" needs `route.notify_resolved`. After it (or a resolution before any message) the route is done.
2. Paging messages (first, update, severity, reminder, escalation) need the route to match statically
   (brand, kind, severity >= min_severity) and not to be muted. Muted = outside the route's `when` window,
   an active matching silence, or the incident snoozed. While muted nothing pages, and wake_at is the
   earliest time both the mute may lift and a timer is due: a timer elapsing during a mute is handled when
   it lifts (escalation then jumps to the highest due step).
3. First: once now >= opened_at + group_wait, to route.channels, if the incident is still open. An incident
   acknowledged or resolved before that never reaches this route at all. A route that starts matching
   later (the storm turned critical) sends its first at once, the storm having had its group_wait.
4. Update: the incident changed since the last message and either its severity rose above the one last
   sent ("severity") or its peak score rose by at least 10 ("update"); at most once per group_interval
   after the last message. Updates continue after acknowledgement (the person handling it must know it got
   worse) but stop at resolution. A severity that falls and rises back is not news.
5. Reminder: while open (not acknowledged), repeat_interval > 0, and repeat_interval since the last message;
   an update sent at the same time replaces it.
6. Escalation: while open, step k is due at first_sent_at + steps[k-1].after. Every step newly due goes
   out as one escalation to the channels of all newly reached steps (a skipped step's people would
   otherwise get reminders of a page they never had), and log.escalation_step jumps to the highest.
7. Audience: updates and reminders go to route.channels plus the channels of the steps already reached.
8. One message per channel per plan: the most important reason wins (resolved > acknowledged > escalation >
   severity > first > update > reminder). Every message renders the incident as it is now, so the dropped
   reason's news is in the kept one, and the log records the incident as sent.
9. wake_at is the earliest pending timer (group_wait end, update throttle end, next reminder, next
   escalation step, mute end), always after now; None when no timer is left (acknowledged with nothing
   pending, resolved, route not matching): only a change of the incident can then make this route act.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from alerts.detection.config import severity_rank
from alerts.routing.calendar import Calendar, require_aware
from alerts.routing.facts import IncidentFacts
from alerts.routing.log import EVENTS, Notification, RouteLog
from alerts.routing.routes import Route, reached_step, route_audience, route_matches
from alerts.routing.silences import Silence, active_silences

MIN_GROWTH = 10  # peak-score points: smaller growth of a storm is not worth a message
PRIORITY = ("resolved", "acknowledged", "escalation", "severity", "first", "update", "reminder")

Want = tuple[str, str]  # (channel, reason), before deduplication


@dataclass(frozen=True, slots=True)
class Plan:
    """What to send now, the log once it is sent, and when to call `plan` again (None = only on a change)."""

    notifications: tuple[Notification, ...]
    log: RouteLog
    wake_at: datetime | None


def plan(
    incident: IncidentFacts,
    route: Route,
    log: RouteLog | None,
    *,
    now: datetime,
    calendar: Calendar,
    silences: Sequence[Silence],
) -> Plan:
    """Decide what `route` sends about `incident` at `now`; see the module docstring for the rules."""
    require_aware(now, "now")
    log = log or RouteLog()
    silenced_until = silence_end(incident, now=now, silences=silences)
    if log.first_sent_at is None:
        return _plan_first(incident, route, log, now, mute_end(incident, route, now, calendar, silenced_until))
    if incident.status == "resolved":
        return _plan_resolved(incident, route, log, now, silenced_until)
    wants: list[Want] = []
    if incident.status == "acknowledged" and not log.acknowledged_sent:
        if silenced_until is not None:
            return Plan((), log, silenced_until)
        wants += [(channel, "acknowledged") for channel in log.notified_channels]
    if not route_matches(route, incident):
        return _finish(_record(log, wants, incident, now, log.escalation_step), wants, [])
    muted_until = mute_end(incident, route, now, calendar, silenced_until)
    step = log.escalation_step
    if muted_until is None:
        paging, step = _paging(incident, route, log, now)
        wants += paging
    new_log = _record(log, wants, incident, now, step)
    timers = _timers(incident, route, new_log)
    if muted_until is not None and timers:
        timers = [max(muted_until, min(timers))]
    return _finish(new_log, wants, timers)


def silence_end(incident: IncidentFacts, *, now: datetime, silences: Sequence[Silence]) -> datetime | None:
    """When the silences muting this incident at `now` are all over; None when none does."""
    ends = [s.ends_at for s in active_silences(silences, incident, now)]
    return max(ends) if ends else None


def mute_end(
    incident: IncidentFacts, route: Route, now: datetime, calendar: Calendar, silenced_until: datetime | None
) -> datetime | None:
    """The earliest time paging on this route may resume; None when it is not muted at `now`."""
    ends = [silenced_until] if silenced_until is not None else []
    in_office = calendar.is_office_hours(now)
    if (route.when == "office_hours" and not in_office) or (route.when == "on_call" and in_office):
        ends.append(calendar.next_change(now))
    if incident.snoozed_until is not None and incident.snoozed_until > now:
        ends.append(incident.snoozed_until)
    # Every reason must be over before paging resumes, so the earliest it can is the latest end.
    return max(ends) if ends else None


def _plan_first(
    incident: IncidentFacts, route: Route, log: RouteLog, now: datetime, muted_until: datetime | None
) -> Plan:
    if incident.status != "open" or not route_matches(route, incident):
        return Plan((), log, None)
    due = incident.opened_at + route.group_wait
    if muted_until is not None or now < due:
        return Plan((), log, max(due, muted_until or due))
    wants = [(channel, "first") for channel in route.channels]
    new_log = _record(log, wants, incident, now, 0)
    return _finish(new_log, wants, _timers(incident, route, new_log))


def _plan_resolved(
    incident: IncidentFacts, route: Route, log: RouteLog, now: datetime, silenced_until: datetime | None
) -> Plan:
    if not route.notify_resolved or log.resolved_sent:
        return Plan((), log, None)
    if silenced_until is not None:
        return Plan((), log, silenced_until)
    wants = [(channel, "resolved") for channel in log.notified_channels]
    return _finish(_record(log, wants, incident, now, log.escalation_step), wants, [])


def _paging(incident: IncidentFacts, route: Route, log: RouteLog, now: datetime) -> tuple[list[Want], int]:
    """Update, reminder and escalation messages due at `now`, with the escalation step reached."""
    assert log.first_sent_at is not None and log.last_sent_at is not None
    audience = route_audience(route, log.escalation_step)
    wants: list[Want] = []
    update = update_reason(incident, log)
    if update is not None and now >= log.last_sent_at + route.group_interval:
        wants += [(channel, update) for channel in audience]
    elif incident.status == "open" and route.repeat_interval and now >= log.last_sent_at + route.repeat_interval:
        wants += [(channel, "reminder") for channel in audience]
    step = log.escalation_step
    if incident.status == "open":
        step = max(step, reached_step(route, now - log.first_sent_at))
        for reached in route.escalation[log.escalation_step : step]:
            wants += [(channel, "escalation") for channel in reached.channels]
    return wants, step


def update_reason(incident: IncidentFacts, log: RouteLog) -> str | None:
    """The update reason ("severity" or "update") if the incident changed enough since the last message."""
    if log.sent_changed_at is not None and incident.changed_at <= log.sent_changed_at:
        return None
    if severity_rank(incident.severity) > severity_rank(log.sent_severity):
        return "severity"
    if log.sent_peak_score is not None and incident.peak_score >= log.sent_peak_score + MIN_GROWTH:
        return "update"
    return None


def _timers(incident: IncidentFacts, route: Route, log: RouteLog) -> list[datetime]:
    """When something would next be due on this route, given the log after this plan's messages."""
    assert log.first_sent_at is not None and log.last_sent_at is not None
    timers = []
    if update_reason(incident, log) is not None:
        timers.append(log.last_sent_at + route.group_interval)
    if incident.status == "open":
        if route.repeat_interval:
            timers.append(log.last_sent_at + route.repeat_interval)
        if log.escalation_step < len(route.escalation):
            timers.append(log.first_sent_at + route.escalation[log.escalation_step].after)
    return timers


def _record(log: RouteLog, wants: list[Want], incident: IncidentFacts, now: datetime, step: int) -> RouteLog:
    """The log once `wants` are sent; the escalation step is recorded even when nothing else is."""
    reasons = {reason for _, reason in wants}
    log = replace(log, escalation_step=step)
    if not wants:
        return log
    log = replace(
        log,
        notified_channels=tuple(dict.fromkeys(log.notified_channels + tuple(channel for channel, _ in wants))),
        reminders=log.reminders + ("reminder" in reasons),
        acknowledged_sent=log.acknowledged_sent or "acknowledged" in reasons,
        resolved_sent=log.resolved_sent or "resolved" in reasons,
    )
    if "first" in reasons:
        log = replace(log, first_sent_at=now)
    if reasons - {"escalation"}:  # the route's audience heard of the incident as it is now
        log = replace(
            log,
            last_sent_at=now,
            sent_severity=incident.severity,
            sent_peak_score=incident.peak_score,
            sent_changed_at=incident.changed_at,
        )
    return log


def _finish(log: RouteLog, wants: list[Want], timers: list[datetime]) -> Plan:
    """Deduplicate per channel (most important reason first) and pick the earliest timer."""
    best: dict[str, str] = {}
    for channel, reason in wants:
        if channel not in best or PRIORITY.index(reason) < PRIORITY.index(best[channel]):
            best[channel] = reason
    notifications = tuple(
        Notification(channel, reason, EVENTS[reason], log.escalation_step) for channel, reason in best.items()
    )
    return Plan(notifications, log, min(timers) if timers else None)
