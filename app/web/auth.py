"""Sign in with an API key, sign out, and the person's choice of language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.api.deps import SettingsDep
from app.db import writing
from app.db.schema import utcnow
from app.storage.web_sessions import set_web_session_language
from app.web.access import OptionalUser, WebUserDep, check_form_csrf, safe_next
from app.web.render import render
from app.websessions import COOKIE, LANGUAGES, SignInError, clear_session_cookie, set_session_cookie, sign_in, sign_out

router = APIRouter()
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def _language(request: Request) -> str:
    accepted = request.headers.get("accept-language", "")
    return "fr" if accepted[:2].lower() == "fr" else "en"


def _login_page(request: Request, settings, *, next_path: str, error: str | None = None, status: int = 200):
    insecure = settings.web_cookie_secure and request.url.scheme == "http" and request.url.hostname not in LOOPBACK
    return render(
        request,
        "login.html",
        user=None,
        lang=_language(request),
        status=status,
        next_path=next_path,
        error=error,
        insecure=insecure,
    )


@router.get("/login")
def login_page(request: Request, settings: SettingsDep, user: OptionalUser, next: str | None = None) -> Response:
    """The sign-in form (a signed-in person goes straight on)."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, settings, next_path=safe_next(next))


@router.post("/login")
def login(
    request: Request,
    settings: SettingsDep,
    key: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Open a session for the key, set the cookie, and go to the page asked for."""
    if not key.strip():
        return _login_page(request, settings, next_path=safe_next(next), error="bad_key_empty", status=400)
    try:
        with writing(request.app.state.engine) as conn:
            token = sign_in(conn, key=key, settings=settings, now=utcnow())
    except SignInError as exc:
        return _login_page(request, settings, next_path=safe_next(next), error=f"bad_key_{exc}", status=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, token, settings)
    return response


@router.post("/logout")
def logout(request: Request, settings: SettingsDep, user: WebUserDep, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session and forget the cookie."""
    check_form_csrf(user, csrf)
    with writing(request.app.state.engine) as conn:
        sign_out(conn, token=request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, settings)
    return response


@router.post("/language")
def choose_language(
    request: Request,
    user: WebUserDep,
    lang: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Show the pages in French or English for this session."""
    check_form_csrf(user, csrf)
    with writing(request.app.state.engine) as conn:
        set_web_session_language(conn, session_id=user.session_id, language=lang if lang in LANGUAGES else None)
    return RedirectResponse(safe_next(next), status_code=303)
