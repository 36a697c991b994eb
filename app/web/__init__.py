"""The web page: server-rendered pages (Jinja2) with a little JavaScript, assets shipped in the package.

`install_web` adds the pages, the sign-in redirect and /static to the API's application. Pages read through
the storage layer; their buttons and live list call the JSON API with the session cookie (app.websessions).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.web import auth, brands, health, incidents, mentions, reports
from app.web.access import SignInRequired, sign_in_redirect

STATIC = Path(__file__).parent / "static"
PAGES = (auth, incidents, mentions, brands, health, reports)


def install_web(app: FastAPI) -> None:
    """Mount the pages and their assets on `app`."""
    app.add_exception_handler(SignInRequired, sign_in_redirect)  # type: ignore[arg-type]
    for module in PAGES:
        app.include_router(module.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
