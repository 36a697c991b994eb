"""The incidents view as the on-call CM sees it: open incidents by severity then age, each with its explanation,
volume against the usual, highlighted top mentions, timeline and actions; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.db.schema import utcnow
from tests.api.conftest import bearer, make_key
from tests.factories import store_incident
from tests.web.signin import sign_in, web_client

CRISIS = "Scandale chez Orange : fuite de données, remboursez-moi, j'appelle un avocat"
HOSTILE = 'Orange <script>window.__xss=1</script> <img src=x onerror="window.__xss=2"> panne'


def _incident(engine, *, brand_id: int, severity: str, minutes_ago: int, mention_ids=(), status="open") -> int:
    explanation = f"Score 80 — 120 mentions/h vs 4 expected ({severity}, {minutes_ago} min)"
    at = utcnow() - timedelta(minutes=minutes_ago)
    return store_incident(
        engine, brand_id=brand_id, at=at, severity=severity, status=status, explanation=explanation,
        mention_ids=mention_ids,
    )


@pytest.fixture
def world(settings, engine):
    key = make_key(engine, workspace=settings.default_workspace, name="cm")
    with web_client(settings, engine) as api:
        brand = api.post("/api/v1/brands", json={"name": "Orange", "query": "orange"}, headers=bearer(key)).json()
        pushed = api.post(
            "/api/v1/mentions",
            json={
                "mentions": [
                    {"text": CRISIS, "author": "@client", "author_reach": 52000, "url": "https://x.example/status/1"},
                    {"text": HOSTILE, "url": "javascript:alert(1)"},
                ]
            },
            headers=bearer(key),
        ).json()
    return {"key": key, "brand": brand["id"], "mentions": pushed["mention_ids"]}


@pytest.fixture
def page(settings, engine, world):
    with web_client(settings, engine) as client:
        client.csrf = sign_in(client, world["key"])
        yield client


def _order(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="incident[^"]*"[^>]*data-incident-id="(\d+)"', html)]


def test_open_incidents_come_most_severe_first_then_oldest_first(page, engine, world) -> None:
    b = world["brand"]
    warning_old = _incident(engine, brand_id=b, severity="warning", minutes_ago=300)
    critical_new = _incident(engine, brand_id=b, severity="critical", minutes_ago=5)
    critical_old = _incident(engine, brand_id=b, severity="critical", minutes_ago=90)
    resolved = _incident(engine, brand_id=b, severity="critical", minutes_ago=30, status="resolved")
    html = page.get("/").text
    assert _order(html) == [critical_old, critical_new, warning_old]
    assert f'href="/incidents/{resolved}"' in html and 'id="incident-count">3<' in html


def test_a_card_shows_why_the_volume_against_the_usual_the_mentions_with_their_reasons_and_the_timeline(
    page, engine, world
) -> None:
    incident = _incident(
        engine, brand_id=world["brand"], severity="critical", minutes_ago=10, mention_ids=world["mentions"]
    )
    card = page.get(f"/incidents/{incident}/card").text
    assert f'data-incident-id="{incident}"' in card and 'data-status="open"' in card
    assert "120 mentions/h vs 4 expected" in card
    assert re.search(r'<figure class="sparkline">\s*<svg[^>]*role="img"', card) and "chart-baseline" in card
    assert "<mark>Scandale</mark>" in card and "<mark>fuite de données</mark>" in card
    assert "52\u202f000" in card or "52,000" in card  # the author's reach, in the workspace's language
    assert 'href="https://x.example/status/1"' in card and 'rel="noopener noreferrer nofollow"' in card
    assert "termes de crise +" in card  # the risk reasons, in the workspace language
    assert 'class="timeline"' in card and 'data-action="ack"' in card and 'data-action="resolve"' in card


def test_hostile_mention_text_is_shown_as_text_and_its_javascript_link_is_dropped(page, engine, world) -> None:
    incident = _incident(
        engine, brand_id=world["brand"], severity="critical", minutes_ago=10, mention_ids=world["mentions"]
    )
    for html in (page.get("/").text, page.get(f"/incidents/{incident}").text):
        assert "<script>window.__xss" not in html and "<img src=x" not in html
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
        assert "javascript:alert" not in html


def test_acting_from_the_page_changes_the_incident_and_its_card(page, engine, world) -> None:
    incident = _incident(engine, brand_id=world["brand"], severity="critical", minutes_ago=10)
    csrf = {"X-CSRF-Token": page.csrf}
    assert page.post(f"/api/v1/incidents/{incident}/ack", headers=csrf).json()["status"] == "acknowledged"
    card = page.get(f"/incidents/{incident}/card").text
    assert 'data-status="acknowledged"' in card and 'data-action="ack"' not in card and "web:cm" in card
    snoozed = page.post(f"/api/v1/incidents/{incident}/snooze", json={"minutes": 60}, headers=csrf).json()
    assert snoozed["snoozed_until"] is not None
    body = {"reason": "false_positive", "note": "test interne"}
    assert page.post(f"/api/v1/incidents/{incident}/resolve", json=body, headers=csrf).json()["status"] == "resolved"
    card = page.get(f"/incidents/{incident}/card").text
    assert 'data-status="resolved"' in card and 'class="actions"' not in card and "test interne" in card
    assert incident not in _order(page.get("/").text)


def test_a_read_key_sees_the_incidents_but_no_buttons(settings, engine, world) -> None:
    _incident(engine, brand_id=world["brand"], severity="critical", minutes_ago=10)
    reader = make_key(engine, workspace=settings.default_workspace, scope="read", name="lecteur")
    with web_client(settings, engine) as client:
        sign_in(client, reader)
        html = client.get("/").text
    assert len(_order(html)) == 1 and 'data-action="ack"' not in html and "(portée read)" in html


def test_another_workspace_sees_neither_the_incident_nor_its_card(settings, engine, world) -> None:
    incident = _incident(engine, brand_id=world["brand"], severity="critical", minutes_ago=10)
    stranger = make_key(engine, workspace="agence-b", name="autre")
    with web_client(settings, engine) as client:
        sign_in(client, stranger)
        assert _order(client.get("/").text) == []
        assert client.get(f"/incidents/{incident}/card").status_code == 404
        assert client.get(f"/incidents/{incident}").status_code == 404


def test_the_page_speaks_the_workspace_language(page, engine, world) -> None:
    _incident(engine, brand_id=world["brand"], severity="critical", minutes_ago=10)
    html = page.get("/").text
    assert '<html lang="fr">' in html and "Prendre en charge" in html and "CRITIQUE" in html
