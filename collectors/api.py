"""What the collectors of public APIs share: validated parameters, dates, and the incremental cursor.

A source kind on a public API is one subclass of `ApiCollector`:

- `Params`: a pydantic model of its parameters (extra keys refused). Each field's `description` is what
  `vigie sources kinds` and the README show; a field without a default is required.
- `fetch(params, state, http)`: asks the service through `http` (a `collectors.http.Fetcher`: host pacing,
  size cap, private-address guard, Retry-After) and returns a FetchOutcome with drafts and the new cursor.
- a pure `parse_*` function, bytes or JSON in and drafts out, tested on recorded payloads.

`SeenWindow` keeps the ids already returned near the cursor, so that a service that only filters by "newer
than or equal" (or whose clock skews) never makes Vigie store an item twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from collectors.base import FetchOutcome, SourceState

FUTURE_TOLERANCE = timedelta(days=2)  # a date further ahead than this is a broken clock, not a real date
OLDEST_DATE = datetime(1995, 1, 1, tzinfo=UTC)
SEEN_IDS_KEPT = 500  # ids remembered in the cursor: more than one poll ever returns


class Params(BaseModel):
    """Base of every kind's parameters: unknown keys are refused, values are not coerced across types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ApiCollector:
    """Base class of the collectors of public APIs (see the module docstring)."""

    kind: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[Params]]
    url_doc: ClassVar[str | None] = None  # set when the kind takes a `url` (a feed, an instance); None: no url

    @property
    def params_doc(self) -> dict[str, str]:
        """Each parameter with its description, default and whether it is required."""
        docs = {}
        if self.url_doc:
            docs["url"] = f"{self.url_doc} (required)"
        for name, field in self.Params.model_fields.items():
            text = field.description or ""
            if field.is_required():
                text += " (required)"
            elif field.default not in (None, "", [], ()):
                text += f" (default {field.default!r})"
            docs[name] = text
        return docs

    def validate(self, url: str | None, params: dict[str, Any]) -> None:
        """Raise ValueError naming the parameter and the problem when url/params are unusable."""
        if self.url_doc:
            self.check_url(url)
        elif url:
            raise ValueError(f"a {self.kind} source takes no url; give its parameters instead")
        self.parse_params(params)

    def check_url(self, url: str | None) -> None:
        """The url of kinds that take one must be an absolute http(s) URL."""
        if not url or not url.startswith(("http://", "https://")) or len(url) > 2000:
            raise ValueError(f"a {self.kind} source needs `url`: {self.url_doc}")

    def parse_params(self, params: dict[str, Any]) -> Params:
        """The validated parameters; ValueError with one line per problem."""
        try:
            return self.Params.model_validate(params or {})
        except ValidationError as exc:
            raise ValueError(f"invalid {self.kind} parameters: {describe_errors(exc)}") from None

    def collect(self, state: SourceState, http: Any) -> FetchOutcome:
        """Validate the stored parameters again (they may predate a change) and fetch."""
        return self.fetch(self.parse_params(state.params), state, http)

    def fetch(self, params: Any, state: SourceState, http: Any) -> FetchOutcome:  # pragma: no cover - abstract
        """Ask the service and return the drafts and the new cursor."""
        raise TypeError(f"{type(self).__name__} must define fetch()")


def describe_errors(exc: ValidationError) -> str:
    """'query: Field required; max_pages: Input should be less than or equal to 10' from a ValidationError."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "parameters"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown parameter"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def from_timestamp(value: Any, now: datetime | None = None) -> datetime | None:
    """An aware UTC datetime from epoch seconds (int, float or digit string); None when absent or absurd."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        when = datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return plausible(when, now)


def from_iso(value: Any, now: datetime | None = None) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string ('2026-11-20T08:15:00Z', '+01:00' offsets, GDELT's
    '20261120T081500Z'); None when absent, unreadable or absurd. A date without zone is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if len(text) == 16 and text[8] == "T" and text.endswith("Z") and text[:8].isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:8]}T{text[9:11]}:{text[11:13]}:{text[13:15]}Z"
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return plausible(when.astimezone(UTC), now)


def plausible(when: datetime, now: datetime | None = None) -> datetime | None:
    """`when`, unless it is before the web existed or days in the future (a broken clock)."""
    now = now or datetime.now(UTC)
    if when < OLDEST_DATE or when > now + FUTURE_TOLERANCE:
        return None
    return when


def as_int(value: Any) -> int | None:
    """A non-negative count from a JSON value (int, float or digit string); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value >= 0 and value == value and value != float("inf"):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def counts(**values: Any) -> dict[str, int]:
    """Engagement counts that are present and sane: counts(likes=3, shares=None) == {'likes': 3}."""
    result = {}
    for name, value in values.items():
        number = as_int(value)
        if number is not None:
            result[name] = number
    return result


class SeenWindow:
    """Ids already returned, kept in the cursor (newest last, at most SEEN_IDS_KEPT)."""

    def __init__(self, cursor: dict[str, Any]) -> None:
        seen = cursor.get("seen")
        self._ids: list[str] = [str(i) for i in seen] if isinstance(seen, list) else []
        self._set = set(self._ids)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._set

    def add(self, ids: Iterable[str]) -> None:
        """Remember `ids` (oldest are forgotten first)."""
        for item_id in ids:
            if item_id not in self._set:
                self._ids.append(item_id)
                self._set.add(item_id)
        if len(self._ids) > SEEN_IDS_KEPT:
            for old in self._ids[: len(self._ids) - SEEN_IDS_KEPT]:
                self._set.discard(old)
            self._ids = self._ids[-SEEN_IDS_KEPT:]

    def as_list(self) -> list[str]:
        """For the cursor."""
        return list(self._ids)
