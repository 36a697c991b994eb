"""A report rendered: the self-contained page (inline CSS and SVG charts, printable on A4, also the PDF's source),
and the e-mail (table layout with inline styles and table-cell bars, since Gmail and Outlook drop SVG; plus its
plain-text part). Every text from the data is escaped by the templates' autoescape."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import jinja2
from markupsafe import Markup

from alerts.delivery.message import one_line
from app.reports import words as w
from app.reports.view import report_view

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("app.reports", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
TONES = {"bad": "#ce2c31", "good": "#218358", "neutral": "#60646c"}
SEVERITY_COLOURS = {"critical": "#ce2c31", "warning": "#b25e09", "info": "#60646c"}
CHART_WIDTH = 880  # the page's text width; CSS scales the SVG down on a phone and on A4
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def _charts_module() -> Any:
    # Imported when first used: importing the package app.web loads its pages, which load app.api, which loads
    # app.api.reports, which loads this module; at import time that would be a circular import.
    from app.web import charts

    return charts


def _charts(view: dict[str, Any], lang: str) -> dict[str, Any]:
    charts = _charts_module()
    t = w.TEXT[lang]
    brands = view["brands"]
    count = lambda value: w.number(value, lang, 0 if float(value).is_integer() else 1)  # noqa: E731
    return {
        "volume": charts.line_chart(
            [(b["name"], b["daily"]) for b in brands] if view["any_mention"] else [],
            labels=view["days"],
            title=t["volume"],
            width=CHART_WIDTH,
            y_format=count,
            y_min_step=1,
            empty=t["no_mentions"],
        ),
        "share": _share_chart(view, lang),
        "sentiment": charts.stacked_bars(
            [(b["name"], b["split"]) for b in brands],
            keys=["negative", "neutral", "positive"],
            key_labels=t["sentiments"],
            title=t["sentiment"],
            width=CHART_WIDTH,
            normalize=True,
            value_format=count,
            empty=t["no_mentions"],
        ),
        "brands": [
            charts.line_chart(
                [(b["name"], b["daily"])],
                labels=view["days"],
                baseline=b["daily_previous"],
                baseline_label=t["expected"],
                title=f"{t['volume']} · {b['name']}",
                width=CHART_WIDTH,
                height=160,
                y_format=count,
                y_min_step=1,
                empty=t["no_mentions"],
            )
            for b in view["own_brands"]
        ],
    }


def _share_chart(view: dict[str, Any], lang: str) -> Markup:
    t = w.TEXT[lang]
    return _charts_module().share_bars(
        [(b["name"], b["share_value"]) for b in view["brands"]] if view["any_mention"] else [],
        title=t["share_of_voice"],
        width=CHART_WIDTH,
        highlight=[b["name"] for b in view["brands"] if not b["competitor"]],
        percent_format=lambda share: w.percent(share, lang),
        empty=t["no_mentions"],
    )


def _context(data: dict[str, Any], report_url: str | None) -> dict[str, Any]:
    view = report_view(data, report_url=report_url)
    lang = view["lang"]
    view["colon"] = "\u202f:" if lang == "fr" else ":"
    for brand, raw in zip(view["brands"], data["brands"], strict=True):
        brand["share_value"] = raw["share_of_voice"]["value"] or 0
    view["any_mention"] = any(b["mentions"]["value"] for b in data["brands"])
    charts = _charts_module()  # the e-mail's colours are the charts': the page and the mail agree
    colours = {**charts.KEY_COLOURS, "own": charts.PALETTE[0], "other": charts.PALETTE[1]}
    view.update(colours=colours, tones=TONES, severity_colours=SEVERITY_COLOURS)
    return view


def render_report_html(data: dict[str, Any]) -> str:
    """The self-contained report page (no external resource: inline CSS and SVG)."""
    context = _context(data, None)
    context["charts"] = _charts(context, context["lang"])
    return _ENV.get_template("report.html").render(context)


def render_report_email(data: dict[str, Any], *, report_url: str | None) -> tuple[str, str, str]:
    """The e-mail's subject, HTML and plain text, with a link to the full page."""
    context = _context(data, report_url)
    html = _ENV.get_template("report_email.html").render(context)
    text = _ENV.get_template("report_email.txt").render(context)
    return one_line(context["subject"]), html, text


def report_email_message(
    data: dict[str, Any],
    *,
    report_id: int,
    sender: str,
    recipients: list[str],
    domain: str,
    report_url: str | None,
    channel_id: int | None = None,
) -> EmailMessage:
    """The report as multipart/alternative (text and HTML). Its Message-ID is the report's (and channel's), the
    same on every retry, so that a mail server or client recognises a resent report as the same mail."""
    if not recipients:
        raise ValueError("an e-mail needs at least one recipient")
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"not a domain for Message-IDs: {domain!r}")
    subject, html, text = render_report_email(data, report_url=report_url)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = f"<report-{report_id}{'' if channel_id is None else f'.{channel_id}'}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, no loops
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Vigie-Report"] = str(report_id)
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg
