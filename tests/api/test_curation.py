"""Curation and reprocessing through the API, on SQLite and PostgreSQL: spam/irrelevant marks feeding blocklists,
manual sentiment kept as labelled data, background re-match / re-score jobs with progress."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from app.cli import main as cli
from app.db import reading, writing
from app.db.schema import mention_rollups, reprocess_jobs, utcnow
from app.reprocess import ReprocessWorker
from app.storage import reprocess as store
from tests.api.conftest import bearer, make_key

ROOT = Path(__file__).resolve().parents[2]
HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)


def _brand(client, name="Orange", query="orange OR livebox") -> int:
    answer = client.post("/api/v1/brands", json={"name": name, "query": query})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _push(client, *mentions: dict) -> list[int]:
    items = [{"published_at": (HOUR + timedelta(minutes=i)).isoformat(), **m} for i, m in enumerate(mentions)]
    answer = client.post("/api/v1/mentions", json={"mentions": items})
    assert answer.status_code == 202, answer.text
    return answer.json()["mention_ids"]


def _brand_mentions(client, brand_id: int) -> set[int]:
    return {m["id"] for m in client.get("/api/v1/mentions", params={"brand": brand_id, "limit": 200}).json()["items"]}


def _volume(client, brand_id: int) -> tuple[int, int]:
    answer = client.get(
        "/api/v1/stats/volume",
        params={"brand": brand_id, "interval": "day", "since": (HOUR - timedelta(days=1)).isoformat(),
                "until": (HOUR + timedelta(days=1)).isoformat()},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    total = answer.json()["total"]
    return total["mentions"], total["negative"]


def _run_jobs(engine, settings) -> None:
    worker = ReprocessWorker(engine, settings, batch=2)  # small batches: several batches, progress in between
    while worker.tick():
        pass


def test_spam_leaves_the_brand_blocks_its_author_now_and_in_stored_mentions(client, engine, settings) -> None:
    brand = _brand(client)
    spam, older, fine = _push(
        client,
        {"text": "Orange promo livebox gratuite cliquez ici", "author": "@Promo_Bot", "url": "https://spam.example/1"},
        {"text": "Livebox offerte chez Orange, cliquez", "author": "promo_bot"},
        {"text": "Ma livebox Orange marche enfin", "author": "claire"},
    )
    assert _volume(client, brand)[0] == 3

    answer = client.post(f"/api/v1/mentions/{spam}/mark", json={"mark": "spam"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["brand_ids"] == [brand]
    assert [(e["kind"], e["value"]) for e in body["blocked"]] == [("author", "promo_bot")]
    assert body["reprocess_job"] is not None
    # The marked mention left the brand's list and statistics at once.
    assert _brand_mentions(client, brand) == {older, fine}
    assert _volume(client, brand)[0] == 2
    assert client.get(f"/api/v1/brands/{brand}/blocklist").json()[0]["mention_id"] == spam

    # New mentions by that author are not linked to the brand...
    again = client.post(
        "/api/v1/mentions", json={"mentions": [{"text": "Orange livebox promo", "author": "PROMO_BOT"}]}
    )
    assert again.json()["unmatched"] == 1
    # ...and the background job unlinks the stored one, with its progress.
    _run_jobs(engine, settings)
    job = client.get(f"/api/v1/reprocess/{body['reprocess_job']}").json()
    assert job["status"] == "done" and job["percent"] == 100.0
    assert job["processed"] == job["total"] == 3 and job["links_removed"] == 1
    assert _brand_mentions(client, brand) == {fine}
    assert _volume(client, brand)[0] == 1


def test_irrelevant_with_terms_then_relevant_again(client, engine, settings) -> None:
    brand = _brand(client)
    juice, other = _push(
        client,
        {"text": "Recette du jus d'orange pressé maison", "author": "chef"},
        {"text": "Un verre de jus d'orange et ma livebox qui plante", "author": "paul"},
    )
    answer = client.post(f"/api/v1/mentions/{juice}/mark", json={"mark": "irrelevant", "block_terms": ["Jus d'Orange"]})
    assert answer.status_code == 200, answer.text
    assert [(e["kind"], e["value"]) for e in answer.json()["blocked"]] == [("term", "jus d'orange")]
    assert answer.json()["blocked"][0]["kind"] == "term"
    new = client.post("/api/v1/mentions", json={"mentions": [{"text": "Le JUS D'ORANGE du matin", "author": "x"}]})
    assert new.json()["unmatched"] == 1
    _run_jobs(engine, settings)
    assert _brand_mentions(client, brand) == set()  # the term blocks the other stored one too

    # Relevant again: the mark goes, but the brand's term still blocks it, and the answer says so.
    answer = client.post(f"/api/v1/mentions/{juice}/mark", json={"mark": "relevant", "brand": brand})
    assert answer.json()["relinked"] == [] and "jus d'orange" in answer.json()["still_blocked"][str(brand)]
    [entry] = client.get(f"/api/v1/brands/{brand}/blocklist").json()
    removed = client.delete(f"/api/v1/brands/{brand}/blocklist/{entry['id']}")
    assert removed.status_code == 204 and removed.headers["Vigie-Reprocess-Job"]
    _run_jobs(engine, settings)
    assert _brand_mentions(client, brand) == {juice, other}


def test_a_curated_mention_is_never_linked_back_by_rematching(client, engine, settings) -> None:
    brand = _brand(client)
    [mention] = _push(client, {"text": "Orange: panne de livebox", "author": "a"})
    client.post(f"/api/v1/mentions/{mention}/mark", json={"mark": "irrelevant", "block_author": False})
    job = client.post("/api/v1/reprocess", json={"rematch": True})
    assert job.status_code == 202 and job.headers["Location"] == f"/api/v1/reprocess/{job.json()['id']}"
    _run_jobs(engine, settings)
    assert client.get(f"/api/v1/reprocess/{job.json()['id']}").json()["links_added"] == 0
    assert _brand_mentions(client, brand) == set()
    answer = client.post(f"/api/v1/mentions/{mention}/mark", json={"mark": "relevant"})
    assert answer.json()["relinked"] == [brand]
    assert _brand_mentions(client, brand) == {mention}


def test_a_manual_sentiment_wins_counts_survives_rescoring_and_is_exported(
    client, engine, settings, tmp_path, monkeypatch
) -> None:
    brand = _brand(client)
    [mention] = _push(client, {"text": "Orange a encore frappé fort avec sa nouvelle offre livebox", "lang": "fr"})
    model = client.get(f"/api/v1/mentions/{mention}").json()["sentiment"]
    assert model["manual"] is None
    wanted = "negative" if model["label"] != "negative" else "positive"
    answer = client.patch(f"/api/v1/mentions/{mention}", json={"sentiment": wanted})
    assert answer.status_code == 200, answer.text
    assert answer.json()["sentiment"]["label"] == wanted and answer.json()["sentiment"]["manual"] == wanted
    assert _volume(client, brand)[1] == (1 if wanted == "negative" else 0)
    assert client.get("/api/v1/mentions", params={"sentiment": wanted}).json()["items"][0]["id"] == mention

    client.post("/api/v1/reprocess", json={"rescore": True, "rematch": False})
    _run_jobs(engine, settings)
    assert client.get(f"/api/v1/mentions/{mention}").json()["sentiment"]["label"] == wanted

    monkeypatch.setenv("VIGIE_DATABASE_URL", settings.database_url)
    out = tmp_path / "corrections.jsonl"
    result = CliRunner().invoke(cli, ["labels", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["label"] == wanted and row["lang"] == "fr" and "nouvelle offre livebox" in row["text"]
    report = subprocess.run(
        [sys.executable, "eval/sentiment.py", "--labels", str(out), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    evaluated = json.loads(report.stdout)
    assert evaluated["languages"]["fr"]["n"] == 1 and "en" not in evaluated["languages"]
    assert evaluated["languages"]["fr"]["systems"]["vigie"]["accuracy"] == 0.0  # the model disagreed with the person

    cleared = client.patch(f"/api/v1/mentions/{mention}", json={"sentiment": None}).json()["sentiment"]
    assert cleared["manual"] is None and cleared["label"] == model["label"]


def test_rematch_after_a_query_change_links_and_unlinks_with_rollups(client, engine, settings) -> None:
    brand = _brand(client, query="livebox")
    box, sosh = _push(
        client,
        {"text": "Ma livebox redémarre sans cesse"},
        {"text": "Sosh et la livebox, même combat"},
        {"text": "Sosh: forfait à 10 euros"},  # matches nothing at ingest: never stored, so never re-matched
    )
    client.patch(f"/api/v1/brands/{brand}", json={"query": "sosh"})
    job = client.post("/api/v1/reprocess", json={"brand": brand}).json()
    assert job["status"] == "queued" and job["total"] >= 2
    _run_jobs(engine, settings)
    done = client.get(f"/api/v1/reprocess/{job['id']}").json()
    assert (done["links_added"], done["links_removed"]) == (0, 1)
    assert _brand_mentions(client, brand) == {sosh}
    with reading(engine) as conn:
        stored = conn.execute(sa.select(sa.func.sum(mention_rollups.c.mentions))).scalar_one()
    assert stored == 1 and box not in _brand_mentions(client, brand)


def test_a_job_left_by_a_dead_worker_is_taken_over_after_its_lease(client, engine, settings) -> None:
    _brand(client, query="livebox")
    _push(client, *({"text": f"livebox numéro {i}", "author": f"a{i}"} for i in range(5)))
    job = client.post("/api/v1/reprocess", json={"rescore": True}).json()
    dead = ReprocessWorker(engine, settings, batch=2)
    with writing(engine) as conn:
        claimed = store.claim_job(conn, owner=dead.owner, lease_seconds=60, now=utcnow())
    dead._batch(claimed)  # one batch committed, then the process "dies" holding the lease
    assert client.get(f"/api/v1/reprocess/{job['id']}").json()["processed"] == 2
    other = ReprocessWorker(engine, settings, batch=2)
    assert other.tick() == 0  # the lease is still held
    with writing(engine) as conn:
        conn.execute(sa.update(reprocess_jobs).values(lease_until=utcnow() - timedelta(seconds=1)))
    _run_jobs(engine, settings)
    final = client.get(f"/api/v1/reprocess/{job['id']}").json()
    assert final["status"] == "done" and final["processed"] == final["total"] == 5


def test_reprocess_needs_an_admin_key_and_cancel_stops_a_job(client, engine, settings) -> None:
    writer = bearer(make_key(engine, scope="write", name="writer"))
    refused = client.post("/api/v1/reprocess", json={"rematch": True}, headers=writer)
    assert refused.status_code == 403 and refused.json()["required_scope"] == "admin"
    assert client.get("/api/v1/reprocess", headers=writer).status_code == 200
    assert client.post("/api/v1/reprocess", json={"rematch": False, "rescore": False}).status_code == 422
    assert client.post("/api/v1/reprocess", json={"brand": 999}).status_code == 422
    job = client.post("/api/v1/reprocess", json={"rescore": True}).json()
    assert client.post(f"/api/v1/reprocess/{job['id']}/cancel").json()["status"] == "cancelled"
    assert client.post(f"/api/v1/reprocess/{job['id']}/cancel").status_code == 409
    assert ReprocessWorker(engine, settings).tick() == 0


def test_bad_curation_requests_get_clear_errors(client) -> None:
    brand = _brand(client)
    [mention] = _push(client, {"text": "Orange livebox en panne"})
    no_author = client.post(f"/api/v1/mentions/{mention}/mark", json={"mark": "spam"})
    assert no_author.status_code == 422 and "no author" in no_author.json()["detail"]
    no_url = client.post(f"/api/v1/mentions/{mention}/mark", json={"mark": "irrelevant", "block_domain": True})
    assert no_url.status_code == 422 and "no web address" in no_url.json()["detail"]
    assert client.post("/api/v1/mentions/999999/mark", json={"mark": "spam"}).status_code == 404
    bad = client.post(f"/api/v1/brands/{brand}/blocklist", json={"kind": "domain", "value": "not a domain"})
    assert bad.status_code == 422 and "not a domain name" in bad.json()["detail"]
    ok = client.post(
        f"/api/v1/brands/{brand}/blocklist", json={"kind": "domain", "value": "https://www.Spam.example/x"}
    )
    assert ok.status_code == 201 and ok.json()["entry"]["value"] == "spam.example" and ok.json()["created"]
    twice = client.post(
        f"/api/v1/brands/{brand}/blocklist?apply_to_stored=false", json={"kind": "domain", "value": "spam.example"}
    )
    assert twice.json()["created"] is False and twice.json()["reprocess_job"] is None
    # Sub-domains are blocked with their domain.
    pushed = client.post(
        "/api/v1/mentions", json={"mentions": [{"text": "Orange livebox", "url": "https://news.spam.example/a"}]}
    )
    assert pushed.json()["unmatched"] == 1
