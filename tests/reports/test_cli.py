"""`vigie report` as a CM runs it: a week (or given days) written as HTML or PDF, and e-mailed on request."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.db import reading
from app.storage.reports import list_reports


@pytest.fixture
def run(database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VIGIE_DATABASE_URL", database_url)
    for name in ("VIGIE_CONFIG", "VIGIE_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(main, ["report", *args], catch_exceptions=False)

    return invoke


def test_a_week_written_as_html_and_as_pdf(world, run, engine, tmp_path: Path) -> None:
    page, pdf = tmp_path / "semaine.html", tmp_path / "semaine.pdf"
    result = run("--since", "2026-11-16", "--until", "2026-11-23", "--out", str(page))
    assert result.exit_code == 0, result.output
    assert "2026-11-16 to 2026-11-22 (Europe/Paris), 82 mentions, 3 incidents" in result.output
    assert "Rapport hebdomadaire" in page.read_text(encoding="utf-8")
    result = run("--since", "2026-11-16", "--until", "2026-11-23", "--lang", "en", "--out", str(pdf))
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    with reading(engine) as conn:
        stored = list_reports(conn, workspace_id=world["workspace_id"], limit=10)
    assert [(r["trigger"], r["language"]) for r in stored] == [("demand", "en"), ("demand", "fr")]


def test_mistakes_are_said_plainly(world, run, tmp_path: Path) -> None:
    assert "give both --since and --until" in run("--since", "2026-11-16").output
    assert "must end in .html or .pdf" in run("--out", str(tmp_path / "x.docx")).output
    assert "no workspace named 'acme'" in run("--workspace", "acme").output
    assert "until must be after since" in run("--since", "2026-11-23", "--until", "2026-11-16").output
    assert "use a date" in run("--since", "lundi", "--until", "2026-11-16").output


def test_email_sends_it_now_to_the_workspace_s_email_channels(world, run, client, smtp_server, monkeypatch) -> None:
    inbox, port = smtp_server()
    client.post("/api/v1/channels", json={"name": "direction", "kind": "email", "to": ["direction@example.com"]})
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "plain"}.items():
        monkeypatch.setenv(f"VIGIE_{name}", value)
    result = run("--since", "2026-11-16", "--until", "2026-11-23", "--email")
    assert result.exit_code == 0, result.output
    assert "e-mailed to the workspace's e-mail channels" in result.output
    [(envelope, _)] = inbox.received
    assert envelope.rcpt_tos == ["direction@example.com"]
    assert "Rapport hebdomadaire" in message_from_bytes(envelope.content, policy=policy.default)["Subject"]


def test_email_without_smtp_says_why(world, run, client) -> None:
    client.post("/api/v1/channels", json={"name": "direction", "kind": "email", "to": ["direction@example.com"]})
    result = run("--email")
    assert result.exit_code == 1 and "not e-mailed: VIGIE_SMTP_HOST is not set" in result.output
