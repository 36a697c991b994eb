"""The replay source: publishes a bundled (or given) JSONL mention stream a few items per check.

It lets a fresh install show mentions with no internet, and lets tests and demos replay recorded traffic.
Items are stamped with the time they are "published" (now, spread over the last seconds).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from collectors.base import FetchError, FetchOutcome, MentionDraft, SourceState

BUNDLED_STREAM = Path(__file__).parent / "data" / "replay.jsonl"
MAX_BATCH = 500


@lru_cache(maxsize=4)
def _load_stream(path: str) -> tuple[dict[str, Any], ...]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise FetchError(f"cannot read replay file {path}: {exc.strerror}") from exc
    items = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise FetchError(f"replay file {path}, line {number}: invalid JSON ({exc.msg})") from exc
    return tuple(items)


def _draft(item: dict[str, Any], key: str, published_at: datetime) -> MentionDraft:
    return MentionDraft(
        external_id=key,
        url=item.get("url"),
        title=item.get("title") or "",
        text=item.get("text") or "",
        author=item.get("author"),
        author_reach=item.get("author_reach"),
        engagement={k: int(v) for k, v in (item.get("engagement") or {}).items()},
        lang=item.get("lang"),
        published_at=published_at,
    )


class ReplayCollector:
    """Source kind `replay`: a recorded stream played back `batch` items per check."""

    kind = "replay"
    description = "Replays a JSONL mention stream (bundled demo stream by default), `batch` items per check."
    params_doc = {
        "batch": "items published per check (1-500, default 5)",
        "file": "path of a JSONL file to replay instead of the bundled demo stream",
        "loop": "start again at the end (default false)",
    }

    def validate(self, url: str | None, params: dict[str, Any]) -> None:
        """Check batch/file/loop."""
        unknown = set(params) - set(self.params_doc)
        if unknown:
            raise ValueError(f"unknown replay parameter(s): {', '.join(sorted(unknown))}")
        batch = params.get("batch", 5)
        if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= MAX_BATCH:
            raise ValueError(f"replay 'batch' must be a whole number from 1 to {MAX_BATCH}")
        if "file" in params and not Path(str(params["file"])).is_file():
            raise ValueError(f"replay 'file' {params['file']} does not exist")

    def collect(self, state: SourceState, http: Any) -> FetchOutcome:
        """Publish the next `batch` items of the stream."""
        stream = _load_stream(str(state.params.get("file") or BUNDLED_STREAM))
        position = int(state.cursor.get("position", 0))
        loops = int(state.cursor.get("loops", 0))
        if position >= len(stream) and state.params.get("loop"):
            position, loops = 0, loops + 1
        batch = stream[position : position + int(state.params.get("batch", 5))]
        now = datetime.now(UTC)
        drafts = [
            _draft(item, f"replay:{loops}:{position + i}", now - timedelta(seconds=len(batch) - i))
            for i, item in enumerate(batch)
        ]
        return FetchOutcome(drafts=drafts, cursor={"position": position + len(batch), "loops": loops})
