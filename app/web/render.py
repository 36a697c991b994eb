"""Rendering the web page: one Jinja2 environment (autoescaped), the helpers templates share, and the page's
Content-Security-Policy (scripts and styles from Vigie itself only: a mention's text can never run)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from alerts.delivery.message import KIND_LABELS, SEVERITY_LABELS, format_number, http_url
from app.web.words import translate
from app.websessions import WebUser

# 'unsafe-inline' for styles only: the charts' SVG carries style attributes; no script runs but ours.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {"content-security-policy": PAGE_CSP, "cache-control": "no-store", "referrer-policy": "same-origin"}


@cache
def environment() -> Environment:
    """The templates of app/web/templates, shipped in the package."""
    env = Environment(
        loader=PackageLoader("app.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(safe_url=http_url, format_number=format_number)
    return env


class Formatter:
    """Numbers, times and labels in the person's language and the workspace's time zone."""

    def __init__(self, lang: str, tz: str, now: datetime):
        self.lang, self.now = lang, now
        try:
            self.tz = ZoneInfo(tz)
        except (KeyError, ValueError):
            self.tz = ZoneInfo("UTC")

    def t(self, key: str, **values: Any) -> str:
        return translate(self.lang, key, **values)

    def number(self, value: float | None) -> str:
        return "–" if value is None else format_number(value, self.lang)

    def local(self, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return "" if moment is None else moment.astimezone(self.tz).strftime(fmt)

    def iso(self, moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(UTC).isoformat()

    def ago(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        seconds = (self.now - moment).total_seconds()
        if seconds < 60:
            return self.t("just_now")
        if seconds < 3600:
            return self.t("ago_min", n=int(seconds // 60))
        if seconds < 86400:
            return self.t("ago_h", n=int(seconds // 3600))
        return self.t("ago_d", n=int(seconds // 86400))

    def signal(self, name: str) -> str:
        """A risk signal's name for people ("crisis_terms" → "termes de crise"); unknown ones as they are."""
        text = translate(self.lang, f"signal_{name}")
        return name if text == f"signal_{name}" else text

    def severity(self, value: str) -> str:
        return SEVERITY_LABELS.get(self.lang, SEVERITY_LABELS["en"]).get(value, value)

    def kind(self, value: str) -> str:
        return KIND_LABELS.get(self.lang, KIND_LABELS["en"]).get(value, value)


def render(
    request: Request,
    template: str,
    *,
    user: WebUser | None,
    lang: str = "en",
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A whole page (or a fragment) from `template`, for `user`, with the page's security headers."""
    lang = user.language if user else lang
    fmt = Formatter(lang, user.timezone if user else "UTC", datetime.now(UTC))
    html = (
        environment()
        .get_template(template)
        .render(request=request, user=user, lang=lang, t=fmt.t, fmt=fmt, path=request.url.path, **context)
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
