"""Setting up channels, shared by the API and the config file: a channel's row from its spec (keeping the
signing secrets an update does not replace), the URL guard, and the routes that name a channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.alerting import AlertingSpec, ChannelSpec, route_spec_of
from app.netguard import check_public_url
from app.storage import delivery as store
from app.storage.workspaces import get_workspace_by_id, update_workspace


def channel_spec_of(row: dict[str, Any]) -> dict[str, Any]:
    """The spec fields of a stored channel (its URL included: for merging a partial update, never for output)."""
    spec = {"name": row["name"], "kind": row["kind"], "enabled": row["enabled"], "to": row["config"].get("to", [])}
    if row["secrets"].get("url"):
        spec["url"] = row["secrets"]["url"]
    return spec


def primary_secret(row: dict[str, Any]) -> str | None:
    """The webhook channel's current signing secret (the one without an end), or None."""
    return next((s["secret"] for s in row["secrets"].get("signing", []) if s.get("expires_at") is None), None)


def rotation_ends_at(row: dict[str, Any], now: datetime) -> datetime | None:
    """When the previous signing secrets of a rotation stop being valid; None when no rotation is under way."""
    ends = [datetime.fromisoformat(s["expires_at"]) for s in row["secrets"].get("signing", []) if s.get("expires_at")]
    return max((e for e in ends if e > now), default=None)


def channel_values(spec: ChannelSpec, current: dict[str, Any] | None) -> tuple[dict[str, Any], str | None]:
    """Column values of a channel created or updated from `spec`, and the signing secret made for it if any.

    A webhook channel keeps its signing secrets (a rotation in progress included) unless the spec gives a
    different one: re-applying a config file or changing the URL must not break the receiver's verification.
    """
    row = spec.to_row()
    made = None
    if spec.kind == "webhook":
        kept = current["secrets"].get("signing") if current else None
        if kept and (spec.secret is None or spec.secret == primary_secret(current or {})):
            row["secrets"]["signing"] = kept
        elif spec.secret is None:
            made = row["secrets"]["signing"][0]["secret"]
    row["disabled_reason"] = None if spec.enabled else (current or {}).get("disabled_reason")
    return row, made


def check_channel_url(spec: ChannelSpec, *, allow_private: bool) -> None:
    """ValueError (naming the host only) when the channel's URL targets a private or metadata address."""
    if spec.url:
        check_public_url(spec.url, allow_private=allow_private)


def missing_channels(conn: sa.Connection, *, workspace_id: int, names: set[str]) -> list[str]:
    """The names among `names` that are not channels of the workspace, sorted."""
    known = {c["name"] for c in store.list_channels(conn, workspace_id=workspace_id)}
    return sorted(names - known)


def channel_users(conn: sa.Connection, *, workspace_id: int, name: str) -> list[str]:
    """What names the channel: "route 'x'" for each route, and "the daily digest" when it receives it."""
    users = [
        f"route {r['name']!r}"
        for r in store.list_routes(conn, workspace_id=workspace_id)
        if name in route_spec_of(r).channel_names()
    ]
    if name in _alerting(conn, workspace_id).digest_channels:
        users.append("the daily digest (workspace alerting.digest_channels)")
    return users


def rename_channel(conn: sa.Connection, *, workspace_id: int, old: str, new: str) -> None:
    """Follow a channel's rename in the routes and the digest, which name channels."""
    for row in store.list_routes(conn, workspace_id=workspace_id):
        spec = row["spec"]
        if old not in route_spec_of(row).channel_names():
            continue
        spec = {
            **spec,
            "channels": [new if c == old else c for c in spec["channels"]],
            "escalation": [
                {**e, "channels": [new if c == old else c for c in e["channels"]]} for e in spec.get("escalation", [])
            ],
        }
        store.update_route(conn, workspace_id=workspace_id, route_id=row["id"], values={"spec": spec})
    alerting = _alerting(conn, workspace_id)
    if old in alerting.digest_channels:
        digest = [new if c == old else c for c in alerting.digest_channels]
        values = {"alerting": alerting.model_copy(update={"digest_channels": digest}).model_dump(mode="json")}
        update_workspace(conn, workspace_id=workspace_id, values=values)


def _alerting(conn: sa.Connection, workspace_id: int) -> AlertingSpec:
    workspace = get_workspace_by_id(conn, workspace_id=workspace_id) or {}
    return AlertingSpec(**(workspace.get("alerting") or {}))
