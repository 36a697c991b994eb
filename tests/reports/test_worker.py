"""The weekly report on its schedule: made once the workspace's Monday 08:00 has come, once per week even with
two alert workers ticking together, e-mailed once to the workspace's e-mail channels through a real SMTP server;
a send that fails (SMTP down) stays unsent and goes out on a later tick, never twice."""

from __future__ import annotations

import threading
from datetime import timedelta
from email import message_from_bytes, policy

import sqlalchemy as sa

from app.db import reading, writing
from app.db.schema import reports
from app.reports.make import build_report, store_report
from app.reports.worker import ReportWorker, make_scheduled_reports
from app.storage.reports import get_report_any
from tests.alerts.delivery.test_email import free_port
from tests.reports.world import WEEK_END, WEEK_START

SLOT = WEEK_END + timedelta(hours=8)  # Monday 23 November 2026, 08:00 in Paris


def _reports(engine) -> list[dict]:
    with reading(engine) as conn:
        return [dict(r) for r in conn.execute(sa.select(reports).order_by(reports.c.id)).mappings()]


def _mail_settings(settings, port: int):
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "plain",
            "smtp_from": "vigie@example.com",
            "public_url": "https://vigie.example",
            "delivery_timeout": 2,
        }
    )


def _mail_channel(client, name: str = "direction", to: str = "direction@example.com") -> None:
    response = client.post("/api/v1/channels", json={"name": name, "kind": "email", "to": [to]})
    assert response.status_code == 201, response.text


def test_two_workers_at_the_slot_make_one_report_and_mail_it_once(world, client, engine, settings, smtp_server):
    inbox, port = smtp_server()
    _mail_channel(client)
    _mail_channel(client, "cm", "cm@example.com")
    settings = _mail_settings(settings, port)
    workers = [ReportWorker(engine, settings), ReportWorker(engine, settings)]

    assert workers[0].tick(SLOT - timedelta(minutes=1)) == 1  # 07:59: the report of the week before
    barrier = threading.Barrier(2)
    made = []

    def tick(worker: ReportWorker) -> None:
        barrier.wait()
        made.append(worker.tick(SLOT + timedelta(minutes=1)))

    threads = [threading.Thread(target=tick, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(made) == [0, 1]
    for worker in workers:  # later ticks that week: nothing more to make or to send
        assert worker.tick(SLOT + timedelta(days=2)) == 0

    stored = [r for r in _reports(engine) if r["period_start"] == WEEK_START]
    assert len(stored) == 1 and stored[0]["trigger"] == "schedule" and stored[0]["emailed_at"] is not None
    envelopes = [e for e in inbox.received if b"X-Vigie-Report: %d" % stored[0]["id"] in e[0].content]
    assert sorted(rcpt for e, _ in envelopes for rcpt in e.rcpt_tos) == ["cm@example.com", "direction@example.com"]
    mail = message_from_bytes(envelopes[0][0].content, policy=policy.default)
    assert mail["Subject"].startswith("[Vigie] Rapport hebdomadaire 16–22 novembre 2026")
    link = f"https://vigie.example/api/v1/reports/{stored[0]['id']}.html?disposition=inline"
    assert link in mail.get_body(("plain",)).get_content()


def test_a_report_stored_by_another_worker_first_is_not_stored_again(world, engine) -> None:
    with reading(engine) as conn:
        data, html = build_report(conn, workspace_id=world["workspace_id"], now=SLOT, trigger="schedule")
    values = {"workspace_id": world["workspace_id"], "data": data, "html": html, "trigger": "schedule", "now": SLOT}
    with writing(engine) as conn:
        first, created = store_report(conn, **values)
        second, again = store_report(conn, **values)  # same transaction: the insert must not abort it
        demand, _ = store_report(conn, **{**values, "trigger": "demand"})
    assert (created, again) == (True, False) and second["id"] == first["id"]
    assert demand["id"] != first["id"]  # reports on demand of the same week are never refused
    assert len(_reports(engine)) == 2


def test_a_failed_send_stays_unsent_and_goes_out_on_a_later_tick(world, client, engine, settings, smtp_server):
    _mail_channel(client)
    port = free_port()  # nothing listens there yet: the SMTP server is down
    settings = _mail_settings(settings, port)
    worker = ReportWorker(engine, settings)

    assert worker.tick(SLOT) == 1
    [report] = [r for r in _reports(engine) if r["period_start"] == WEEK_START]
    assert report["emailed_at"] is None and report["email_attempts"] == 1
    assert "direction" in report["email_error"] and report["email_due_at"] > SLOT
    retry_at = report["email_due_at"]

    inbox, _ = smtp_server(port)  # the server is back
    worker.tick(retry_at - timedelta(seconds=1))  # not due yet
    assert inbox.received == []
    worker.tick(retry_at)
    worker.tick(retry_at + timedelta(hours=1))
    with reading(engine) as conn:
        report = get_report_any(conn, report_id=report["id"])
    assert report["emailed_at"] == retry_at and report["email_error"] is None and report["email_due_at"] is None
    assert len(inbox.received) == 1


def test_no_report_before_the_slot_none_for_weeks_before_the_workspace_and_none_when_off(world, engine, settings):
    with writing(engine) as conn:
        conn.execute(sa.update(sa.table("workspaces", sa.column("created_at"))).values(created_at=WEEK_START))
    assert make_scheduled_reports(engine, settings, now=SLOT - timedelta(minutes=1)) == []  # 07:59, week before
    assert make_scheduled_reports(engine, settings.model_copy(update={"report_weekday": "off"}), now=SLOT) == []
    [made] = make_scheduled_reports(engine, settings, now=SLOT)
    with reading(engine) as conn:
        report = get_report_any(conn, report_id=made)
    assert report["period_start"] == WEEK_START and report["email_due_at"] == SLOT
    # No e-mail channel: nothing to send, said once, not retried.
    ReportWorker(engine, settings).tick(SLOT)
    with reading(engine) as conn:
        report = get_report_any(conn, report_id=made)
    assert report["emailed_at"] is None and report["email_due_at"] is None
    assert report["email_error"] == "no enabled e-mail channel"
