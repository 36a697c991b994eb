"""Scores in the API: a French complaint storm and a crisis post are stored with sentiment, complaint,
risk and reasons; workspace crisis and ignored terms change the risk of mentions scored afterwards."""

from __future__ import annotations

from fastapi.testclient import TestClient

MENTIONS = [
    {
        "external_id": "c1",
        "text": "Vol AF1234 annulé, toujours pas de remboursement après trois semaines. @AirFrance ?",
    },
    {"external_id": "c2", "text": "Merci Air France, équipage adorable et vol à l'heure. Au top !"},
    {"external_id": "c3", "text": "Air France annonce une nouvelle liaison Paris-Montréal à partir de juin."},
    {
        "external_id": "c4",
        "text": "ARNAQUE Air France !!! Ils refusent de rembourser, j'ai contacté un avocat, BOYCOTT, partagez !",
        "author_reach": 250_000,
        "engagement": {"shares": 4_000, "likes": 12_000},
    },
]


def _push(client: TestClient, mentions: list[dict]) -> dict[str, dict]:
    client.post("/api/v1/brands", json={"name": "Air France", "query": '"air france" OR airfrance OR AF1234'})
    assert client.post("/api/v1/mentions", json={"mentions": mentions}).status_code == 202
    return {m["external_id"]: m for m in client.get("/api/v1/mentions").json()["items"]}


def test_complaint_praise_news_and_crisis_are_told_apart_with_reasons(client: TestClient) -> None:
    got = _push(client, MENTIONS)
    assert {k: got[k]["lang"] for k in got} == {"c1": "fr", "c2": "fr", "c3": "fr", "c4": "fr"}
    assert got["c1"]["sentiment"]["label"] == "negative" and got["c1"]["complaint"] is True
    assert got["c2"]["sentiment"]["label"] == "positive" and got["c2"]["complaint"] is False
    assert got["c3"]["sentiment"]["label"] == "neutral" and got["c3"]["complaint"] is False
    assert got["c4"]["risk"] >= 80 > got["c1"]["risk"] > got["c3"]["risk"]
    assert got["c2"]["risk"] < 20 and got["c3"]["risk"] < 20
    signals = {s["signal"]: s for s in got["c4"]["reasons"]["risk"]["signals"]}
    assert "crisis_terms" in signals and "arnaque" in signals["crisis_terms"]["detail"]
    assert sum(s["contribution"] for s in signals.values()) >= got["c4"]["risk"]
    assert got["c1"]["reasons"]["sentiment"]  # the words and rules behind the label


def test_filters_on_risk_and_complaint(client: TestClient) -> None:
    _push(client, MENTIONS)
    risky = client.get("/api/v1/mentions", params={"min_risk": 80}).json()["items"]
    assert [m["external_id"] for m in risky] == ["c4"]
    complaints = {m["external_id"] for m in client.get("/api/v1/mentions", params={"complaint": True}).json()["items"]}
    assert "c1" in complaints and "c2" not in complaints and "c3" not in complaints


def test_workspace_crisis_and_ignored_terms_apply_to_new_mentions(client: TestClient) -> None:
    text = "Air France : des plateaux repas moisis servis sur le vol de ce matin."
    before = _push(client, [{"external_id": "l1", "text": text}])["l1"]
    client.patch("/api/v1/workspace", json={"crisis_terms": ["moisi"]})
    after = _push(client, [{"external_id": "l2", "text": text + " Encore."}])["l2"]
    assert after["risk"] > before["risk"]
    assert any("moisi" in s["detail"] for s in after["reasons"]["risk"]["signals"])
    client.patch("/api/v1/workspace", json={"crisis_terms": [], "ignored_terms": ["scandale"]})
    ignored = _push(client, [{"external_id": "s1", "text": "Air France : le scandale des bagages perdus continue."}])
    assert not any("scandale" in s["detail"] for s in ignored["s1"]["reasons"]["risk"]["signals"])
