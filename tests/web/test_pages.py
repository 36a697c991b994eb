"""The brand view, the mentions browser and the health page, rendered by the server over a real database (SQLite and
PostgreSQL): a community manager signed in with an API key filters mentions, marks one irrelevant from the page,
reads a brand against its usual and its competitor, and sees which alert messages failed. Mention text is hostile:
it is always escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api import create_app
from app.db import writing
from app.db.schema import deliveries, utcnow
from app.storage import sources as source_store
from app.web import brands as brands_page
from app.web import mentions as mentions_page
from tests.api.conftest import bearer, make_key
from tests.api.test_deliveries import _add, _fail
from tests.api.test_routes_silences import open_incident

HOSTILE = "Orange <script>alert(1)</script> et <img src=x onerror=alert(1)> livebox"
NOW = utcnow()


@pytest.fixture
def app(settings, engine) -> FastAPI:
    return create_app(settings, engine)


@pytest.fixture
def admin_key(settings, engine) -> str:
    return make_key(engine, workspace=settings.default_workspace)


@pytest.fixture
def api(app: FastAPI, admin_key: str) -> Iterator[TestClient]:
    """The JSON API with the admin key: how the tests seed brands and mentions."""
    with TestClient(app, headers=bearer(admin_key)) as client:
        yield client


def signed_in(app: FastAPI, key: str, lang: str = "en") -> TestClient:
    """A browser-like client signed in with `key` (the session cookie is Secure: https), reading the pages in
    `lang` (the workspace's language is French by default)."""
    client = TestClient(app, base_url="https://testserver")
    answer = client.post("/login", data={"key": key, "next": "/mentions"})
    assert answer.status_code == 200, answer.text
    chosen = client.post("/language", data={"lang": lang, "csrf": csrf(answer.text), "next": "/mentions"})
    assert chosen.status_code == 200 and f'<html lang="{lang}">' in chosen.text
    return client


@pytest.fixture
def web(app: FastAPI, admin_key: str, world: dict) -> Iterator[TestClient]:
    with signed_in(app, admin_key) as client:
        yield client


def _push(api: TestClient, *mentions: dict) -> list[int]:
    items = [{"published_at": (NOW - timedelta(minutes=5 + i)).isoformat(), **m} for i, m in enumerate(mentions)]
    answer = api.post("/api/v1/mentions", json={"mentions": items})
    assert answer.status_code == 202, answer.text
    return answer.json()["mention_ids"]


@pytest.fixture
def world(api: TestClient, engine) -> dict:
    orange = api.post("/api/v1/brands", json={"name": "Orange", "query": "orange OR livebox"}).json()["id"]
    free = api.post("/api/v1/brands", json={"name": "Free", "query": "freebox", "competitor": True}).json()["id"]
    complaint, praise, hostile, rival = _push(
        api,
        {
            "text": "Livebox en panne depuis trois jours, c'est scandaleux, remboursez-moi Orange",
            "author": "@claire",
            "author_reach": 12000,
            "lang": "fr",
            "url": "https://social.example/claire/1",
        },
        {"text": "Loving my new Orange livebox, great service and fast wifi", "author": "@tom", "lang": "en"},
        {"text": HOSTILE, "author": "<b>mallory</b>", "lang": "fr", "url": "javascript:alert(1)"},
        {"text": "Freebox en panne ce soir, inadmissible", "author": "@karim", "lang": "fr"},
    )
    return {
        "orange": orange,
        "free": free,
        "complaint": complaint,
        "praise": praise,
        "hostile": hostile,
        "rival": rival,
        "incident": open_incident(engine, brand_id=orange),
    }


def ids(html: str) -> set[int]:
    """The mentions a page shows."""
    return {int(i) for i in re.findall(r'<article class="mention[^"]*"[^>]*data-mention-id="(\d+)"', html)}


def csrf(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def test_each_page_renders_for_a_signed_in_admin(web: TestClient, world: dict) -> None:
    brands = web.get("/brands")
    assert brands.status_code == 200
    assert f'href="/brands/{world["orange"]}"' in brands.text and "<svg" in brands.text
    for period in ("24h", "7d", "30d"):
        page = web.get(f"/brands/{world['orange']}", params={"period": period})
        assert page.status_code == 200, page.text
        assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 5  # 4 over time + share
        assert f'href="/incidents/{world["incident"]}"' in page.text
        assert "@claire" in page.text  # top authors
        assert "Free" in page.text  # share of voice against the competitor
    mentions = web.get("/mentions")
    assert mentions.status_code == 200
    assert ids(mentions.text) == {world[k] for k in ("complaint", "praise", "hostile", "rival")}
    assert 'id="mention-filters"' in mentions.text and 'src="/static/mentions.js"' in mentions.text
    assert web.get("/health").status_code == 200
    assert "script-src 'self'" in mentions.headers["content-security-policy"]


def test_the_brand_list_and_the_period_selector(web: TestClient, world: dict) -> None:
    brands = web.get("/brands").text
    orange = brands[brands.index(f'data-brand-id="{world["orange"]}"') :].split("</li>")[0]
    assert "1 open incident(s)" in orange and "3</span> mentions" in orange
    free = brands[brands.index(f'data-brand-id="{world["free"]}"') :].split("</li>")[0]
    assert "competitor" in free
    default = web.get(f"/brands/{world['orange']}").text
    assert re.search(r'period=7d" aria-current="true"', default)
    unknown = web.get(f"/brands/{world['orange']}", params={"period": "1y"})
    assert unknown.status_code == 200 and re.search(r'period=7d" aria-current="true"', unknown.text)
    assert web.get("/brands/999999").status_code == 404


def test_the_brand_figures_count_its_mentions_against_the_usual(web: TestClient, world: dict, monkeypatch) -> None:
    monkeypatch.setattr(brands_page, "TERMS_FROM", 1)  # top terms from the latest mention only, and it says so
    page = web.get(f"/brands/{world['orange']}", params={"period": "24h"}).text
    assert "Counted over the latest 1 mentions" in page
    terms = page[page.index('id="top-terms-title"') :].split("</section>")[0]
    assert re.search(r">orange</a>\s*<span class=\"muted small\">brand term · 1<", terms)  # not 3
    figures = page[page.index('id="brand-figures"') : page.index("</dl>")]
    assert re.search(r'<dd class="num">3</dd>', figures)  # complaint, praise and the hostile one
    share = page[page.index('id="share-of-voice"') :]
    assert re.search(r"Orange</a>.*?<td class=\"num\">3</td>\s*<td class=\"num\">75%</td>", share, re.S)


def test_filters_narrow_the_mentions_list(web: TestClient, api: TestClient, world: dict, monkeypatch) -> None:
    def shown(**params: str) -> set[int]:
        answer = web.get("/mentions", params=params)
        assert answer.status_code == 200
        return ids(answer.text)

    assert shown(brand=str(world["free"])) == {world["rival"]}
    assert shown(lang="en") == {world["praise"]}
    assert shown(q="REMBOURSEZ") == {world["complaint"]}  # case and accent blind
    assert shown(brand=str(world["orange"]), q="panne") == {world["complaint"]}
    negative = {m["id"] for m in api.get("/api/v1/mentions", params={"sentiment": "negative"}).json()["items"]}
    assert world["complaint"] in negative and shown(sentiment="negative") == negative
    risky = {m["id"] for m in api.get("/api/v1/mentions", params={"min_risk": 30}).json()["items"]}
    assert shown(min_risk="30") == risky and world["praise"] not in risky
    tomorrow = (NOW + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert shown(since=tomorrow) == set()
    assert len(shown(until=tomorrow)) == 4
    # A filter that cannot be read is ignored and named, not a 422 page.
    bad = web.get("/mentions", params={"min_risk": "lots", "brand": "999999"})
    assert bad.status_code == 200 and 'id="filter-errors"' in bad.text and len(ids(bad.text)) == 4
    # One page at a time, newest first, with the filters kept in the "older" link.
    monkeypatch.setattr(mentions_page, "PAGE", 2)
    first = web.get("/mentions", params={"brand": str(world["orange"])})
    older = re.search(r'<a href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    assert f"brand={world['orange']}" in older
    second = web.get(older)
    assert len(ids(first.text)) == 2 and len(ids(second.text)) == 1
    assert ids(first.text) | ids(second.text) == {world["complaint"], world["praise"], world["hostile"]}


def test_hostile_mention_text_is_escaped(web: TestClient, world: dict) -> None:
    for html in (web.get("/mentions").text, web.get(f"/mentions/{world['hostile']}/card").text):
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x" not in html and "<b>mallory</b>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert 'href="javascript:' not in html  # only http(s) links to the original


def test_another_workspace_sees_none_of_it(app: FastAPI, engine, world: dict) -> None:
    with signed_in(app, make_key(engine, workspace="rival-agency")) as other:
        assert other.get(f"/brands/{world['orange']}").status_code == 404
        assert other.get(f"/mentions/{world['complaint']}/card").status_code == 404
        assert ids(other.get("/mentions").text) == set()
        assert "Orange" not in other.get("/brands").text
        filtered = other.get("/mentions", params={"brand": str(world["orange"])})
        assert ids(filtered.text) == set() and 'id="filter-errors"' in filtered.text


def test_a_read_key_sees_no_action_buttons(app: FastAPI, engine, world: dict) -> None:
    with signed_in(app, make_key(engine, scope="read", name="manager")) as reader:
        mentions = reader.get("/mentions").text
        assert len(ids(mentions)) == 4
        assert "data-action=" not in mentions and "<button" not in mentions.split('id="mention-list"')[1]
        card = reader.get(f"/mentions/{world['complaint']}/card").text
        assert "data-action=" not in card


def test_the_french_page_speaks_french(web: TestClient, world: dict) -> None:
    page = web.get("/mentions")
    assert "Filters" in page.text and "Not about the brand" in page.text
    answer = web.post("/language", data={"lang": "fr", "csrf": csrf(page.text), "next": "/mentions"})
    assert answer.status_code == 200
    assert "Filtres" in answer.text and "Hors sujet" in answer.text and "Tonalité" in answer.text
    assert "Filters" not in answer.text
    brand = web.get(f"/brands/{world['orange']}").text
    assert "Part de voix" in brand and "Principaux auteurs" in brand and "Risque moyen" in brand
    health = web.get("/health").text
    assert "Envois en échec" in health and "Sources" in health


def test_marking_a_mention_from_the_page_needs_the_csrf_header(web: TestClient, world: dict) -> None:
    token = csrf(web.get("/mentions").text)
    path = f"/api/v1/mentions/{world['complaint']}/mark"
    refused = web.post(path, json={"mark": "irrelevant"})
    assert refused.status_code == 403, refused.text
    done = web.post(path, json={"mark": "irrelevant", "brand": world["orange"]}, headers={"X-CSRF-Token": token})
    assert done.status_code == 200, done.text
    assert done.json()["brand_ids"] == [world["orange"]]
    # The card the page fetches again says so, and offers to undo it.
    card = web.get(f"/mentions/{world['complaint']}/card").text
    assert 'data-mark="irrelevant"' in card and 'data-action="relevant"' in card
    assert world["complaint"] not in ids(web.get("/mentions", params={"brand": str(world["orange"])}).text)
    corrected = web.patch(
        f"/api/v1/mentions/{world['praise']}", json={"sentiment": "neutral"}, headers={"X-CSRF-Token": token}
    )
    assert corrected.status_code == 200, corrected.text
    card = web.get(f"/mentions/{world['praise']}/card").text
    assert 'data-sentiment="neutral"' in card and "corrected by hand" in card


def _failing_source(api: TestClient, engine) -> int:
    source = api.post("/api/v1/sources", json={"name": "Le Monde", "kind": "rss", "url": "https://example.org/f.xml"})
    assert source.status_code == 201, source.text
    with writing(engine) as conn:
        assert source_store.claim_due_sources(conn, owner="w1", limit=10, lease_seconds=60)
        report = source_store.RunReport(
            started_at=utcnow(), duration_ms=40, status="error", http_status=503, error="HTTP 503 from example.org"
        )
        source_store.finish_source_run(
            conn, source_id=source.json()["id"], owner="w1", report=report, next_due_at=utcnow(), state={}
        )
    return source.json()["id"]


def test_health_shows_failed_deliveries_channels_and_sources(app: FastAPI, api: TestClient, engine, world) -> None:
    hook = api.post("/api/v1/channels", json={"name": "ops", "kind": "webhook", "url": "https://hooks.example/T0K3N"})
    channel = hook.json()["id"]
    dead = _add(engine, incident_id=world["incident"], channel_id=channel, n=1)
    _fail(engine, dead, status="dead", code=400, error="HTTP 400 from hooks.example: bad event")
    retrying = _add(engine, incident_id=world["incident"], channel_id=channel, n=2)
    with writing(engine) as conn:  # two failed tries, due again later: a retry
        conn.execute(sa.update(deliveries).where(deliveries.c.id == retrying).values(attempts=2, last_status_code=503))
    source = _failing_source(api, engine)
    with signed_in(app, make_key(engine, name="admin-web")) as admin:
        page = admin.get("/health").text
    rows = dict(re.findall(r'<tr data-delivery-id="(\d+)" data-status="(\w+)">', page))
    assert rows == {str(dead): "dead", str(retrying): "pending"}
    assert page.count('data-action="redeliver"') == 1  # the dead one; a retrying one goes out by itself
    assert "HTTP 400 from hooks.example: bad event" in page and "T0K3N" not in page
    row = page[page.index(f'<tr data-source-id="{source}" data-health="degraded">') :].split("</tr>")[0]
    assert "HTTP 503 from example.org" in row
    runs, new, errors = re.findall(r'<td data-label="[^"]+" class="num">(\d+)</td>', row)
    assert (runs, new, errors) == ("1", "0", "1")  # the last 24 hours of runs
    with signed_in(app, make_key(engine, scope="write", name="cm")) as writer:
        page = writer.get("/health").text
    assert 'data-action="redeliver"' not in page and 'id="redeliver-why"' in page


def test_an_admin_sends_a_dead_delivery_again_from_the_page(app: FastAPI, api: TestClient, engine, world) -> None:
    channel = api.post("/api/v1/channels", json={"name": "ops", "kind": "webhook", "url": "https://hooks.example/x"})
    dead = _add(engine, incident_id=world["incident"], channel_id=channel.json()["id"], n=1)
    _fail(engine, dead, status="dead", code=500, error="HTTP 500")
    with signed_in(app, make_key(engine, name="admin-web")) as admin:
        token = csrf(admin.get("/health").text)
        again = admin.post(f"/api/v1/deliveries/{dead}/redeliver", headers={"X-CSRF-Token": token})
        assert again.status_code == 202, again.text
        page = admin.get("/health").text
    # Back in the outbox: shown as retrying (it goes out by itself), without a button to send it twice.
    assert f'<tr data-delivery-id="{dead}" data-status="pending">' in page
    assert 'data-action="redeliver"' not in page
