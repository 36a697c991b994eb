"""Who is signed in on the web page: a dependency that reads the session cookie (and sends a signed-out
visitor to /login, back to the page afterwards), and the CSRF check of the page's own forms."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.api.errors import Problem
from app.db import reading, writing_nowait
from app.db.schema import utcnow
from app.storage.web_sessions import touch_web_session
from app.websessions import COOKIE, WebUser, csrf_matches, read_session


class SignInRequired(Exception):
    """Raised by a page for a visitor without a valid session: answered by a redirect to /login."""

    def __init__(self, target: str):
        self.target = target


def sign_in_redirect(request: Request, exc: SignInRequired) -> Response:
    """The answer to SignInRequired: /login?next=<the page asked for>."""
    return RedirectResponse(f"/login?next={quote(exc.target, safe='/')}", status_code=303)


def safe_next(target: str | None) -> str:
    """A local path to go back to after signing in ("/" for anything else: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def optional_user(request: Request) -> WebUser | None:
    """The signed-in person, or None; records the use at most once a minute."""
    engine = request.app.state.engine
    with reading(engine) as conn:
        user = read_session(conn, token=request.cookies.get(COOKIE), now=utcnow())
    if user is not None and user.stale:
        try:
            with writing_nowait(engine) as conn:
                touch_web_session(conn, session_id=user.session_id, now=utcnow())
        except sa.exc.OperationalError:
            pass  # another writer holds the lock: a later page records the use
    return user


def current_user(request: Request, user: Annotated[WebUser | None, Depends(optional_user)]) -> WebUser:
    """The signed-in person; a visitor without a session is sent to /login."""
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return user


def check_form_csrf(user: WebUser, token: str | None) -> None:
    """A form of the page posted back its CSRF token, or the change is refused."""
    if not csrf_matches(user, token):
        raise Problem(403, "Forbidden", "this form is stale or comes from another site; reload the page and retry")


WebUserDep = Annotated[WebUser, Depends(current_user)]
OptionalUser = Annotated[WebUser | None, Depends(optional_user)]
