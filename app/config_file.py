"""The monitoring config file (TOML): a workspace, its brands and sources. Check it, then apply it idempotently."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.specs import BrandSpec, SourceSpec, check_timezone, clean_terms
from app.storage import brands as brand_store
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

    @model_validator(mode="after")
    def _unique_names(self) -> MonitoringConfig:
        for what, items in (("brand", self.brands), ("source", self.sources)):
            names = [i.name for i in items]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{what} names must be unique; repeated: {', '.join(dupes)}")
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


def load_config(path: Path) -> MonitoringConfig:
    """Read and validate a config file; ConfigError lists every problem with where it is."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return MonitoringConfig(**raw)
    except ValidationError as exc:
        lines = [f"  {_place(tuple(e['loc']), raw)}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        raise ConfigError(f"{path}: {len(lines)} problem(s):\n" + "\n".join(lines)) from None


@dataclass
class ApplyReport:
    """What applying a config changed, by name."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def apply_config(conn: sa.Connection, config: MonitoringConfig) -> ApplyReport:
    """Create or update the workspace, brands and sources by name; applying twice changes nothing."""
    ws = config.workspace
    workspace_id = ensure_workspace(conn, name=ws.name, **ws.model_dump(exclude={"name"}))["id"]
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
    _list_not_in_file(conn, workspace_id, config, report)
    return report


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
    for b in brand_store.list_brands(conn, workspace_id=workspace_id):
        if b["name"] not in brand_names:
            report.not_in_file.append(f"brand {b['name']!r}")
    for s in source_store.list_sources(conn, workspace_id=workspace_id):
        if s["name"] not in source_names and s["kind"] not in ("api", "import"):
            report.not_in_file.append(f"source {s['name']!r}")
