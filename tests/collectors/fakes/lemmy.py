"""A faithful fake of Lemmy's v3 search API: posts and comments paged together, sort=New, type_, community_name,
the 0.19 (UTC with `Z`) or 0.18 (no zone) timestamps, and Lemmy's own error answers."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from tests.fakeapi import FakeService, Reply, Request

INSTANCE_HOST = "lemmy.world"  # the instance the fake pretends to be


def rate_limited() -> Reply:
    """Lemmy's 429: a JSON error and no Retry-After."""
    return Reply.json({"error": "rate_limit_error"}, status=429)


class LemmyFake(FakeService):
    """Posts and comments are kept newest first; `add_post` / `add_comment` publish (as a later poll would see).

    `version = "0.18"` writes timestamps without a zone, as Lemmy 0.18 does.
    """

    def __init__(self, *, version: str = "0.19") -> None:
        self.version = version
        self.posts: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []
        self.communities = {"technology": 5, "france": 2871}
        self._next_id = 21_500_000

    def _stamp(self, at: float) -> str:
        text = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        return text if self.version == "0.18" else text + "Z"

    def _person(self, name: str, server: str, deleted: bool = False) -> dict[str, Any]:
        return {
            "id": 1000 + len(name),
            "name": name,
            "banned": False,
            "published": self._stamp(1_686_000_000),
            "actor_id": f"https://{server}/u/{name}",
            "local": server == INSTANCE_HOST,
            "deleted": deleted,
            "bot_account": False,
            "instance_id": 1,
        }

    def _community(self, name: str) -> dict[str, Any]:
        self.communities.setdefault(name, 9000 + len(self.communities))
        return {
            "id": self.communities[name],
            "name": name,
            "title": name.title(),
            "removed": False,
            "published": self._stamp(1_686_000_000),
            "deleted": False,
            "nsfw": False,
            "actor_id": f"https://{INSTANCE_HOST}/c/{name}",
            "local": True,
            "hidden": False,
            "posting_restricted_to_mods": False,
            "instance_id": 1,
            "visibility": "Public",
        }

    def add_post(
        self,
        name: str,
        *,
        body: str | None = None,
        url: str | None = None,
        at: float | None = None,
        community: str = "technology",
        creator: str = "alice",
        server: str = INSTANCE_HOST,
        score: int = 1,
        comments: int = 0,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """Publish a post; returns its PostView."""
        self._next_id += 1
        at = at if at is not None else time.time()
        post = {
            "id": self._next_id,
            "name": name,
            "creator_id": 1000 + len(creator),
            "community_id": 0,
            "removed": False,
            "locked": False,
            "published": self._stamp(at),
            "deleted": deleted,
            "nsfw": False,
            "ap_id": f"https://{server}/post/{self._next_id}",
            "local": server == INSTANCE_HOST,
            "language_id": 0,
            "featured_community": False,
            "featured_local": False,
        }
        if body is not None:
            post["body"] = body
        if url is not None:
            post["url"] = url
        view = {
            "post": post,
            "creator": self._person(creator, server),
            "community": self._community(community),
            "creator_banned_from_community": False,
            "banned_from_community": False,
            "creator_is_moderator": False,
            "creator_is_admin": False,
            "counts": {"post_id": post["id"], "comments": comments, "score": score, "upvotes": score, "downvotes": 0},
            "subscribed": "NotSubscribed",
            "saved": False,
            "read": False,
            "hidden": False,
            "creator_blocked": False,
            "unread_comments": comments,
            "_at": at,
        }
        post["community_id"] = view["community"]["id"]
        self.posts.append(view)
        self.posts.sort(key=lambda v: v["_at"], reverse=True)
        return view

    def add_comment(
        self, content: str, *, on: dict[str, Any], at: float | None = None, creator: str = "bob", score: int = 1
    ) -> dict[str, Any]:
        """Comment on the post of PostView `on`; returns the CommentView."""
        self._next_id += 1
        at = at if at is not None else time.time()
        comment = {
            "id": self._next_id,
            "creator_id": 1000 + len(creator),
            "post_id": on["post"]["id"],
            "content": content,
            "removed": False,
            "published": self._stamp(at),
            "deleted": False,
            "ap_id": f"https://{INSTANCE_HOST}/comment/{self._next_id}",
            "local": True,
            "path": f"0.{self._next_id}",
            "distinguished": False,
            "language_id": 0,
        }
        view = {
            "comment": comment,
            "creator": self._person(creator, INSTANCE_HOST),
            "post": on["post"],
            "community": on["community"],
            "counts": {"comment_id": comment["id"], "score": score, "upvotes": score, "downvotes": 0, "child_count": 0},
            "creator_banned_from_community": False,
            "banned_from_community": False,
            "creator_is_moderator": False,
            "creator_is_admin": False,
            "subscribed": "NotSubscribed",
            "saved": False,
            "creator_blocked": False,
            "_at": at,
        }
        self.comments.append(view)
        self.comments.sort(key=lambda v: v["_at"], reverse=True)
        return view

    def handle(self, request: Request) -> Reply:
        """GET /api/v3/search like Lemmy answers it to a client without an account."""
        if request.path != "/api/v3/search":
            return Reply.raw(b"404: Not Found", "text/plain", status=404)
        query = (request.arg("q") or "").lower()
        kind = request.arg("type_") or "All"
        if kind not in ("All", "Posts", "Comments", "Communities", "Users", "Url"):
            return Reply.json({"error": "invalid_query"}, status=400)
        page = int(request.arg("page") or 1)
        limit = int(request.arg("limit") or 10)
        if not 1 <= limit <= 50 or page < 1:
            return Reply.json({"error": "couldnt_get_posts"}, status=400)
        community = request.arg("community_name")
        if community is not None and community.split("@")[0] not in self.communities:
            return Reply.json({"error": "couldnt_find_community"}, status=400)

        def wanted(view: dict[str, Any], text: str) -> bool:
            if community is not None and view["community"]["name"] != community.split("@")[0]:
                return False
            return query in text.lower()

        posts = [v for v in self.posts if wanted(v, f"{v['post']['name']} {v['post'].get('body') or ''}")]
        comments = [v for v in self.comments if wanted(v, v["comment"]["content"])]
        start = (page - 1) * limit
        return Reply.json(
            {
                "type_": kind,
                "comments": [_public(v) for v in comments[start : start + limit]]
                if kind in ("All", "Comments")
                else [],
                "posts": [_public(v) for v in posts[start : start + limit]] if kind in ("All", "Posts") else [],
                "communities": [],
                "users": [],
            }
        )


def _public(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if not k.startswith("_")}
