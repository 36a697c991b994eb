"""The alert role's detection step: evaluate each brand, then open, grow, calm or resolve its incidents.

The decisions are alerts.detection's (pure); this module loads what they need and stores what they decide.
Live detection, imported history and `vigie backtest` all go through `detect_brand` at a given `now`, so they
open the same incidents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from alerts.detection.config import DetectionConfig, for_brand, severity_rank
from alerts.detection.evaluate import FUTURE_TOLERANCE, evaluate_brand
from alerts.detection.explain import explain
from alerts.detection.findings import Component, Finding
from alerts.detection.lifecycle import Assessment, assess
from alerts.detection.series import MentionPoint
from alerts.detection.summary import summarize_window
from app.db import reading, writing
from app.db.schema import utcnow
from app.route import route_incident
from app.settings import Settings
from app.storage import incidents as store
from app.storage.brands import list_brands
from app.storage.delivery import reset_route_logs
from app.storage.mentions import brand_mention_points, new_mention_brands
from app.storage.sources import source_names
from app.storage.workspaces import list_workspaces

REOPEN_WITHIN = timedelta(hours=6)  # a flare-up this soon after resolution is the same crisis: reopen it
SCORE_HISTORY = 288  # one day of 5-minute evaluations kept on the incident
ACTOR = "vigie"


def crisis_terms_of(scores: dict[str, Any] | None) -> tuple[str, ...]:
    """The crisis terms a mention's risk reasons list (the `crisis_terms` signal's detail, comma-separated)."""
    signals = ((scores or {}).get("risk") or {}).get("signals") or []
    terms = next((s["detail"] for s in signals if s.get("signal") == "crisis_terms"), "")
    return tuple(t.strip() for t in terms.split(",") if t.strip())


def mention_point(row: dict[str, Any]) -> MentionPoint:
    """A stored mention as detection sees it (crisis terms come from the risk reasons)."""
    engagement = sum(v for v in (row.get("engagement") or {}).values() if isinstance(v, int))
    return MentionPoint(
        mention_id=row["id"],
        published_at=row["published_at"],
        source_id=row["source_id"],
        author=row["author"],
        author_reach=row["author_reach"],
        negative=row["sentiment_label"] == "negative",
        complaint=bool(row["complaint"]),
        risk=row["risk"] or 0,
        crisis_terms=crisis_terms_of(row.get("scores")),
        engagement=engagement,
        sentiment=row["sentiment_label"],
    )


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """A finding as JSON (stored on the incident: the recorded peak that the next evaluation compares with)."""
    return {
        "kind": f.kind,
        "severity": f.severity,
        "score": f.score,
        "subject": f.subject,
        "components": [
            {"name": c.name, "value": c.value, "contribution": c.contribution, "detail": c.detail} for c in f.components
        ],
        "window_start": f.window_start.isoformat(),
        "window_end": f.window_end.isoformat(),
        "mention_ids": list(f.mention_ids),
        "facts": f.facts,
    }


def finding_from_dict(d: dict[str, Any]) -> Finding:
    """The inverse of finding_to_dict."""
    return Finding(
        kind=d["kind"],
        severity=d["severity"],
        score=d["score"],
        subject=d.get("subject", ""),
        components=tuple(Component(**c) for c in d["components"]),
        window_start=datetime.fromisoformat(d["window_start"]),
        window_end=datetime.fromisoformat(d["window_end"]),
        mention_ids=tuple(d["mention_ids"]),
        facts=d.get("facts", {}),
    )


def detect_brand(
    conn: sa.Connection,
    *,
    workspace: dict[str, Any],
    brand: dict[str, Any],
    now: datetime,
    config: DetectionConfig | None = None,
    settings: Settings | None = None,
    quick: bool = False,
    live: bool = False,
) -> list[str]:
    """Evaluate one brand at `now` and apply the result to its incidents; returns what happened, for logs.

    With `settings`, every incident opened, grown or resolved goes through the route stage in the same
    transaction (the outbox); without (backtests, history replays), nothing is routed.

    `config` defaults to the detection defaults with the brand's own overrides."""
    config = config or for_brand(brand.get("detection"))
    # Live, a source's clock may run a little ahead of ours: such mentions count now (evaluate moves them into
    # the last minute). Replays see only what was published by `now`, as polling would have.
    until = now + FUTURE_TOLERANCE if live else now
    rows = brand_mention_points(
        conn,
        workspace_id=workspace["id"],
        brand_id=brand["id"],
        since=now - timedelta(days=config.history_days),
        until=until,
    )
    since = now - timedelta(days=config.history_days)
    excluded = store.incident_periods(conn, workspace_id=workspace["id"], brand_id=brand["id"], since=since, now=now)
    points = [mention_point(r) for r in rows]
    findings = evaluate_brand(points, now=now, tz=workspace["timezone"], config=config, excluded=excluded)
    current = {f.dedup_key(brand["id"]): f for f in findings}
    live = {i["dedup_key"]: i for i in store.live_incidents(conn, workspace_id=workspace["id"], brand_id=brand["id"])}
    scope = _Scope(workspace, brand, points, source_names(conn, workspace_id=workspace["id"]) if current else {})
    done = []
    for key in sorted(set(current) | set(live)):
        action = _apply(conn, scope, key, live.get(key), current.get(key), now, config, quick)
        done.append(action)
        if settings is not None and action in ("open", "grow", "resolve"):
            _route(conn, workspace, key, settings, now)
    return [d for d in done if d != "none"]


def _route(conn: sa.Connection, workspace: dict, key: str, settings: Settings, now: datetime) -> None:
    incident = store.latest_incident(conn, workspace_id=workspace["id"], dedup_key=key)
    if incident is not None:
        route_incident(conn, workspace=workspace, incident=incident, settings=settings, now=now)


@dataclass(slots=True)
class _Scope:
    """What one evaluation of one brand shares with each of its incidents."""

    workspace: dict[str, Any]
    brand: dict[str, Any]
    points: list[MentionPoint]
    source_names: dict[int, str]


def _apply(
    conn: sa.Connection,
    scope: _Scope,
    key: str,
    incident: dict | None,
    finding: Finding | None,
    now: datetime,
    config: DetectionConfig,
    quick: bool = False,
) -> str:
    previous = finding_from_dict(incident["summary"]["recorded"]) if incident else None
    verdict = assess(previous, finding, calm_streak=incident["calm_streak"] if incident else 0, config=config)
    if quick and verdict.action not in ("open", "grow"):
        return "none"  # calm, resolution and bookkeeping happen on the grid evaluations only
    if verdict.action == "open":
        _open(conn, scope, key, verdict, now)
    elif incident is not None and verdict.action in ("grow", "continue"):
        _update(conn, scope, incident, verdict, finding, now)
    elif incident is not None and verdict.action == "calm":
        store.update_incident(conn, incident_id=incident["id"], values={"calm_streak": verdict.calm_streak})
    elif incident is not None and verdict.action == "resolve":
        values = {
            "status": "resolved",
            "resolved_at": now,
            "resolution": "auto",
            "updated_at": now,
            "calm_streak": verdict.calm_streak,
        }
        store.update_incident(conn, incident_id=incident["id"], values=values)
        _event(conn, incident["id"], "resolved", incident["severity"], incident["score"], now, reason="auto")
    return verdict.action


def _event(
    conn: sa.Connection, incident_id: int, type: str, severity: str, score: int, at: datetime, **detail: Any
) -> None:
    store.add_event(
        conn, incident_id=incident_id, type=type, at=at, severity=severity, score=score, actor=ACTOR, detail=detail
    )


def _fields(scope: _Scope, f: Finding, now: datetime, history: list, since: datetime) -> dict[str, Any]:
    """The incident's fields after this evaluation; counts and the summary cover the whole incident (`since`)."""
    workspace, brand = scope.workspace, scope.brand
    window = summarize_window(
        scope.points, since=min(since, f.window_start), until=now, source_names=scope.source_names
    )
    return {
        "severity": f.severity,
        "score": f.score,
        "mention_count": window["mentions"],
        "window_end": max(f.window_end, now),
        "explanation": explain(f, lang=workspace["language"], brand=brand["name"], tz=workspace["timezone"]),
        "updated_at": now,
        "calm_streak": 0,
        "peak_rate": f.facts.get("rate_per_hour"),
        "summary": {
            "recorded": finding_to_dict(f),
            "score_history": (history + [[now.isoformat(), f.score]])[-SCORE_HISTORY:],
            **window,
        },
    }


def _open(conn: sa.Connection, scope: _Scope, key: str, verdict: Assessment, now: datetime) -> None:
    f = verdict.record
    assert f is not None
    workspace, brand = scope.workspace, scope.brand
    reopened = store.last_resolved_since(conn, workspace_id=workspace["id"], dedup_key=key, since=now - REOPEN_WITHIN)
    values = _fields(scope, f, now, [], reopened["window_start"] if reopened else f.window_start)
    if reopened is not None:
        values.update(
            status="open",
            resolved_at=None,
            resolution=None,
            resolution_note=None,
            acknowledged_at=None,
            peak_score=max(reopened["peak_score"], f.score),
        )
        store.update_incident(conn, incident_id=reopened["id"], values=values)
        incident_id, kind = reopened["id"], "reopened"
        reset_route_logs(conn, incident_id=incident_id)  # it pages again, like a new incident
    else:
        values.update(
            workspace_id=workspace["id"],
            brand_id=brand["id"],
            kind=f.kind,
            dedup_key=key,
            status="open",
            peak_score=f.score,
            window_start=f.window_start,
            opened_at=now,
        )
        incident_id, kind = store.create_incident(conn, values=values), "opened"
        if incident_id is None:
            return  # another alert worker opened it a moment ago
    store.link_mentions(conn, incident_id=incident_id, mention_ids=list(f.mention_ids))
    _event(conn, incident_id, kind, f.severity, f.score, now, explanation=values["explanation"])


def _update(
    conn: sa.Connection,
    scope: _Scope,
    incident: dict,
    verdict: Assessment,
    finding: Finding | None,
    now: datetime,
) -> None:
    shown = finding or verdict.record
    assert shown is not None
    history = incident["summary"].get("score_history", [])
    values = _fields(scope, shown, now, history, incident["window_start"])
    values["peak_score"] = max(incident["peak_score"], shown.score)
    if verdict.action == "continue":  # keep the recorded peak: the next evaluation compares with it
        values["summary"]["recorded"] = incident["summary"]["recorded"]
    store.update_incident(conn, incident_id=incident["id"], values=values)
    store.link_mentions(conn, incident_id=incident["id"], mention_ids=list(shown.mention_ids))
    if verdict.action == "grow":
        escalated = severity_rank(shown.severity) > severity_rank(incident["severity"])
        _event(
            conn,
            incident["id"],
            "escalated" if escalated else "updated",
            shown.severity,
            shown.score,
            now,
            explanation=values["explanation"],
        )


def replay(
    conn: sa.Connection,
    *,
    workspace: dict[str, Any],
    brands: list[dict[str, Any]],
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(minutes=5),
    config: DetectionConfig | None = None,
) -> int:
    """Run detection for `brands` at every `step` from `start` to `end`, as live polling would have; returns
    how many evaluations changed an incident. Used for imported history and by `vigie backtest`.

    Steps with no mention in the longest storm window and no live incident are skipped: nothing can open
    there (silences are a live concern: a collector that was down in the past is not news), so replaying
    months of history costs what its busy hours cost.
    """
    changes = 0
    for brand in brands:
        brand_config = config or for_brand(brand.get("detection"))
        reach = timedelta(minutes=max(brand_config.storm_windows_minutes))
        rows = brand_mention_points(
            conn, workspace_id=brand["workspace_id"], brand_id=brand["id"], since=start - reach, until=end
        )
        times = [r["published_at"] for r in rows]
        live = bool(store.live_incidents(conn, workspace_id=workspace["id"], brand_id=brand["id"]))
        # On the polling grid (every `step` since the epoch), as live ticks land: replayed and live detection
        # evaluate at the same instants, so they open the same incidents.
        index, now = 0, _ceil(start, step)
        while now <= end:
            while index < len(times) and times[index] <= now - reach:
                index += 1
            if live or (index < len(times) and times[index] <= now):
                done = detect_brand(conn, workspace=workspace, brand=brand, now=now, config=brand_config)
                changes += len(done)
                live = bool(store.live_incidents(conn, workspace_id=workspace["id"], brand_id=brand["id"]))
            now += step
    return changes


def _ceil(at: datetime, step: timedelta) -> datetime:
    width = step.total_seconds()
    return datetime.fromtimestamp(-(-at.timestamp() // width) * width, at.tzinfo)


class DetectWorker:
    """The alert role's clock job. Every 5 minutes (on the polling grid, like replays) it evaluates every brand;
    in between, each tick evaluates only the brands with new mentions, so that a crisis mention pages within
    seconds. Those quick evaluations may open or grow incidents but never calm or resolve them: calm is
    counted in grid evaluations, so that "30 minutes of calm" means 30 minutes whatever the traffic."""

    def __init__(
        self,
        engine: sa.Engine,
        settings: Settings | None = None,
        grid: timedelta = timedelta(minutes=5),
        on_change: Callable[[], object] | None = None,
    ):
        self.engine, self.settings, self.grid, self.on_change = engine, settings, grid, on_change
        self.last_grid: datetime | None = None
        self.seen_id: int | None = None

    def tick(self, now: datetime | None = None) -> int:
        """One pass, one transaction per brand; returns how many incidents changed."""
        with reading(self.engine) as conn:  # before taking `now`: a mention seen here is one we evaluate
            fresh, self.seen_id = new_mention_brands(conn, after_id=self.seen_id)
        now = now or utcnow()
        width = self.grid.total_seconds()
        grid_now = datetime.fromtimestamp(now.timestamp() // width * width, now.tzinfo)
        full = self.last_grid is None or grid_now > self.last_grid
        with reading(self.engine) as conn:
            work = [(ws, list_brands(conn, workspace_id=ws["id"])) for ws in list_workspaces(conn)]
        if full:
            self.last_grid = grid_now
        changed = 0
        for workspace, brands in work:
            for brand in brands:
                if full or brand["id"] in fresh:
                    changed += self._evaluate(workspace, brand, now, quick=not full)
        if changed and self.on_change is not None:
            self.on_change()  # deliver at once what this pass routed, rather than at the next deliver tick
        return changed

    def _evaluate(self, workspace: dict, brand: dict, now: datetime, *, quick: bool) -> int:
        with writing(self.engine) as conn:
            if not store.lock_brand_for_detection(conn, brand_id=brand["id"]):
                return 0
            found = detect_brand(
                conn, workspace=workspace, brand=brand, now=now, settings=self.settings, quick=quick, live=True
            )
            return len(found)
