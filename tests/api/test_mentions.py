"""Mentions over HTTP: pushing through the pipeline, filters, keyset pagination, health endpoints."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.db.migrate import head_revision

PUSH = [
    {
        "external_id": "t1",
        "text": "Panne de fibre Orange à Lyon depuis ce matin, c'est inadmissible.",
        "author": "@lyonnaise",
        "author_reach": 1200,
        "published_at": "2026-11-20T08:00:00+01:00",
        "url": "https://social.example/p/1",
    },
    {
        "external_id": "t2",
        "text": "Thanks Orange, the technician fixed my Livebox in ten minutes. Great service!",
        "lang": "en",
        "published_at": "2026-11-20T09:00:00Z",
        "engagement": {"likes": 14},
    },
    {
        "external_id": "t3",
        "text": "La Freebox Ultra est disponible dans les boutiques Free.",
        "published_at": "2026-11-20T10:00:00+01:00",
    },
    {
        "external_id": "t4",
        "text": "Un grand verre de jus de pamplemousse le matin.",
        "published_at": "2026-11-20T11:00:00+01:00",
    },
]


def _setup(client: TestClient) -> dict[str, int]:
    ids = {}
    for body in ({"name": "Orange", "query": "orange OR livebox"}, {"name": "Free", "query": "freebox OR free"}):
        ids[body["name"]] = client.post("/api/v1/brands", json=body).json()["id"]
    return ids


def test_pushed_mentions_go_through_the_pipeline_and_are_listed_newest_first(client: TestClient) -> None:
    _setup(client)
    pushed = client.post("/api/v1/mentions", json={"mentions": PUSH})
    assert pushed.status_code == 202, pushed.text
    assert {k: pushed.json()[k] for k in ("received", "new", "duplicate", "unmatched")} == {
        "received": 4,
        "new": 3,
        "duplicate": 0,
        "unmatched": 1,
    }
    again = client.post("/api/v1/mentions", json={"mentions": PUSH}).json()
    assert (again["new"], again["duplicate"], again["unmatched"]) == (0, 3, 1)
    items = client.get("/api/v1/mentions").json()["items"]
    assert [m["external_id"] for m in items] == ["t3", "t2", "t1"]
    t1 = items[2]
    assert t1["published_at"].startswith("2026-11-20T07:00:00")
    assert t1["lang"] == "fr" and t1["author_reach"] == 1200
    assert t1["brands"][0]["name"] == "Orange" and t1["brands"][0]["matched_terms"] == ["orange"]
    assert items[1]["sentiment"]["label"] == "positive" and items[1]["engagement"] == {"likes": 14}
    one = client.get(f"/api/v1/mentions/{t1['id']}").json()
    assert one == t1


def test_filters(client: TestClient) -> None:
    brands = _setup(client)
    client.post("/api/v1/mentions", json={"mentions": PUSH})

    def ids(**params) -> list[str]:
        response = client.get("/api/v1/mentions", params=params)
        assert response.status_code == 200, response.text
        return [m["external_id"] for m in response.json()["items"]]

    assert ids(brand=brands["Free"]) == ["t3"]
    assert ids(lang="en") == ["t2"]
    labels = {m["external_id"]: m["sentiment"]["label"] for m in client.get("/api/v1/mentions").json()["items"]}
    assert ids(sentiment="positive") == [k for k in ("t3", "t2", "t1") if labels[k] == "positive"]
    assert "t2" in ids(sentiment="positive") and "t2" not in ids(sentiment="negative")
    assert ids(since="2026-11-20T08:30:00Z") == ["t3", "t2"]
    assert ids(until="2026-11-20T08:30:00Z") == ["t1"]
    assert ids(q="INADMISSIBLE") == ["t1"]  # case-blind
    assert ids(q="boutique") == ["t3"]
    assert ids(q="technicien") == []
    assert ids(q="Lyon depuis") == ["t1"]


def test_text_search_is_accent_blind(client: TestClient) -> None:
    _setup(client)
    client.post("/api/v1/mentions", json={"mentions": [{"text": "Orange : réseau coupé à Besançon, été pourri"}]})
    assert len(client.get("/api/v1/mentions", params={"q": "reseau coupe a besancon"}).json()["items"]) == 1
    assert len(client.get("/api/v1/mentions", params={"q": "50%_"}).json()["items"]) == 0


def test_cursor_pagination_walks_every_mention_once(client: TestClient) -> None:
    _setup(client)
    batch = [
        {
            "external_id": f"m{i}",
            "text": f"Orange message numéro {i} sur la fibre",
            "published_at": f"2026-11-{10 + i // 10:02d}T12:00:00Z",
        }
        for i in range(45)
    ]
    assert client.post("/api/v1/mentions", json={"mentions": batch}).json()["new"] == 45
    seen, cursor = [], None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/mentions", params=params).json()
        seen += [m["external_id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 45 and len(set(seen)) == 45  # same timestamps are split by id, nothing lost or repeated


def test_bad_list_parameters_are_clear_errors(client: TestClient) -> None:
    assert client.get("/api/v1/mentions", params={"cursor": "garbage!"}).status_code == 400
    assert client.get("/api/v1/mentions", params={"limit": 10_000}).status_code == 422
    assert client.get("/api/v1/mentions", params={"sentiment": "furious"}).status_code == 422
    naive = client.get("/api/v1/mentions", params={"since": "2026-11-20T08:00:00"})
    assert naive.status_code == 422 and "time zone" in naive.json()["detail"]


def test_bad_pushes_are_refused_whole_with_the_faulty_field(client: TestClient) -> None:
    _setup(client)
    bad = client.post("/api/v1/mentions", json={"mentions": [{"text": "ok Orange"}, {"author": "nobody"}]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].startswith("mentions.1")
    naive = client.post("/api/v1/mentions", json={"mentions": [{"text": "Orange", "published_at": "2026-11-20"}]})
    assert naive.status_code == 422 and "time zone" in naive.json()["detail"]
    assert client.post("/api/v1/mentions", json={"mentions": []}).status_code == 422
    assert client.get("/api/v1/mentions").json()["items"] == []


def test_health_endpoints(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["migration"] == head_revision()
