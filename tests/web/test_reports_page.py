"""The reports page: the list with its links, a report made from the form, and who may make one;
on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import bearer, make_key
from tests.web.signin import sign_in, web_client


@pytest.fixture
def key(engine, settings) -> str:
    return make_key(engine, workspace=settings.default_workspace, scope="write", name="cm")


def _listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-report-id="(\d+)"', html)]


def test_a_report_made_from_the_form_is_listed_with_its_html_and_pdf_links(settings, engine, key) -> None:
    with web_client(settings, engine) as client:
        csrf = sign_in(client, key)
        client.post("/api/v1/brands", json={"name": "Orange", "query": "orange"}, headers={"X-CSRF-Token": csrf})
        page = client.get("/reports")
        assert page.status_code == 200 and 'id="report-form"' in page.text and _listed(page.text) == []
        form = {"csrf": csrf, "preset": "custom", "since": "2026-11-16", "until": "2026-11-22"}
        made = client.post("/reports", data=form, follow_redirects=False)
        assert made.status_code == 303
        report_id = int(made.headers["location"].rsplit("-", 1)[1])
        listing = client.get("/reports").text
        assert _listed(listing) == [report_id] and "16/11/2026 → 22/11/2026" in listing
        assert f'href="/api/v1/reports/{report_id}.html?disposition=inline"' in listing
        assert f'href="/api/v1/reports/{report_id}.pdf"' in listing
        shown = client.get(f"/api/v1/reports/{report_id}.html?disposition=inline")  # with the session cookie
        assert shown.status_code == 200 and "Orange" in shown.text
        detail = client.get(f"/api/v1/reports/{report_id}").json()
        assert detail["period_start"].startswith("2026-11-15T23:00") and detail["trigger"] == "demand"


def test_the_form_needs_its_token_and_a_valid_period(settings, engine, key) -> None:
    with web_client(settings, engine) as client:
        csrf = sign_in(client, key)
        assert client.post("/reports", data={"csrf": "forged"}).status_code == 403
        bad = client.post("/reports", data={"csrf": csrf, "preset": "custom", "since": "hier", "until": ""})
        assert bad.status_code == 422 and 'class="error"' in bad.text
        backwards = {"csrf": csrf, "preset": "custom", "since": "2026-11-22", "until": "2026-11-10"}
        assert client.post("/reports", data=backwards).status_code == 422
        assert _listed(client.get("/reports").text) == []


def test_a_read_key_sees_the_reports_but_cannot_make_one(settings, engine, key) -> None:
    with web_client(settings, engine) as client:
        made = client.post("/api/v1/reports", headers=bearer(key)).json()
    reader = make_key(engine, workspace=settings.default_workspace, scope="read", name="lecteur")
    with web_client(settings, engine) as client:
        csrf = sign_in(client, reader)
        page = client.get("/reports").text
        assert _listed(page) == [made["id"]] and 'id="report-form"' not in page
        assert client.post("/reports", data={"csrf": csrf}).status_code == 403
        assert _listed(client.get("/reports").text) == [made["id"]]


def test_another_workspace_does_not_see_the_reports(settings, engine, key) -> None:
    with web_client(settings, engine) as client:
        client.post("/api/v1/reports", headers=bearer(key))
    stranger = make_key(engine, workspace="agence-b", name="autre")
    with web_client(settings, engine) as client:
        sign_in(client, stranger)
        assert _listed(client.get("/reports").text) == []
