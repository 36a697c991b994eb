"""Reports over HTTP: made on demand with a write key, listed and read with a read key, downloaded as HTML (with
a CSP of its own so that it shows when opened) and as PDF (or a 503 saying what to install)."""

from __future__ import annotations

from app.reports import pdf
from tests.api.conftest import bearer, make_key


def test_a_report_made_on_demand_is_listed_read_and_downloaded(world, client) -> None:
    made = client.post("/api/v1/reports", json={"since": "2026-11-16", "until": "2026-11-23"})
    assert made.status_code == 201, made.text
    report = made.json()
    assert report["trigger"] == "demand" and report["emailed_at"] is None
    assert report["data"]["period"]["start"] == "2026-11-16T00:00:00+01:00"
    assert report["data"]["brands"][0]["mentions"]["value"] == 82
    assert report["html_url"] == f"/api/v1/reports/{report['id']}.html"

    listed = client.get("/api/v1/reports").json()
    assert [r["id"] for r in listed["items"]] == [report["id"]] and listed["next_cursor"] is None
    assert "data" not in listed["items"][0]
    assert client.get(f"/api/v1/reports/{report['id']}").json()["data"] == report["data"]

    page = client.get(report["html_url"])
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-disposition"] == 'attachment; filename="vigie-report-default-2026-11-16.html"'
    csp = page.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in csp and "script-src" not in csp and csp.startswith("default-src 'none'")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "Rapport hebdomadaire" in page.text and "<svg" in page.text
    inline = client.get(f"{report['html_url']}?disposition=inline")
    assert inline.headers["content-disposition"].startswith("inline;")

    pdf_answer = client.get(report["pdf_url"])
    assert pdf_answer.status_code == 200 and pdf_answer.headers["content-type"] == "application/pdf"
    assert pdf_answer.content.startswith(b"%PDF-")
    assert pdf_answer.headers["content-disposition"] == 'attachment; filename="vigie-report-default-2026-11-16.pdf"'


def test_the_default_period_is_the_last_full_week_and_language_and_email_can_be_asked(world, client) -> None:
    report = client.post("/api/v1/reports", json={"language": "en", "email": True}).json()
    assert report["language"] == "en"
    assert report["period_end"] > report["period_start"]
    assert client.post("/api/v1/reports").status_code == 201  # no body at all
    assert len(client.get("/api/v1/reports?limit=1").json()["items"]) == 1
    second_page = client.get(
        f"/api/v1/reports?limit=1&cursor={client.get('/api/v1/reports?limit=1').json()['next_cursor']}"
    )
    assert [r["id"] for r in second_page.json()["items"]] == [report["id"]]


def test_bad_periods_and_cursors_are_the_client_s_error(world, client) -> None:
    backwards = client.post("/api/v1/reports", json={"since": "2026-11-23", "until": "2026-11-16"})
    assert backwards.status_code == 422 and "until must be after since" in backwards.json()["detail"]
    too_long = client.post("/api/v1/reports", json={"since": "2024-01-01", "until": "2026-11-16"})
    assert too_long.status_code == 422
    assert client.get("/api/v1/reports?cursor=nope").status_code == 400
    assert client.get("/api/v1/reports/999999").status_code == 404
    assert client.get("/api/v1/reports/999999.pdf").status_code == 404


def test_a_read_key_reads_reports_but_cannot_make_one(world, client, engine) -> None:
    report = client.post("/api/v1/reports", json={}).json()
    reader = bearer(make_key(engine, scope="read", name="dashboard"))
    assert client.get(f"/api/v1/reports/{report['id']}.html", headers=reader).status_code == 200
    refused = client.post("/api/v1/reports", json={}, headers=reader)
    assert refused.status_code == 403 and refused.json()["required_scope"] == "write"


def test_without_pango_the_pdf_is_a_503_that_says_what_to_install_and_html_still_works(world, client, monkeypatch):
    report = client.post("/api/v1/reports", json={}).json()

    def no_pango() -> None:
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf, "_import_weasyprint", no_pango)
    answer = client.get(report["pdf_url"])
    assert answer.status_code == 503 and answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["title"] == "PDF unavailable" and "libpango-1.0-0" in problem["detail"]
    assert problem["html_url"] == report["html_url"]
    assert client.get(report["html_url"]).status_code == 200
