"""Brand and source specifications: one validation for the API, the config file and the CLI."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.detection.config import for_brand
from app.query import QueryError, parse_query
from collectors.registry import INTERNAL_KINDS, validate_source

_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL_SECONDS = 30


def parse_interval(value: int | str) -> int:
    """Seconds from 900, "900", "30s", "15m", "2h" or "1d"."""
    if isinstance(value, bool):
        raise ValueError("interval must be a number of seconds or a duration like '15m'")
    if isinstance(value, int):
        seconds = value
    else:
        match = _INTERVAL.match(str(value))
        if not match:
            raise ValueError(f"interval {value!r} is not a duration; write e.g. 900, '30s', '15m', '2h' or '1d'")
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < MIN_INTERVAL_SECONDS:
        raise ValueError(f"interval must be at least {MIN_INTERVAL_SECONDS} seconds, got {seconds}")
    return seconds


def check_timezone(value: str) -> str:
    """An IANA time zone name, or ValueError saying what is expected."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name like 'Europe/Paris'") from None
    return value


def clean_terms(terms: list[str]) -> list[str]:
    """Crisis or ignored terms: trimmed, without empties or duplicates, each at most 100 characters."""
    out: list[str] = []
    for term in terms:
        term = " ".join(str(term).split())
        if len(term) > 100:
            raise ValueError(f"term {term[:30]!r}... is longer than 100 characters")
        if term and term.lower() not in {t.lower() for t in out}:
            out.append(term)
    if len(out) > 500:
        raise ValueError("at most 500 terms")
    return out


class BrandSpec(BaseModel):
    """A brand: a name, a query in the brand query language, optional languages, a competitor flag."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1, max_length=4000, description="Brand query, e.g. '\"Air France\" OR airfrance'")
    languages: list[str] = Field(default_factory=list, description="Only mentions in these languages; [] = any.")
    competitor: bool = Field(False, description="A competitor, for share of voice.")
    detection: dict[str, Any] = Field(
        default_factory=dict,
        description='Overrides of the detection defaults for this brand, e.g. {"warning_score": 50}; '
        "see the README's detection settings.",
    )

    @field_validator("detection")
    @classmethod
    def _detection(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            for_brand(value)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"invalid detection settings: {exc}") from None
        return value

    @field_validator("query")
    @classmethod
    def _valid_query(cls, value: str) -> str:
        try:
            parse_query(value)
        except QueryError as exc:
            raise ValueError(f"invalid query: {exc}") from None
        return value

    @field_validator("languages")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        codes = [v.strip().lower() for v in value]
        bad = [c for c in codes if not re.fullmatch(r"[a-z]{2}", c)]
        if bad:
            raise ValueError(f"languages must be two-letter codes like 'fr' or 'en', got {bad}")
        return sorted(set(codes))

    def to_row(self) -> dict[str, Any]:
        """Column values for the brands table."""
        return {
            "name": self.name,
            "query": self.query,
            "languages": self.languages,
            "is_competitor": self.competitor,
            "detection": self.detection,
        }


class SourceSpec(BaseModel):
    """A source: a kind from the registry, its URL and parameters, how often to check it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=40, description="Source kind, see `vigie sources kinds`.")
    url: str | None = Field(None, max_length=2048)
    params: dict[str, Any] = Field(default_factory=dict)
    interval: int | str = Field(900, description="Seconds, or a duration like '15m'.")
    enabled: bool = True

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: int | str) -> int:
        return parse_interval(value)

    @model_validator(mode="after")
    def _valid_for_kind(self) -> SourceSpec:
        if self.kind in INTERNAL_KINDS:
            raise ValueError(f"kind {self.kind!r} is internal to Vigie (pushed/imported mentions)")
        validate_source(self.kind, self.url, self.params)
        return self

    def to_row(self) -> dict[str, Any]:
        """Column values for the sources table."""
        return {
            "name": self.name,
            "kind": self.kind,
            "url": self.url,
            "params": self.params,
            "interval_seconds": self.interval,
            "enabled": self.enabled,
        }


def brand_spec_of(row: dict[str, Any]) -> dict[str, Any]:
    """A stored brand as spec fields (to merge a partial update before re-validating)."""
    return {
        "name": row["name"],
        "query": row["query"],
        "languages": row["languages"],
        "competitor": row["is_competitor"],
        "detection": row["detection"],
    }


def source_spec_of(row: dict[str, Any]) -> dict[str, Any]:
    """A stored source as spec fields."""
    keys = ("name", "kind", "url", "params", "enabled")
    return {**{k: row[k] for k in keys}, "interval": row["interval_seconds"]}
