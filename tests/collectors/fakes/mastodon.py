"""A faithful fake of Mastodon's hashtag timelines: snowflake ids, max_id/since_id/min_id, the Link header,
`local`, the rate-limit headers, and the answers of a server that hides its timelines or knows no such tag."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlencode

from tests.fakeapi import FakeService, Reply, Request

_TAG_PATH = re.compile(r"^/api/v1/timelines/tag/(?P<tag>[^/]+)$")
INSTANCE_HOST = "mastodon.social"  # the server the fake pretends to be, in URIs and profile URLs


class MastodonFake(FakeService):
    """Statuses are kept in id order; `add_status` posts one (as a later poll would see it).

    `rate_remaining` is the X-RateLimit-Remaining sent with the next answer (it goes down by one each time);
    `public_feeds = False` answers 401 like a server that shows hashtag timelines to logged-in users only;
    `unknown_tag_404 = True` answers 404 for a tag nobody used (the documented answer), instead of [].
    """

    def __init__(self) -> None:
        self.statuses: list[dict[str, Any]] = []
        self.rate_remaining = 300
        self.public_feeds = True
        self.unknown_tag_404 = False
        self._seq = 0

    def add_status(
        self,
        text: str,
        *,
        tags: tuple[str, ...] = ("acme",),
        at: float | None = None,
        user: str = "alice",
        server: str = INSTANCE_HOST,
        followers: int = 100,
        language: str | None = "en",
        favourites: int = 0,
        reblogs: int = 0,
        replies: int = 0,
        boost_of: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Post a status (or, with `boost_of`, boost one); returns it."""
        at = at if at is not None else time.time()
        self._seq += 1
        status_id = str((int(at * 1000) << 16) + self._seq)  # Mastodon's ids: milliseconds, then a sequence
        local = server == INSTANCE_HOST
        profile = f"https://{server}/@{user}"
        links = " ".join(
            f'<a href="https://{server}/tags/{t}" class="mention hashtag" rel="tag">#<span>{t}</span></a>' for t in tags
        )
        status = {
            "id": status_id,
            "created_at": datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": None if boost_of else language,
            "uri": f"https://{server}/users/{user}/statuses/{status_id}" + ("/activity" if boost_of else ""),
            "url": None if boost_of else f"{profile}/{status_id}",
            "replies_count": replies,
            "reblogs_count": reblogs,
            "favourites_count": favourites,
            "edited_at": None,
            "content": "" if boost_of else f"<p>{text} {links}</p>",
            "reblog": boost_of,
            "application": {"name": "Web", "website": None} if local else None,
            "account": {
                "id": str(1000 + len(user)),
                "username": user,
                "acct": user if local else f"{user}@{server}",
                "display_name": user.title(),
                "url": profile,
                "followers_count": followers,
                "following_count": 10,
                "statuses_count": 100,
            },
            "media_attachments": [],
            "mentions": [],
            "tags": [{"name": t.lower(), "url": f"https://{server}/tags/{t.lower()}"} for t in tags],
            "emojis": [],
            "card": None,
            "poll": None,
            "_local": local,  # the fake's own bookkeeping, removed from answers
        }
        self.statuses.append(status)
        self.statuses.sort(key=lambda s: int(s["id"]))
        return status

    def handle(self, request: Request) -> Reply:
        """GET /api/v1/timelines/tag/:hashtag like Mastodon answers it to a client without an account."""
        match = _TAG_PATH.match(request.path)
        if match is None:
            return Reply.json({"error": "Record not found"}, status=404)
        if not self.public_feeds:
            return Reply.json({"error": "This method requires an authenticated user"}, status=401)
        tag = unquote(match.group("tag")).lower()
        tagged = [s for s in self.statuses if tag in {t["name"] for t in s["tags"]} or _boosts_tag(s, tag)]
        if not tagged and self.unknown_tag_404:
            return Reply.json({"error": "Record not found"}, status=404)
        if request.arg("local") in ("true", "1"):
            tagged = [s for s in tagged if s["_local"]]
        limit = min(int(request.arg("limit") or 20), 40)
        max_id, since_id, min_id = (request.arg(k) for k in ("max_id", "since_id", "min_id"))
        if max_id:
            tagged = [s for s in tagged if int(s["id"]) < int(max_id)]
        if since_id:
            tagged = [s for s in tagged if int(s["id"]) > int(since_id)]
        # With min_id: the statuses immediately newer than it, still answered newest first.
        newer = [s for s in tagged if int(s["id"]) > int(min_id)] if min_id else []
        page = newer[:limit][::-1] if min_id else tagged[::-1][:limit]
        headers = self._rate_headers()
        if page:
            base = f"http://{request.headers.get('host')}/api/v1/timelines/tag/{match.group('tag')}"
            kept = {k: request.arg(k) for k in ("limit", "local", "only_media") if request.arg(k) is not None}
            older = urlencode({**kept, "max_id": page[-1]["id"]})
            newer = urlencode({**kept, "min_id": page[0]["id"]})
            headers["Link"] = f'<{base}?{older}>; rel="next", <{base}?{newer}>; rel="prev"'
        return Reply.json([_public(s) for s in page], headers=headers)

    def _rate_headers(self) -> dict[str, str]:
        self.rate_remaining = max(0, self.rate_remaining - 1)
        reset = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
        return {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": str(self.rate_remaining),
            "X-RateLimit-Reset": reset.isoformat().replace("+00:00", ".000Z"),
        }


def _public(status: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in status.items() if not k.startswith("_")}
    if isinstance(shown.get("reblog"), dict):
        shown["reblog"] = _public(shown["reblog"])
    return shown


def _boosts_tag(status: dict[str, Any], tag: str) -> bool:
    original = status.get("reblog")
    return isinstance(original, dict) and tag in {t["name"] for t in original["tags"]}
