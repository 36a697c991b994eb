"""Typed dependencies of the routes: the caller (an API key, its workspace and scope), a read or write
transaction, and the settings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine

from app.api.errors import Problem
from app.apikeys import TOUCH_EVERY, Scope, allows, hash_key, needs_touch
from app.db import reading, writing, writing_nowait
from app.db.schema import utcnow
from app.settings import Settings
from app.storage.apikeys import get_api_key_by_hash, touch_api_key
from app.websessions import COOKIE, CSRF_HEADER, csrf_matches, read_session

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="API key",
    description="`Authorization: Bearer <key>`: a key from `vigie apikey create`, or the one shown at the first start.",
)
NO_KEY = "this endpoint needs an API key: send `Authorization: Bearer <key>` (make one with `vigie apikey create`)"
NOT_BEARER = "the Authorization header must be `Bearer <key>`, with an API key (make one with `vigie apikey create`)"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a request comes from: an API key, the workspace it opens and its scope."""

    key_id: int
    workspace_id: int
    name: str
    scope: str
    via: str = "api"  # "web" for the web page's session cookie

    @property
    def actor(self) -> str:
        """How the timeline names what this key did (through the API, or signed in on the web page)."""
        return f"{self.via}:{self.name}"[:100]


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _read(request: Request) -> Iterator[sa.Connection]:
    with reading(request.app.state.engine) as conn:
        yield conn


def _write(request: Request) -> Iterator[sa.Connection]:
    with writing(request.app.state.engine) as conn:
        yield conn


def _unauthorized(detail: str, error: str | None = None) -> Problem:
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": challenge})


def _touch(engine: Engine, key_id: int) -> None:
    try:
        with writing_nowait(engine) as conn:
            touch_api_key(conn, key_id=key_id, now=utcnow(), every=TOUCH_EVERY)
    except sa.exc.OperationalError:
        pass  # another writer holds the lock: a later request records the use rather than make this one wait


def _caller(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    # The key is looked up in a short read transaction of its own, and its use recorded in a short write one,
    # both before the route opens its transaction: on SQLite, a second writer inside the route's write
    # transaction would wait for that very transaction. Nothing is cached, so a revocation applies at once.
    engine = request.app.state.engine
    if credentials is None:
        if "authorization" not in request.headers and COOKIE in request.cookies:
            return _cookie_caller(request, engine)
        raise _unauthorized(NOT_BEARER if "authorization" in request.headers else NO_KEY)
    try:
        with reading(engine) as conn:
            row = get_api_key_by_hash(conn, key_hash=hash_key(credentials.credentials))
    except sa.exc.DBAPIError:
        raise Problem(503, "Not ready", "the database is unreachable or not migrated; see /readyz") from None
    if row is None:
        raise _unauthorized("this API key is not known to Vigie; check that it was copied whole", "invalid_token")
    if row["revoked_at"] is not None:
        when = f"{row['revoked_at']:%Y-%m-%d %H:%M} UTC"
        detail = f"this API key ({row['prefix']}…, {row['name']!r}) was revoked on {when}; ask an admin for a new one"
        raise _unauthorized(detail, "invalid_token")
    if needs_touch(row["last_used_at"], utcnow()):
        _touch(engine, row["id"])
    return Caller(key_id=row["id"], workspace_id=row["workspace_id"], name=row["name"], scope=row["scope"])


def _cookie_caller(request: Request, engine: Engine) -> Caller:
    """The caller of a request from the web page, signed in with a session cookie. A change needs the page's
    CSRF token in `X-CSRF-Token`: another site can make a browser send the cookie, never read the token."""
    try:
        with reading(engine) as conn:
            user = read_session(conn, token=request.cookies.get(COOKIE), now=utcnow())
    except sa.exc.DBAPIError:
        raise Problem(503, "Not ready", "the database is unreachable or not migrated; see /readyz") from None
    if user is None:
        raise _unauthorized("this web session has ended (signed out, expired or its key revoked); sign in again")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not csrf_matches(user, request.headers.get(CSRF_HEADER)):
        raise Problem(403, "Forbidden", f"a change from the web page needs its {CSRF_HEADER} header; reload the page")
    return Caller(key_id=user.key_id, workspace_id=user.workspace_id, name=user.key_name, scope=user.scope, via="web")


CallerDep = Annotated[Caller, Depends(_caller)]


def require_scope(*, write: Scope, read: Scope = "read") -> Any:
    """A router dependency: reads (GET, HEAD) need the `read` scope, every other method the `write` one."""

    def _check(request: Request, caller: CallerDep) -> None:
        needed = read if request.method in ("GET", "HEAD") else write
        if not allows(caller.scope, needed):
            detail = (
                f"this API key has the {caller.scope!r} scope; {request.method} {request.url.path} needs the "
                f"{needed!r} scope (ask an admin for such a key)"
            )
            raise Problem(403, "Forbidden", detail, required_scope=needed)

    return Depends(_check)


def _workspace_id(caller: CallerDep) -> int:
    return caller.workspace_id


SettingsDep = Annotated[Settings, Depends(_settings)]
ReadConn = Annotated[sa.Connection, Depends(_read, scope="function")]
# "function": commit before the response is sent, so that a client told 201 can read what it wrote.
WriteConn = Annotated[sa.Connection, Depends(_write, scope="function")]
# The workspace of the caller's key: every query of a route is limited to it.
WorkspaceId = Annotated[int, Depends(_workspace_id)]
