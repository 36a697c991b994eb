"""The monitoring config file (TOML): a workspace, its brands, sources, channels, routes and silences.
Check it, then apply it idempotently."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app import config_alerting as alerting_file
from app.alerting import AlertingSpec, ChannelSpec, RouteSpec
from app.db.schema import utcnow
from app.retention import RetentionError, check_retention, history_days_of
from app.route import reroute_workspace
from app.settings import Settings
from app.specs import BrandSpec, SourceSpec, check_timezone, clean_terms
from app.storage import brands as brand_store
from app.storage import delivery as delivery_store
from app.storage import sources as source_store
from app.storage.workspaces import ensure_workspace


class ConfigError(Exception):
    """A config file that cannot be used; the message lists every problem with its place in the file."""


class WorkspaceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("default", min_length=1, max_length=100)
    language: Literal["fr", "en"] = Field("fr", description="Language of alert texts.")
    timezone: str = Field("Europe/Paris", description="IANA time zone, for office hours and statistics.")
    crisis_terms: list[str] = Field(default_factory=list, description="Extra crisis terms of this workspace.")
    ignored_terms: list[str] = Field(
        default_factory=list, description="Terms never counted as crisis terms here (e.g. a brand called 'Scandale')."
    )
    alerting: AlertingSpec | None = Field(None, description="Office hours and digest; when absent, left as they are.")
    retention_days: int | None = Field(
        None, le=36_500, description="Days mentions are kept (0: forever); absent: left as is (VIGIE_RETENTION_DAYS)."
    )

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int | None) -> int | None:
        try:
            return check_retention(value)
        except RetentionError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("crisis_terms", "ignored_terms")
    @classmethod
    def _terms(cls, value: list[str]) -> list[str]:
        return clean_terms(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)


class MonitoringConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workspace: WorkspaceSpec = Field(default_factory=WorkspaceSpec)
    brands: list[BrandSpec] = Field(default_factory=list)
    sources: list[SourceSpec] = Field(default_factory=list)
    channels: list[ChannelSpec] = Field(default_factory=list)
    routes: list[RouteSpec] = Field(default_factory=list)
    silences: list[alerting_file.ConfigSilence] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> MonitoringConfig:
        named = (("brand", self.brands), ("source", self.sources), ("channel", self.channels), ("route", self.routes))
        for what, items in named:
            names = [i.name for i in items]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{what} names must be unique; repeated: {', '.join(dupes)}")
        return self

    @model_validator(mode="after")
    def _retention_covers_detection(self) -> MonitoringConfig:
        history = history_days_of(b.detection for b in self.brands)
        try:
            check_retention(self.workspace.retention_days, history_days=history)
        except RetentionError as exc:
            raise ValueError(f"workspace.retention_days: {exc}") from None
        return self


def _place(loc: tuple, raw: dict[str, Any]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part + 1}]"
            if i == 1 and isinstance(raw.get(loc[0]), list) and part < len(raw[loc[0]]):
                name = raw[loc[0]][part].get("name") if isinstance(raw[loc[0]][part], dict) else None
                out += f" ({name!r})" if name else ""
        else:
            out += ("." if out else "") + str(part)
    return out or "file"


def _problems(lines: list[str], path: Path | None = None) -> ConfigError:
    where = f"{path}: " if path else ""
    return ConfigError(f"{where}{len(lines)} problem(s):\n" + "\n".join(f"  {line}" for line in lines))


def load_config(path: Path, *, environ: Mapping[str, str] | None = None) -> MonitoringConfig:
    """Read and validate a config file, `${NAME}` in channel urls and secrets taken from `environ` (default:
    the process environment); ConfigError lists every problem with where it is."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    lines = alerting_file.substitute_env(raw, os.environ if environ is None else environ)
    try:
        config = MonitoringConfig(**raw)
    except ValidationError as exc:
        lines += [f"{_place(tuple(e['loc']), raw)}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
    if lines:
        raise _problems(lines, path)
    return config


def config_notes(config: MonitoringConfig) -> list[str]:
    """What `config check` cannot verify without the database: channels named but defined elsewhere."""
    known = {c.name for c in config.channels}
    return alerting_file.external_channels(config.routes, config.workspace.alerting, known)


def url_problems(config: MonitoringConfig, *, allow_private: bool) -> list[str]:
    """Channels whose URL targets a private, loopback, link-local or metadata address."""
    return alerting_file.url_problems(config.channels, allow_private=allow_private)


@dataclass
class ApplyReport:
    """What applying a config changed, by name."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # signing secrets made by this apply: to show once

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def apply_config(conn: sa.Connection, config: MonitoringConfig, *, settings: Settings) -> ApplyReport:
    """Create or update the workspace, brands, sources, channels, routes and silences by name; applying twice
    changes nothing. ConfigError when a URL is refused or a route names an unknown channel (nothing applied)."""
    problems = url_problems(config, allow_private=settings.allow_private_urls)
    if problems:
        raise _problems(problems)
    ws = config.workspace
    workspace_id = ensure_workspace(conn, name=ws.name, **ws.model_dump(exclude={"name", "alerting"}))["id"]
    report = ApplyReport()
    for brand in config.brands:
        current = brand_store.get_brand_by_name(conn, workspace_id=workspace_id, name=brand.name)
        outcome = _upsert(
            current,
            brand.to_row(),
            create=brand_store.create_brand,
            update=brand_store.update_brand,
            conn=conn,
            workspace_id=workspace_id,
            id_key="brand_id",
        )
        getattr(report, outcome).append(f"brand {brand.name!r}")
    for source in config.sources:
        current = source_store.get_source_by_name(conn, workspace_id=workspace_id, name=source.name)
        outcome = _upsert(
            current,
            source.to_row(),
            create=source_store.create_source,
            update=source_store.update_source,
            conn=conn,
            workspace_id=workspace_id,
            id_key="source_id",
        )
        getattr(report, outcome).append(f"source {source.name!r}")
    _apply_alerting(conn, workspace_id, config, report, settings)
    _list_not_in_file(conn, workspace_id, config, report)
    return report


def _apply_alerting(
    conn: sa.Connection, workspace_id: int, config: MonitoringConfig, report: ApplyReport, settings: Settings
) -> None:
    """Channels, then (their names now known) routes, silences and office hours; re-plan live incidents."""
    done, report.secrets = alerting_file.apply_channels(conn, config.channels, workspace_id=workspace_id)
    parts = {"routes": config.routes, "silences": config.silences, "alerting": config.workspace.alerting}
    problems = alerting_file.reference_problems(conn, workspace_id=workspace_id, **parts)
    if problems:
        raise _problems(problems)
    now = utcnow()
    routing = alerting_file.apply_routing(conn, workspace_id=workspace_id, now=now, **parts)
    for outcome, label in done + routing:
        getattr(report, outcome).append(label)
    if any(outcome != "unchanged" for outcome, _ in routing):
        reroute_workspace(conn, workspace_id=workspace_id, now=now, settings=settings)


def _upsert(
    current: dict[str, Any] | None,
    row: dict[str, Any],
    *,
    create: Callable[..., Any],
    update: Callable[..., Any],
    conn: sa.Connection,
    workspace_id: int,
    id_key: str,
) -> str:
    """Create the row, update it if a field differs, or leave it; returns the report list to add it to."""
    if current is None:
        create(conn, workspace_id=workspace_id, values=row)
        return "created"
    if any(current[k] != v for k, v in row.items()):
        update(conn, workspace_id=workspace_id, values=row, **{id_key: current["id"]})
        return "updated"
    return "unchanged"


def _list_not_in_file(conn: sa.Connection, workspace_id: int, config: MonitoringConfig, report: ApplyReport) -> None:
    # Things created through the API are kept: the file is not the only way to manage a workspace.
    brand_names = {b.name for b in config.brands}
    source_names = {s.name for s in config.sources}
    channel_names = {c.name for c in config.channels}
    route_names = {r.name for r in config.routes}
    for c in delivery_store.list_channels(conn, workspace_id=workspace_id):
        if c["name"] not in channel_names:
            report.not_in_file.append(f"channel {c['name']!r}")
    for r in delivery_store.list_routes(conn, workspace_id=workspace_id):
        if r["name"] not in route_names:
            report.not_in_file.append(f"route {r['name']!r}")
    for b in brand_store.list_brands(conn, workspace_id=workspace_id):
        if b["name"] not in brand_names:
            report.not_in_file.append(f"brand {b['name']!r}")
    for s in source_store.list_sources(conn, workspace_id=workspace_id):
        if s["name"] not in source_names and s["kind"] not in ("api", "import"):
            report.not_in_file.append(f"source {s['name']!r}")
