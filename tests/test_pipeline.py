"""The ingest pipeline on a real database: matching, dedup on every key, language, sentiment, idempotence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.db import reading, writing
from app.db.schema import mention_brands, mentions
from app.pipeline import IngestReport, ingest_drafts
from collectors.base import MentionDraft
from tests.factories import draft, make_world

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _ingest(engine: sa.Engine, world: dict, drafts: list[MentionDraft], source_index: int = 0) -> IngestReport:
    ws_id, source = world["workspace"]["id"], world["sources"][source_index]
    with writing(engine) as conn:
        return ingest_drafts(
            conn,
            workspace_id=ws_id,
            source_id=source["id"],
            drafts=drafts,
            now=NOW,
        )


def _rows(engine: sa.Engine) -> list[dict]:
    with reading(engine) as conn:
        return [dict(r) for r in conn.execute(sa.select(mentions).order_by(mentions.c.id)).mappings()]


@pytest.fixture
def world(engine: sa.Engine) -> dict:
    return make_world(
        engine,
        sources=[
            {"name": "Le Parisien", "kind": "rss", "url": "https://www.leparisien.fr/rss.xml"},
            {"name": "Google News", "kind": "rss", "url": "https://news.google.com/rss/search?q=orange"},
        ],
    )


def test_matching_mentions_are_stored_with_language_sentiment_and_brands(engine, world) -> None:
    report = _ingest(
        engine,
        world,
        [
            draft(1, "Panne de la Livebox depuis trois jours, le service client Orange ne répond pas."),
            draft(2, "I love my new Orange plan, great coverage and a fantastic price!"),
            draft(3, "Recette : un verre de jus d'orange pressé chaque matin."),
            draft(4, "Freebox Pop ou Livebox ? Le comparatif des box internet."),
        ],
    )
    assert (report.fetched, report.new, report.unmatched, report.duplicate) == (4, 3, 1, 0)
    rows = _rows(engine)
    assert [r["external_id"] for r in rows] == ["guid-1", "guid-2", "guid-4"]
    assert [r["lang"] for r in rows] == ["fr", "en", "fr"]
    assert rows[1]["sentiment_label"] == "positive" and rows[1]["sentiment_compound"] > 0.5
    assert rows[1]["scores"]["sentiment"]["words"]  # the words behind the score are kept
    assert rows[0]["canonical_url"] == "https://news.example.fr/article/1"
    with reading(engine) as conn:
        links = conn.execute(sa.select(mention_brands.c.mention_id, mention_brands.c.brand_id)).all()
    brands = {b["id"]: name for name, b in world["brands"].items()}
    by_mention = {}
    for mention_id, brand_id in links:
        by_mention.setdefault(mention_id, set()).add(brands[brand_id])
    assert by_mention[rows[2]["id"]] == {"Orange", "Free"}


def test_running_the_same_batch_twice_stores_nothing_new(engine, world) -> None:
    batch = [draft(i, f"Orange annonce la fibre dans la ville numéro {i}.") for i in range(1, 6)]
    assert _ingest(engine, world, batch).new == 5
    again = _ingest(
        engine, world, [draft(i, f"Orange annonce la fibre dans la ville numéro {i}.") for i in range(1, 6)]
    )
    assert (again.new, again.duplicate) == (0, 5)
    assert len(_rows(engine)) == 5


def test_the_same_article_through_two_feeds_is_one_mention(engine, world) -> None:
    text = "Orange augmente le prix de ses forfaits mobiles de deux euros à partir de janvier, selon nos informations."
    title = "Orange augmente ses prix"
    first = draft(
        1, text, title=title, url="https://www.leparisien.fr/economie/orange-prix.php?utm_source=rss&xtor=RSS-1"
    )
    # Same URL once tracking parameters are gone, other guid, other source.
    second = draft(99, text + " ", title=title, url="https://www.leparisien.fr/economie/orange-prix.php?fbclid=abc")
    assert _ingest(engine, world, [first], 0).new == 1
    assert _ingest(engine, world, [second], 1).duplicate == 1
    # Same content under another URL (an aggregator's redirect link): the content hash catches it.
    third = draft(7, text, title=title, url="https://news.google.com/rss/articles/CBMiXmh0dHBz")
    assert _ingest(engine, world, [third], 1).duplicate == 1
    assert len(_rows(engine)) == 1


def test_duplicates_inside_one_batch_are_stored_once(engine, world) -> None:
    d = draft(1, "Orange : la fibre arrive enfin dans notre village, merci aux techniciens !")
    report = _ingest(engine, world, [d, draft(1, d.text), draft(2, d.text, url=d.url)])
    assert (report.new, report.duplicate) == (1, 2)


def test_short_posts_by_different_authors_are_different_mentions(engine, world) -> None:
    a = draft(1, "Merci Orange !", title="", url=None, author="alice")
    b = draft(2, "Merci Orange !", title="", url=None, author="bob")
    c = draft(3, "Merci Orange !", title="", url=None, author="alice")
    report = _ingest(engine, world, [a, b, c])
    assert (report.new, report.duplicate) == (2, 1)


def test_missing_publication_date_falls_back_to_fetch_time_and_is_flagged(engine, world) -> None:
    _ingest(engine, world, [draft(1, "Nouvelle offre Sosh à 9,99 €", published_at=None)])
    row = _rows(engine)[0]
    assert row["published_at"] == NOW and row["published_estimated"] is True


def test_brand_language_filter_drops_other_languages(engine, world) -> None:
    report = _ingest(
        engine,
        world,
        [
            draft(1, "La nueva tarifa de Orange España sube otra vez, es una vergüenza total para los clientes."),
        ],
    )
    # Orange watches fr and en only; Free does not match: the Spanish mention matches no brand.
    assert (report.new, report.unmatched) == (0, 1)


def test_texts_are_bounded(engine, world) -> None:
    _ingest(engine, world, [draft(1, "Orange " + "très long texte " * 5000)])
    assert len(_rows(engine)[0]["text"]) == 20_000
