"""What the kinds built on one feed URL share (`googlenews`, `youtube`): a conditional GET, `parse_feed`, and
a window of the items already returned.

Such services have no paging and no "since" filter: each poll gets the whole feed (Google News: up to 100
items, YouTube: the latest 15). The cursor is the validators of the last answer (ETag, Last-Modified: a 304
costs nothing) plus the ids already returned (`SeenWindow`), so that a changed feed yields only its new items.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from collectors.api import SeenWindow
from collectors.base import FetchOutcome, MentionDraft, SourceState
from collectors.http import Fetcher, HttpResult, parse_max_age
from collectors.rss import ParsedFeed, parse_feed


def collect_feed(
    http: Fetcher,
    url: str,
    state: SourceState,
    *,
    pace: float,
    params: Mapping[str, Any] | None = None,
    check: Callable[[HttpResult], None] | None = None,
    on_entry: Callable[[Any, MentionDraft], None] | None = None,
    amend: Callable[[ParsedFeed], None] | None = None,
    short_ids: bool = False,
) -> FetchOutcome:
    """GET `url` (with query `params`) and the source's validators, parse it and return the items not returned before.

    `check(result)` may refuse an answer before it is parsed (a block page served with 200); `on_entry` is
    handed to parse_feed; `amend(parsed)` adjusts the drafts of the whole feed. `short_ids` keeps a 16-hex
    digest of each id in the cursor instead of the id (Google News guids are ~200 characters).
    """
    result = http.get(url, params=params, pace=pace, etag=state.etag, last_modified=state.last_modified)
    max_age = parse_max_age(result.headers.get("cache-control"))
    etag = result.headers.get("etag")
    last_modified = result.headers.get("last-modified")
    if result.status == 304:
        return FetchOutcome(
            not_modified=True,
            http_status=304,
            etag=etag or state.etag,
            last_modified=last_modified or state.last_modified,
            max_age_seconds=max_age,
        )
    if check is not None:
        check(result)
    parsed = parse_feed(result.body, base_url=result.final_url, response_headers=result.headers, on_entry=on_entry)
    if amend is not None:
        amend(parsed)
    seen = SeenWindow(state.cursor)
    key = _short_id if short_ids else _same_id
    fresh = [d for d in parsed.drafts if key(d.external_id) not in seen]
    seen.add(key(d.external_id) for d in fresh)
    return FetchOutcome(
        drafts=fresh,
        http_status=result.status,
        error=parsed.error,
        etag=etag,
        last_modified=last_modified,
        cursor={"seen": seen.as_list()},
        ttl_seconds=parsed.ttl_seconds,
        max_age_seconds=max_age,
    )


def _same_id(external_id: str) -> str:
    return external_id


def _short_id(external_id: str) -> str:
    return hashlib.sha256(external_id.encode("utf-8")).hexdigest()[:16]
