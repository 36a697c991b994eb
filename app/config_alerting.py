"""The alerting part of the config file: channels (secrets from `${ENV}`), routes, silences and office hours.

Functions here return the problems they find, located like `routes[2] ('on-call').channels: ...`;
`app.config_file` turns them into one ConfigError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import Field, model_validator

from app.alerting import AlertingSpec, ChannelSpec, RouteSpec, SilenceSpec
from app.channel_setup import channel_values, check_channel_url, missing_channels
from app.storage import delivery as store
from app.storage.brands import get_brand_by_name
from app.storage.workspaces import get_workspace_by_id, update_workspace

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
ENV_KEYS = ("url", "secret")  # the channel values that are secrets, so usually kept out of the file
CHANNEL_COLUMNS = ("name", "kind", "config", "secrets", "enabled", "disabled_reason")


Done = list[tuple[str, str]]  # (created | updated | unchanged, "route 'x'")


class ConfigSilence(SilenceSpec):
    """A silence of the config file; recognised on re-apply by its brand, kind, severity and comment."""

    created_by: str = Field("config", max_length=100)

    @model_validator(mode="after")
    def _resolvable(self) -> ConfigSilence:
        self.to_row(datetime.now(UTC))  # e.g. ends_at before starts_at
        return self


def _where(kind: str, index: int, name: object) -> str:
    return f"{kind}[{index + 1}]" + (f" ({name!r})" if name else "")


def substitute_env(raw: dict[str, Any], environ: Mapping[str, str]) -> list[str]:
    """Replace `${NAME}` in the channels' url and secret with the environment's values, in place; returns
    the problems (unset variables). Values are never echoed: they are secrets."""
    problems = []
    channels = raw.get("channels")
    for i, item in enumerate(channels if isinstance(channels, list) else []):
        if not isinstance(item, dict):
            continue
        for key in ENV_KEYS:
            value = item.get(key)
            if not isinstance(value, str):
                continue
            unset = [n for n in ENV_REF.findall(value) if n not in environ]
            if unset:
                names = ", ".join(sorted(set(unset)))
                problems.append(
                    f"{_where('channels', i, item.get('name'))}.{key}: environment variable {names} is not set"
                )
                continue
            item[key] = ENV_REF.sub(lambda m: environ[m.group(1)], value)
    return problems


def url_problems(channels: Sequence[ChannelSpec], *, allow_private: bool) -> list[str]:
    """Channels whose URL targets a private, loopback, link-local or metadata address."""
    problems = []
    for i, spec in enumerate(channels):
        try:
            check_channel_url(spec, allow_private=allow_private)
        except ValueError as exc:
            problems.append(f"{_where('channels', i, spec.name)}.url: {exc}")
    return problems


def external_channels(routes: Sequence[RouteSpec], alerting: AlertingSpec | None, known: set[str]) -> list[str]:
    """Notes for `config check`: channels named by routes or the digest but not defined in the file."""
    notes = []
    for i, route in enumerate(routes):
        if route.channel_names() - known:
            names = ", ".join(map(repr, sorted(route.channel_names() - known)))
            notes.append(
                f"{_where('routes', i, route.name)}: channel(s) {names} not in this file (must exist in the database)"
            )
    if alerting and set(alerting.digest_channels) - known:
        names = ", ".join(map(repr, sorted(set(alerting.digest_channels) - known)))
        notes.append(f"workspace.alerting.digest_channels: {names} not in this file (must exist in the database)")
    return notes


def apply_channels(
    conn: sa.Connection, channels: Sequence[ChannelSpec], *, workspace_id: int
) -> tuple[Done, list[str]]:
    """Create or update channels by name; unchanged URLs and secrets are kept (no new signing secret).
    Returns what was done and, for each signing secret made, a line to show the user once."""
    done: Done = []
    secrets = []
    for spec in channels:
        current = store.get_channel_by_name(conn, workspace_id=workspace_id, name=spec.name)
        values, made = channel_values(spec, current)
        if made:
            secrets.append(f"channel {spec.name!r}: signing secret {made} (shown once; store it in your receiver)")
        if current is None:
            store.create_channel(conn, workspace_id=workspace_id, values=values)
            done.append(("created", f"channel {spec.name!r}"))
        elif any(current[k] != values[k] for k in CHANNEL_COLUMNS):
            store.update_channel(conn, workspace_id=workspace_id, channel_id=current["id"], values=values)
            done.append(("updated", f"channel {spec.name!r}"))
        else:
            done.append(("unchanged", f"channel {spec.name!r}"))
    return done, secrets


def reference_problems(
    conn: sa.Connection,
    *,
    workspace_id: int,
    routes: Sequence[RouteSpec],
    silences: Sequence[SilenceSpec],
    alerting: AlertingSpec | None,
) -> list[str]:
    """Routes and the digest naming unknown channels, silences naming unknown brands (after the file's own
    channels and brands were applied: the database then holds both)."""
    problems = []
    for i, route in enumerate(routes):
        missing = missing_channels(conn, workspace_id=workspace_id, names=route.channel_names())
        if missing:
            names = ", ".join(map(repr, missing))
            where = _where("routes", i, route.name)
            problems.append(f"{where}.channels: unknown channel(s) {names} (not in the file nor in the database)")
    if alerting is not None:
        missing = missing_channels(conn, workspace_id=workspace_id, names=set(alerting.digest_channels))
        if missing:
            problems.append(f"workspace.alerting.digest_channels: unknown channel(s) {', '.join(map(repr, missing))}")
    for i, silence in enumerate(silences):
        if silence.brand and get_brand_by_name(conn, workspace_id=workspace_id, name=silence.brand) is None:
            problems.append(f"{_where('silences', i, silence.comment)}.brand: unknown brand {silence.brand!r}")
    return problems


def apply_routing(
    conn: sa.Connection,
    *,
    workspace_id: int,
    routes: Sequence[RouteSpec],
    silences: Sequence[SilenceSpec],
    alerting: AlertingSpec | None,
    now: datetime,
) -> Done:
    """Set the office hours, replace routes by name, add the silences not already there."""
    done: Done = []
    if alerting is not None:
        current = (get_workspace_by_id(conn, workspace_id=workspace_id) or {}).get("alerting")
        wanted = alerting.model_dump(mode="json")
        outcome = "unchanged" if current == wanted else "updated"
        if outcome == "updated":
            update_workspace(conn, workspace_id=workspace_id, values={"alerting": wanted})
        done.append((outcome, "workspace alerting"))
    for route in routes:
        done.append(_apply_route(conn, workspace_id, route))
    for silence in silences:
        done.append(_apply_silence(conn, workspace_id, silence, now))
    return done


def _apply_route(conn: sa.Connection, workspace_id: int, route: RouteSpec) -> tuple[str, str]:
    row, label = route.to_row(), f"route {route.name!r}"
    current = store.get_route_by_name(conn, workspace_id=workspace_id, name=route.name)
    if current is None:
        store.create_route(conn, workspace_id=workspace_id, values=row)
        return "created", label
    if current["spec"] != row["spec"] or current["enabled"] != row["enabled"]:
        store.update_route(conn, workspace_id=workspace_id, route_id=current["id"], values=row)
        return "updated", label
    return "unchanged", label


def _apply_silence(conn: sa.Connection, workspace_id: int, silence: SilenceSpec, now: datetime) -> tuple[str, str]:
    # Created once: re-applying never re-creates, extends or reopens it (it may have been ended on purpose).
    keys = {"brand": silence.brand, "kind": silence.kind, "severity": silence.severity, "comment": silence.comment}
    label = f"silence {silence.comment!r}"
    if store.find_silence(conn, workspace_id=workspace_id, **keys) is not None:
        return "unchanged", label
    values = silence.to_row(now)
    if values["ends_at"] <= now:
        return "unchanged", label + " (already over: not created)"
    store.create_silence(conn, workspace_id=workspace_id, values=values)
    return "created", label
