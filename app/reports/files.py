"""File names of downloaded reports."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40] or "workspace"


def report_filename(row: dict[str, Any], ext: str) -> str:
    """`vigie-report-<workspace>-<first local day>[-<last local day>].<ext>`: ASCII only, safe in a
    Content-Disposition header and on every file system."""
    data = row["data"]
    first = datetime.fromisoformat(data["period"]["start"]).date()
    days = data["period"]["days"]
    last = days[-1] if days else first.isoformat()
    span = first.isoformat() if len(days) == 7 else f"{first.isoformat()}_{last}"
    return f"vigie-report-{_slug(data['workspace']['name'])}-{span}.{ext}"
