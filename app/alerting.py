"""Channel, route, silence and office-hours specifications: one validation for the API and the config file,
and their conversion to the pure routing objects of `alerts.routing`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.delivery.http import describe_target
from alerts.delivery.webhook import generate_secret
from alerts.routing import Calendar, EscalationStep, Route, Silence
from app.specs import parse_interval

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"  # a wall-clock time without a zone (JSON Schema's "time" wants one)
_EMAIL = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"


def parse_duration(value: int | str, *, allow_zero: bool = False) -> int:
    """Seconds from 120, "30s", "2m", "1h", "1d"; 0 only when `allow_zero` (e.g. no reminders)."""
    if allow_zero and value in (0, "0"):
        return 0
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 30:
        return value  # short waits are fine here (group_wait = 0 sends at once)
    return parse_interval(value)


class AlertingSpec(BaseModel):
    """The workspace's office time (everything else is on-call time) and its daily digest."""

    model_config = ConfigDict(extra="forbid")
    office_days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]), description="e.g. ['mon', ...]")
    office_start: str = Field("09:00", pattern=_HHMM, description="Local time office hours start, e.g. '09:00'.")
    office_end: str = Field("18:00", pattern=_HHMM, description="Local time office hours end, e.g. '18:00'.")
    holidays: list[date] = Field(default_factory=list, description="Local dates that are not office days.")
    digest_hour: int | None = Field(None, ge=0, le=23, description="Local hour of the daily digest; none if unset.")
    digest_channels: list[str] = Field(default_factory=list, description="Channels that receive the digest.")

    @field_validator("office_days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        days = [d.strip().lower()[:3] for d in value]
        bad = [d for d in days if d not in WEEKDAYS]
        if bad or not days:
            raise ValueError(f"office_days must be weekday names among {', '.join(WEEKDAYS)}; got {bad or value}")
        return sorted(set(days), key=WEEKDAYS.index)

    @field_validator("office_start", "office_end", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        """ "09:00", "09:00:00" (as stored before) or a TOML time, as "HH:MM"."""
        if isinstance(value, time):
            return value.strftime("%H:%M")
        if isinstance(value, str) and len(value) == 8 and value.endswith(":00"):
            return value[:5]
        return value

    @model_validator(mode="after")
    def _order(self) -> AlertingSpec:
        if self.office_start >= self.office_end:
            raise ValueError("office_start must be before office_end")
        return self

    def calendar(self, tz: str) -> Calendar:
        """The routing calendar of this workspace."""
        days = frozenset(WEEKDAYS.index(d) for d in self.office_days)
        start, end = time.fromisoformat(self.office_start), time.fromisoformat(self.office_end)
        return Calendar(tz, days, start, end, frozenset(self.holidays))


class ChannelSpec(BaseModel):
    """Where messages go: a signed webhook, a Slack incoming webhook, or e-mail recipients."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["webhook", "slack", "email"]
    url: str | None = Field(None, max_length=2048, description="Webhook or Slack incoming-webhook URL (secret).")
    to: list[str] = Field(default_factory=list, description="E-mail recipients.")
    secret: str | None = Field(
        None, description="Webhook signing secret (whsec_...); Vigie generates one when none is given."
    )
    enabled: bool = True

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        import re

        bad = [a for a in value if not re.match(_EMAIL, a.strip())]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(bad[:3])}")
        if len(value) > 50:
            raise ValueError("at most 50 recipients per channel")
        return [a.strip() for a in value]

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("whsec_") or len(value) < 30):
            raise ValueError("a signing secret looks like whsec_ followed by base64 (at least 24 bytes)")
        return value

    @model_validator(mode="after")
    def _fits_kind(self) -> ChannelSpec:
        if self.kind in ("webhook", "slack"):
            if not self.url or not self.url.startswith(("http://", "https://")):
                raise ValueError(f"a {self.kind} channel needs an http(s) url")
            if self.to:
                raise ValueError(f"a {self.kind} channel has no 'to'; that is for e-mail channels")
        if self.kind == "email" and (self.url or not self.to):
            raise ValueError("an email channel needs 'to' (a list of addresses) and no url")
        if self.secret and self.kind != "webhook":
            raise ValueError("only webhook channels have a signing secret")
        return self

    def to_row(self) -> dict[str, Any]:
        """Column values; the URL and signing secret go to `secrets`, which the API never shows again."""
        config: dict[str, Any] = {"to": self.to} if self.kind == "email" else {"target": describe_target(self.url)}
        secrets: dict[str, Any] = {}
        if self.url:
            secrets["url"] = self.url
        if self.kind == "webhook":
            secrets["signing"] = [{"secret": self.secret or generate_secret(), "expires_at": None}]
        return {"name": self.name, "kind": self.kind, "config": config, "secrets": secrets, "enabled": self.enabled}


def signing_secrets(channel: dict[str, Any], now: datetime) -> list[str]:
    """The webhook channel's secrets still valid at `now`: during a rotation, the old and the new one."""
    out = []
    for entry in channel["secrets"].get("signing", []):
        expires = entry.get("expires_at")
        if expires is None or datetime.fromisoformat(expires) > now:
            out.append(entry["secret"])
    return out


def rotated_secrets(channel: dict[str, Any], now: datetime, overlap: timedelta) -> tuple[dict[str, Any], str]:
    """The channel's secrets with a new signing secret; the current ones stay valid for `overlap`."""
    keep = [{"secret": s, "expires_at": (now + overlap).isoformat()} for s in signing_secrets(channel, now)]
    new = generate_secret()
    return {**channel["secrets"], "signing": [{"secret": new, "expires_at": None}, *keep]}, new


class EscalationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after: int | str = Field(description="Time since the first message, e.g. '15m'.")
    channels: list[str] = Field(min_length=1)

    @field_validator("after")
    @classmethod
    def _after(cls, value: int | str) -> int:
        return parse_duration(value)


class RouteSpec(BaseModel):
    """Which incidents (brand, kind, severity, office or on-call time) page which channels, and how often."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=100)
    channels: list[str] = Field(min_length=1, description="Channel names notified first.")
    brands: list[str] = Field(default_factory=list, description="Brand names; [] = every brand.")
    kinds: list[Literal["storm", "high_risk_mention", "silence"]] = Field(default_factory=list)
    min_severity: Literal["warning", "critical"] = "warning"
    when: Literal["always", "office_hours", "on_call"] = "always"
    group_wait: int | str = Field(120, description="Wait before the first message, e.g. '2m' (0 = at once).")
    group_interval: int | str = Field(600, description="Updates at most this often, e.g. '10m'.")
    repeat_interval: int | str = Field(3600, description="Reminder while unacknowledged, e.g. '1h' (0 = never).")
    escalation: list[EscalationSpec] = Field(default_factory=list)
    notify_resolved: bool = True
    enabled: bool = True

    @field_validator("group_wait", "group_interval", "repeat_interval")
    @classmethod
    def _durations(cls, value: int | str) -> int:
        return parse_duration(value, allow_zero=True)

    @model_validator(mode="after")
    def _valid_route(self) -> RouteSpec:
        self.to_route()  # the routing rules' own checks (escalation order, duplicates...)
        return self

    def to_route(self) -> Route:
        """The pure routing object."""
        return Route(
            self.name,
            tuple(self.channels),
            brands=frozenset(self.brands),
            kinds=frozenset(self.kinds),
            min_severity=self.min_severity,
            when=self.when,
            group_wait=timedelta(seconds=int(self.group_wait)),
            group_interval=timedelta(seconds=int(self.group_interval)),
            repeat_interval=timedelta(seconds=int(self.repeat_interval)),
            escalation=tuple(
                EscalationStep(timedelta(seconds=int(e.after)), tuple(e.channels)) for e in self.escalation
            ),
            notify_resolved=self.notify_resolved,
        )

    def channel_names(self) -> set[str]:
        """Every channel the route may notify."""
        return set(self.channels) | {c for e in self.escalation for c in e.channels}

    def to_row(self) -> dict[str, Any]:
        """Column values for the routes table."""
        spec = self.model_dump(exclude={"name", "enabled"}, mode="json")
        return {"name": self.name, "spec": spec, "enabled": self.enabled}


def route_spec_of(row: dict[str, Any]) -> RouteSpec:
    """The spec of a stored route."""
    return RouteSpec(name=row["name"], enabled=row["enabled"], **row["spec"])


class SilenceSpec(BaseModel):
    """Quiet about matching incidents for a while (a planned campaign, a known outage)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    brand: str | None = Field(None, max_length=200)
    kind: Literal["storm", "high_risk_mention", "silence"] | None = None
    severity: Literal["info", "warning", "critical"] | None = None
    starts_at: datetime | None = Field(None, description="Default: now.")
    ends_at: datetime | None = Field(None, description="End (ISO 8601 with a time zone)...")
    duration: int | str | None = Field(None, description="...or a duration from the start, e.g. '2h'.")
    comment: str = Field(min_length=1, max_length=1000, description="Why: the next person on call reads it.")
    created_by: str = Field("api", max_length=100)

    @model_validator(mode="after")
    def _window(self) -> SilenceSpec:
        if self.brand is None and self.kind is None and self.severity is None:
            raise ValueError("a silence needs a brand, a kind and/or a severity (with none it would mute everything)")
        if (self.ends_at is None) == (self.duration is None):
            raise ValueError("give either ends_at or duration")
        for name in ("starts_at", "ends_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a time zone, e.g. 2026-11-22T23:00:00+01:00")
        return self

    def to_row(self, now: datetime) -> dict[str, Any]:
        """Column values, the window resolved against `now`."""
        start = self.starts_at or now
        end = self.ends_at or start + timedelta(seconds=parse_duration(self.duration or 0))
        Silence(brand=self.brand, kind=self.kind, severity=self.severity, starts_at=start, ends_at=end)
        keys = ("brand", "kind", "severity", "comment", "created_by")
        return {**{k: getattr(self, k) for k in keys}, "starts_at": start, "ends_at": end}


def silence_of(row: dict[str, Any]) -> Silence:
    """The pure routing silence of a stored row."""
    keys = ("id", "brand", "kind", "severity", "starts_at", "ends_at", "comment", "created_by")
    return Silence(**{k: row[k] for k in keys})
