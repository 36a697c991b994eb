"""An incident as an e-mail (plain text + HTML, French or English), and sending it over SMTP.

Threading: all the mail about one incident is one thread. Each message has a Message-ID of its own,
`<{message.message_id}@{domain}>` (stable across retries of one delivery, so a retried send is recognised
as the same mail), and points at a root id `<incident-{id}.root@{domain}>` with In-Reply-To and References.
The first notification (reason "first") *is* the root: its Message-ID is the root id and it has neither
header. Later messages still thread when the first one never arrived: clients group on References alone.
A test message (reason "test") belongs to no incident and carries no threading header.

Mention text is untrusted: the HTML template autoescapes everything and only http(s) URLs become links.
`send_email` never raises for delivery errors: it returns a `SendResult` whose outcome says whether to retry.
"""

from __future__ import annotations

import base64
import re
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal

import jinja2

from alerts.delivery.message import NNBSP, WORDS, IncidentMessage, MentionView, cut, http_url, one_line
from alerts.delivery.message import format_number as _number
from alerts.delivery.message import format_time as _time

Outcome = Literal["delivered", "retry", "failed"]
Security = Literal["plain", "starttls", "ssl"]
MAX_MENTIONS = 10
_EXCERPT = 500  # characters of a mention's text; the full post is one click away
_ERROR_EXCERPT = 300
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("alerts.delivery", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

_WORDS = {
    "en": {
        **WORDS["en"],
        "why": "Why",
        "top_mentions": "Top mentions",
        "open": "Open the incident",
        "footer": "Sent by Vigie for",
        "update": "The incident was updated.",
    },
    "fr": {
        **WORDS["fr"],
        "why": "Pourquoi",
        "top_mentions": "Mentions principales",
        "open": "Ouvrir l'incident",
        "footer": "Envoyé par Vigie pour",
        "update": "L'incident a été mis à jour.",
    },
}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to send: `security` is "plain", "starttls" (usually port 587) or "ssl" (port 465)."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl_context: ssl.SSLContext | None = None  # None: the system's trusted CAs, hostname checked
    local_hostname: str | None = None  # said in EHLO; None: this machine's FQDN

    def __post_init__(self) -> None:
        if self.security not in ("plain", "starttls", "ssl"):
            raise ValueError(f"unknown SMTP security {self.security!r}: plain, starttls or ssl")


@dataclass(frozen=True, slots=True)
class SendResult:
    """One attempt: delivered, worth a retry later, or failed for good; `error` never holds a secret."""

    outcome: Outcome
    status_code: int | None  # the SMTP reply code when there was one
    latency_ms: float
    error: str | None = None


_http_url = http_url  # only http(s) links, percent-encoded


def render_email(message: IncidentMessage, *, sender: str, recipients: Sequence[str], domain: str) -> EmailMessage:
    """The notification as multipart/alternative (text and HTML), with headers that thread per incident."""
    if not recipients:
        raise ValueError("an e-mail needs at least one recipient")
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"not a domain for Message-IDs: {domain!r}")
    context = _template_context(message)
    msg = EmailMessage()
    msg["Subject"] = one_line(message.subject())
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(datetime.now(UTC))
    for name, value in _thread_headers(message, domain).items():
        msg[name] = value
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, no loops
    msg["X-Auto-Response-Suppress"] = "All"  # the same for Exchange / Outlook, which ignores Auto-Submitted
    msg["X-Vigie-Incident"] = str(message.incident_id)
    # Quoted-printable keeps lines short and 7-bit, whatever the server says about 8BITMIME.
    msg.set_content(_ENV.get_template("incident.txt.j2").render(context), cte="quoted-printable")
    msg.add_alternative(_ENV.get_template("incident.html.j2").render(context), subtype="html", cte="quoted-printable")
    return msg


def send_email(msg: EmailMessage, smtp: SmtpConfig, *, timeout: float = 20.0) -> SendResult:
    """Send over SMTP and say what happened: 4xx and network trouble are "retry", 5xx are "failed"."""
    started = time.monotonic()
    try:
        refused = _transmit(msg, smtp, timeout)
    except (smtplib.SMTPException, OSError) as exc:
        outcome, code = _classify(exc)
        return SendResult(outcome, code, _elapsed_ms(started), _error_excerpt(_describe(exc), smtp))
    # Some recipients refused, others accepted: resending would duplicate the mail for the accepted ones.
    error = _error_excerpt(_describe_refused(refused), smtp) if refused else None
    return SendResult("delivered", 250, _elapsed_ms(started), error)


def _transmit(msg: EmailMessage, smtp: SmtpConfig, timeout: float) -> dict[str, tuple[int, bytes]]:
    """Connect, secure, log in and send; returns the recipients refused while others were accepted."""
    context = smtp.ssl_context if smtp.ssl_context is not None else ssl.create_default_context()
    if smtp.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, local_hostname=smtp.local_hostname, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, local_hostname=smtp.local_hostname, timeout=timeout)
    try:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username is not None:
            client.login(smtp.username, smtp.password or "")
        return client.send_message(msg)
    finally:
        _hang_up(client)


def _hang_up(client: smtplib.SMTP) -> None:
    """QUIT politely; once the mail is accepted, a server that drops the line on QUIT changes nothing."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()


def _classify(exc: BaseException) -> tuple[Outcome, int | None]:
    """Retry what may pass (4xx, timeouts, refused or dropped connections); fail what will not (5xx, bad setup)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        temporary = [code for code in codes if not 500 <= code < 600]
        return ("retry", min(temporary)) if temporary else ("failed", max(codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        return ("failed" if 500 <= exc.smtp_code < 600 else "retry"), exc.smtp_code
    # No STARTTLS or AUTH offered, or a certificate that does not verify: the setup is wrong, and a retry in
    # five minutes would meet the same server.
    if isinstance(exc, smtplib.SMTPNotSupportedError | ssl.SSLCertVerificationError):
        return "failed", None
    return "retry", None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _describe_refused(exc.recipients)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _describe_refused(refused: dict[str, tuple[int, bytes]]) -> str:
    return "refused: " + "; ".join(f"{address} {code} {_text(reply)}" for address, (code, reply) in refused.items())


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _error_excerpt(text: str, smtp: SmtpConfig) -> str:
    """At most 300 characters, with the password gone in every form a server might echo it back."""
    secrets = []
    if smtp.password:
        user = smtp.username or ""
        for raw in (smtp.password, f"\0{user}\0{smtp.password}"):  # as typed, and as AUTH PLAIN sends it
            secrets += [raw, base64.b64encode(raw.encode()).decode()]
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = one_line(text)
    return text if len(text) <= _ERROR_EXCERPT else text[: _ERROR_EXCERPT - 1] + "…"


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _thread_headers(message: IncidentMessage, domain: str) -> dict[str, str]:
    root = f"<incident-{message.incident_id}.root@{domain}>"
    if message.reason == "first":
        return {"Message-ID": root}
    own = _ID_UNSAFE.sub("-", message.message_id).strip(".-")
    own = re.sub(r"\.{2,}", ".", own)  # a Message-ID's left part is a dot-atom: no empty atoms
    if not own:
        raise ValueError(f"message_id {message.message_id!r} gives no usable Message-ID")
    headers = {"Message-ID": f"<{own}@{domain}>"}
    if message.reason != "test":
        headers |= {"In-Reply-To": root, "References": root}
    return headers


def _template_context(message: IncidentMessage) -> dict:
    lang = "fr" if message.language.lower().startswith("fr") else "en"
    words = _WORDS[lang]
    return {
        "lang": lang,
        "t": words,
        "subject": one_line(message.subject()),
        "reason": _reason_line(message, words),
        "explanation": message.explanation,
        "facts": _facts(message, words, lang),
        "mentions": [_mention(m, words, lang) for m in message.top_mentions[:MAX_MENTIONS]],
        "more": max(0, len(message.top_mentions) - MAX_MENTIONS),
        "terms": [(one_line(term), _number(n, lang)) for term, n in message.top_terms],
        "sentiment": _sentiment(message.sentiment_split, words, lang),
        "ack_url": _http_url(message.ack_url),
        "incident_url": _http_url(message.incident_url),
        "workspace": message.workspace_name,
        "incident_id": message.incident_id,
    }


def _reason_line(message: IncidentMessage, words: dict) -> str:
    """What changed, in one sentence: a reminder or a resolution must never read like a new page."""
    reason = message.reason
    if reason == "severity":
        return words["severity_change"].format(label=message.severity_label())
    if reason == "escalation":
        return words["escalation"].format(step=message.escalation_step)
    if reason == "acknowledged":
        who = one_line(message.acknowledged_by or "")
        return words["acknowledged"].format(who=who) if who else words["acknowledged_anon"]
    if reason == "resolved":
        label = words["resolutions"].get(message.resolution or "", "")
        return words["resolved"].format(resolution=label) if label else words["resolved_plain"]
    return words[reason]


def _facts(message: IncidentMessage, words: dict, lang: str) -> list[tuple[str, str]]:
    facts = [
        (words["severity"], message.severity_label()),
        (words["score"], f"{message.score} ({words['peak']} {message.peak_score})"),
        (words["mentions"], _number(message.mention_count, lang)),
    ]
    if message.peak_rate is not None:
        facts.append((words["rate"], f"{_number(message.peak_rate, lang)} {words['per_hour']}"))
    facts.append((words["status"], words["statuses"].get(message.status, message.status)))
    facts.append((words["opened"], _time(message.opened_at)))
    return facts


def _mention(mention: MentionView, words: dict, lang: str) -> dict:
    text, title = one_line(mention.text), one_line(mention.title)
    reach = mention.author_reach
    return {
        "author": cut(one_line(mention.author or ""), 150) or words["unknown_author"],
        "reach": None if reach is None else f"{_number(reach, lang)} {words['followers']}",
        "source": cut(one_line(mention.source_name or ""), 100),
        "title": cut(title, 200) if title and not text.startswith(title) else "",
        "excerpt": cut(text, _EXCERPT),
        "url": _http_url(mention.url),
    }


def _sentiment(split: dict[str, int], words: dict, lang: str) -> list[tuple[str, str]]:
    total = sum(v for k, v in split.items() if k in words["sentiments"])
    if not total:
        return []
    percent = f"{NNBSP}%" if lang == "fr" else "%"
    return [
        (words["sentiments"][k], f"{_number(v, lang)} ({round(100 * v / total)}{percent})")
        for k, v in split.items()
        if k in words["sentiments"]
    ]
