"""E-mail pages: a French storm renders, threads per incident and escapes the public's text; sending goes
through a real local SMTP server (plain, STARTTLS, implicit TLS, AUTH) and every failure says retry or fail."""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from email.utils import parsedate_to_datetime
from html import unescape

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from alerts.delivery.email import SmtpConfig, render_email, send_email
from alerts.delivery.message import IncidentMessage, MentionView

OPENED = datetime(2025, 3, 4, 13, 0, tzinfo=UTC)
DOMAIN = "vigie.example"
SENDER = "Vigie <alertes@vigie.example>"
TO = ["camille@hotel-du-lac.fr", "astreinte@hotel-du-lac.fr"]
PASSWORD = "s3cr3t-Mot-de-passe!"
SUBJECT_FR = "[CRITIQUE] Hôtel du Lac — tempête de mentions négatives (score 87)"
COMPLAINT = (
    "Remboursement refusé, service client injoignable depuis 3 semaines <script>alert('x')</script> "
    '<a href="javascript:alert(1)">cliquez</a> & merci pour rien'
)


def mention(**overrides) -> MentionView:
    values = {
        "title": "Avis TripAdvisor",
        "text": COMPLAINT,
        "url": "https://www.tripadvisor.fr/ShowUserReviews-g1-d2-r3.html",
        "author": "Julie M.",
        "author_reach": 12_400,
        "sentiment": "negative",
        "risk": 88,
        "published_at": datetime(2025, 3, 4, 12, 58, tzinfo=UTC),
        "source_name": "TripAdvisor",
    }
    return MentionView(**(values | overrides))


def storm(language: str = "fr", **overrides) -> IncidentMessage:
    values = {
        "message_id": "msg_7",
        "event": "incident.opened",
        "reason": "first",
        "language": language,
        "workspace_name": "Groupe Lac",
        "brand_name": "Hôtel du Lac",
        "incident_id": 42,
        "kind": "storm",
        "severity": "critical",
        "status": "open",
        "score": 87,
        "peak_score": 91,
        "mention_count": 342,
        "peak_rate": 48.0,
        "explanation": "Hôtel du Lac — bad buzz en formation (critique). Score 87 — 48 mentions/h sur les 15 "
        "dernières minutes contre 3 attendues un mardi à 14:00 ; 71 % négatives contre 18 % d'habitude.",
        "opened_at": OPENED,
        "updated_at": OPENED,
        "incident_url": "https://vigie.example/incidents/42",
        "ack_url": "https://vigie.example/ack/42?token=abc&sig=def",
        "top_mentions": (mention(), mention(author="Spam", url="javascript:alert(1)", text="Lien piégé")),
        "top_terms": (("remboursement", 9), ("arnaque", 4)),
        "sentiment_split": {"negative": 243, "neutral": 80, "positive": 19},
    }
    return IncidentMessage(**(values | overrides))


def rendered(message: IncidentMessage) -> EmailMessage:
    """Render, then read back from bytes as a mail client would."""
    msg = render_email(message, sender=SENDER, recipients=TO, domain=DOMAIN)
    return BytesParser(policy=default).parsebytes(msg.as_bytes())


def bodies(msg: EmailMessage) -> tuple[str, str]:
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


# --- rendering ---------------------------------------------------------------------------------------------


def test_a_french_storm_mail_has_the_exact_subject_headers_and_both_parts() -> None:
    msg = rendered(storm("fr"))
    assert msg["Subject"] == SUBJECT_FR
    assert msg["From"] == SENDER and msg["To"] == ", ".join(TO)
    assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
    assert msg["Auto-Submitted"] == "auto-generated" and msg["X-Vigie-Incident"] == "42"
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    text, html = bodies(msg)
    for body in (text, unescape(html)):
        for expected in ("Nouvel incident.", "48 mentions/h sur les 15", "CRITIQUE", "87 (pic 91)", "342",
                         "Julie M.", "12\u202f400 abonnés", "Remboursement refusé", "remboursement (9)",
                         "négatif 243 (71\u202f%)", "Prendre en charge", "Ouvrir l'incident"):  # fmt: skip
            assert expected in body, expected
    assert "https://vigie.example/ack/42?token=abc&sig=def" in text
    assert 'href="https://vigie.example/ack/42?token=abc&amp;sig=def"' in html
    assert 'href="https://www.tripadvisor.fr/ShowUserReviews-g1-d2-r3.html"' in html


def test_an_english_mail_reads_english() -> None:
    msg = rendered(storm("en", explanation="Hôtel du Lac — storm (critical). Score 87."))
    assert msg["Subject"] == "[CRITICAL] Hôtel du Lac — storm of negative mentions (score 87)"
    text, html = bodies(msg)
    for body in (text, html):
        assert "New incident." in body and "12,400 followers" in body and "Acknowledge" in body
        assert "Open the incident" in body and "Crisis terms" in body and "negative 243 (71%)" in body
        assert "abonnés" not in body and "Gravité" not in body


def test_the_first_mail_is_the_thread_root_and_later_ones_reply_to_it() -> None:
    first = rendered(storm(reason="first"))
    assert first["Message-ID"] == "<incident-42.root@vigie.example>"
    assert first["In-Reply-To"] is None and first["References"] is None
    reasons = ["update", "severity", "reminder", "escalation", "acknowledged", "resolved"]
    later = [rendered(storm(reason=r, message_id=f"msg_{i}")) for i, r in enumerate(reasons, start=8)]
    for msg in later:
        assert msg["In-Reply-To"] == msg["References"] == "<incident-42.root@vigie.example>"
    ids = [m["Message-ID"] for m in [first, *later]]
    assert len(set(ids)) == len(ids) and ids[1] == "<msg_8@vigie.example>"


def test_a_test_mail_is_its_own_thread() -> None:
    msg = rendered(storm(reason="test", message_id="msg_test_3", event="vigie.test"))
    assert msg["Subject"].startswith("[TEST] [CRITIQUE]")
    assert msg["Message-ID"] == "<msg_test_3@vigie.example>" and msg["In-Reply-To"] is None
    assert "aucun incident réel" in bodies(msg)[0]


def test_reasons_read_differently_in_the_body() -> None:
    reasons = ["first", "update", "severity", "reminder", "escalation", "acknowledged", "resolved"]
    texts = {r: bodies(rendered(storm(reason=r, resolution="handled", escalation_step=2)))[0] for r in reasons}
    lines = {r: text.split("\n")[2] for r, text in texts.items()}  # the line under the subject
    assert len(set(lines.values())) == len(lines)
    assert lines["resolved"] == "Résolu (traité)." and "niveau 2" in lines["escalation"]


def test_the_public_text_is_escaped_and_only_http_links_are_linked() -> None:
    text, html = bodies(rendered(storm("fr")))
    assert "<script>" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;cliquez&lt;/a&gt; &amp; merci" in html  # shown, inert
    assert re.findall(r'<a href="([^"]*)"', html) == [
        "https://vigie.example/ack/42?token=abc&amp;sig=def",
        "https://vigie.example/incidents/42",
        "https://www.tripadvisor.fr/ShowUserReviews-g1-d2-r3.html",
    ]  # the Spam mention's javascript: URL is neither a link nor printed
    assert "Lien piégé" in html and "Lien piégé" in text and "\n  javascript:" not in text


def test_without_an_ack_link_there_is_no_acknowledge_link() -> None:
    text, html = bodies(rendered(storm("fr", reason="acknowledged", ack_url=None, acknowledged_by="Camille")))
    assert "Prendre en charge :" not in text.replace("\u202f", " ") and "/ack/" not in html
    assert "Pris en charge par Camille." in text


def test_a_brand_name_cannot_inject_headers() -> None:
    msg = rendered(storm(brand_name="Lac\r\nBcc: tous@exemple.fr"))
    assert msg["Bcc"] is None and "\n" not in msg["Subject"]


def test_the_smtp_password_never_shows_in_a_repr() -> None:
    config = SmtpConfig("smtp.example", 587, "starttls", username="vigie", password=PASSWORD)
    assert PASSWORD not in repr(config)
    with pytest.raises(ValueError):
        SmtpConfig("smtp.example", 587, "tls")


# --- sending through a real SMTP server --------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or answers RCPT / DATA with a chosen reply."""

    def __init__(self, rcpt_reply: str | None = None, data_reply: str = "250 OK", only: str | None = None) -> None:
        self.rcpt_reply, self.data_reply, self.only = rcpt_reply, data_reply, only
        self.received: list[tuple[object, bool]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.rcpt_reply and self.only in (None, address):
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.data_reply.startswith("250"):
            # session.ssl is only set by STARTTLS; implicit TLS shows on the transport.
            encrypted = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
            self.received.append((envelope, encrypted))
        return self.data_reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., int]]:
    """Start real aiosmtpd servers on 127.0.0.1; each is stopped at the end of the test."""
    started: list[Controller] = []

    def start(handler: Inbox, **kwargs) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="smtp.test", **kwargs)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


def check_password(server, session, envelope, mechanism, auth_data) -> AuthResult:
    if isinstance(auth_data, LoginPassword) and auth_data == (b"vigie", PASSWORD.encode()):
        return AuthResult(success=True)
    # A careless server echoing what it got: Vigie must still keep the password out of its records.
    password = auth_data.password.decode() if isinstance(auth_data, LoginPassword) else "?"
    return AuthResult(success=False, handled=False, message=f"535 5.7.8 bad credentials: {password}")


def config(port: int, security: str = "plain", **kwargs) -> SmtpConfig:
    return SmtpConfig("127.0.0.1", port, security, local_hostname="vigie.test", **kwargs)  # type: ignore[arg-type]


def page() -> EmailMessage:
    return render_email(storm("fr"), sender=SENDER, recipients=TO, domain=DOMAIN)


def test_a_page_reaches_a_plain_smtp_server_intact(smtp_server) -> None:
    inbox = Inbox()
    result = send_email(page(), config(smtp_server(inbox)))
    assert (result.outcome, result.status_code, result.error) == ("delivered", 250, None)
    assert result.latency_ms > 0
    [(envelope, _)] = inbox.received
    assert envelope.mail_from == "alertes@vigie.example" and envelope.rcpt_tos == TO
    arrived = BytesParser(policy=default).parsebytes(envelope.original_content)
    assert arrived["Subject"] == SUBJECT_FR and arrived["Message-ID"] == "<incident-42.root@vigie.example>"
    assert "Remboursement refusé" in arrived.get_body(("plain",)).get_content()


def test_starttls_with_authentication(smtp_server, server_tls, client_tls) -> None:
    inbox = Inbox()
    port = smtp_server(inbox, tls_context=server_tls, require_starttls=True, authenticator=check_password,
                       auth_required=True)  # fmt: skip
    result = send_email(page(), config(port, "starttls", username="vigie", password=PASSWORD, ssl_context=client_tls))
    assert result.outcome == "delivered", result.error
    [(_, over_tls)] = inbox.received
    assert over_tls


def test_a_wrong_password_fails_for_good_without_showing_it(smtp_server, server_tls, client_tls) -> None:
    port = smtp_server(Inbox(), tls_context=server_tls, require_starttls=True, authenticator=check_password,
                       auth_required=True)  # fmt: skip
    wrong = "Mauvais-" + PASSWORD
    result = send_email(page(), config(port, "starttls", username="vigie", password=wrong, ssl_context=client_tls))
    assert (result.outcome, result.status_code) == ("failed", 535)
    assert "bad credentials" in result.error and wrong not in result.error and PASSWORD not in result.error
    assert wrong not in repr(result)


def test_implicit_tls(smtp_server, server_tls, client_tls) -> None:
    inbox = Inbox()
    result = send_email(page(), config(smtp_server(inbox, ssl_context=server_tls), "ssl", ssl_context=client_tls))
    assert result.outcome == "delivered", result.error
    assert inbox.received[0][1]


def test_a_certificate_nobody_trusts_is_a_setup_error(smtp_server, server_tls) -> None:
    port = smtp_server(Inbox(), tls_context=server_tls, require_starttls=True)
    result = send_email(page(), config(port, "starttls"))  # the system's CAs do not know the test CA
    assert result.outcome == "failed" and "certificate verify failed" in result.error


def test_a_server_without_starttls_is_a_setup_error(smtp_server, client_tls) -> None:
    result = send_email(page(), config(smtp_server(Inbox()), "starttls", ssl_context=client_tls))
    assert result.outcome == "failed" and "STARTTLS" in result.error


@pytest.mark.parametrize(
    ("handler", "outcome", "code"),
    [
        (Inbox(data_reply="450 4.2.0 try later"), "retry", 450),
        (Inbox(rcpt_reply="451 4.3.0 greylisted, try later"), "retry", 451),
        (Inbox(rcpt_reply="550 5.1.1 no such user"), "failed", 550),
        (Inbox(data_reply="554 5.7.1 message refused"), "failed", 554),
    ],
    ids=["450-data", "451-rcpt", "550-rcpt", "554-data"],
)
def test_temporary_refusals_retry_and_permanent_ones_fail(smtp_server, handler, outcome, code) -> None:
    result = send_email(page(), config(smtp_server(handler)))
    assert (result.outcome, result.status_code) == (outcome, code)
    assert str(code) in result.error


def test_one_refused_recipient_does_not_resend_to_the_others(smtp_server) -> None:
    inbox = Inbox(rcpt_reply="550 5.1.1 no such user", only=TO[1])
    result = send_email(page(), config(smtp_server(inbox)))
    assert result.outcome == "delivered" and f"{TO[1]} 550 5.1.1 no such user" in result.error
    assert inbox.received[0][0].rcpt_tos == TO[:1]


def test_a_closed_port_is_worth_a_retry() -> None:
    result = send_email(page(), config(free_port()), timeout=2)
    assert (result.outcome, result.status_code) == ("retry", None)
    assert "ConnectionRefusedError" in result.error


def test_a_server_that_never_greets_times_out_into_a_retry() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts the connection; nobody ever says 220
        result = send_email(page(), config(silent.getsockname()[1]), timeout=0.3)
    assert result.outcome == "retry" and "timed out" in result.error
