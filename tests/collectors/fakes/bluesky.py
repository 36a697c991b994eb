"""A faithful fake of a Bluesky PDS for search: `com.atproto.server.createSession` (app password → access JWT
with an `exp`), `app.bsky.feed.searchPosts` (Bearer token required, sort=latest, since inclusive on the sort
time, offset cursor, limit), and XRPC errors as `{"error", "message"}` (400 ExpiredToken, 401 ...)."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

from tests.fakeapi import FakeService, Reply, Request

DID = "did:plc:vigietest000000000000000"


def xrpc_error(status: int, error: str, message: str) -> Reply:
    """An XRPC error body."""
    return Reply.json({"error": error, "message": message}, status=status)


def _b64(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document, separators=(",", ":")).encode()).rstrip(b"=").decode()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class BlueskyFake(FakeService):
    """One account (`account` handle, `password`); posts kept newest first. `expire_tokens()` makes every access token
    issued so far expired, as two hours of wall time would."""

    def __init__(self, handle: str = "vigie-test.bsky.social", password: str = "abcd-efgh-ijkl-mnop") -> None:
        self.account = handle
        self.password = password
        self.posts: list[dict[str, Any]] = []
        self.tokens: dict[str, bool] = {}  # token → still valid
        self.logins = 0
        self.token_lifetime = 7200
        self.accept_tokens = True  # False: every token is refused (401), as after the app password was revoked
        self._next = 0

    def expire_tokens(self) -> None:
        """Every token issued so far answers 400 ExpiredToken from now on."""
        self.tokens = dict.fromkeys(self.tokens, False)

    def add_post(
        self,
        text: str,
        *,
        at: float | None = None,
        handle: str = "someone.bsky.social",
        langs: list[str] | None = None,
        likes: int = 0,
        created_at: float | None = None,
    ) -> dict[str, Any]:
        """Publish a post indexed at `at` (epoch, default now); returns its PostView."""
        self._next += 1
        at = at if at is not None else time.time()
        did = f"did:plc:author{self._next:021d}"
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "createdAt": _iso(created_at or at), "text": text}
        if langs is not None:
            record["langs"] = langs
        post = {
            "uri": f"at://{did}/app.bsky.feed.post/3lc{self._next:010d}",
            "cid": f"bafyreifake{self._next:040d}",
            "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0].title(), "labels": []},
            "record": record,
            "replyCount": 0,
            "repostCount": 0,
            "likeCount": likes,
            "quoteCount": 0,
            "indexedAt": _iso(at),
            "labels": [],
        }
        self.posts.append(post)
        self.posts.sort(key=_sort_at, reverse=True)
        return post

    def handle(self, request: Request) -> Reply:
        """The two XRPC methods a search needs."""
        if request.path == "/xrpc/com.atproto.server.createSession" and request.method == "POST":
            return self._create_session(request)
        if request.path == "/xrpc/app.bsky.feed.searchPosts" and request.method == "GET":
            return self._search(request)
        return xrpc_error(404, "MethodNotImplemented", "Method Not Implemented")

    def _create_session(self, request: Request) -> Reply:
        body = request.json() or {}
        if not body.get("identifier") or not body.get("password"):
            return xrpc_error(400, "InvalidRequest", 'Input must have the property "identifier"')
        if body["identifier"] != self.account or body["password"] != self.password:
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        self.logins += 1
        now = int(time.time())
        claims = {"scope": "com.atproto.appPass", "sub": DID, "iat": now, "exp": now + self.token_lifetime}
        token = f"{_b64({'typ': 'at+jwt', 'alg': 'ES256K'})}.{_b64(claims)}.c2lnLXtzZWxmLmxvZ2luc30"
        token += f"{self.logins}"
        self.tokens[token] = True
        return Reply.json(
            {
                "did": DID,
                "handle": self.account,
                "email": "ops@vigie.example",
                "emailConfirmed": True,
                "emailAuthFactor": False,
                "accessJwt": token,
                "refreshJwt": f"refresh-{self.logins}",
                "active": True,
            }
        )

    def _search(self, request: Request) -> Reply:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return xrpc_error(401, "AuthMissing", "Authentication Required")
        valid = self.tokens.get(auth.removeprefix("Bearer "))
        if valid is None or not self.accept_tokens:
            return xrpc_error(401, "InvalidToken", "Bad token scope")
        if not valid:
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        q = (request.arg("q") or "").strip().lower()
        if not q:
            return xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        if q.count('"') % 2:  # stands for any query the search service cannot parse
            return xrpc_error(400, "BadQueryString", "Unsupported query syntax")
        since = request.arg("since")
        lang = request.arg("lang")
        limit = max(1, min(int(request.arg("limit") or 25), 100))
        offset = int(request.arg("cursor") or 0)
        selected = [
            p
            for p in self.posts
            if q in p["record"]["text"].lower()
            and (not since or _sort_at(p) >= _parse(since))
            and (not lang or lang in p["record"].get("langs", []))
        ]
        chunk = selected[offset : offset + limit]
        answer: dict[str, Any] = {"posts": chunk, "hitsTotal": len(selected)}
        if offset + limit < len(selected):
            answer["cursor"] = str(offset + limit)
        return Reply.json(answer)


def _sort_at(post: dict[str, Any]) -> float:
    return min(_parse(post["record"]["createdAt"]), _parse(post["indexedAt"]))
