"""Pure parts of the page: highlighting the words a score names, and a brand's volume against its usual."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from alerts.scoring import Scorer
from app.db import writing
from app.db.schema import brands, mention_rollups, workspaces
from app.volume import brand_volume
from app.web.highlight import highlight, reason_terms


def test_terms_are_marked_whatever_their_case_and_accents_and_only_as_whole_words() -> None:
    text = "SCANDALE ! Fuite de donnees chez Orange, c'est scandaleux"
    html = str(highlight(text, ["scandale", "fuite de données"]))
    assert html == "<mark>SCANDALE</mark> ! <mark>Fuite de donnees</mark> chez Orange, c&#39;est scandaleux"


def test_the_text_around_and_inside_marks_is_escaped() -> None:
    html = str(highlight("<b>arnaque</b> & <script>x</script>", ["arnaque", "script"]))
    assert "<b>" not in html and "<script>" not in html
    assert "&lt;b&gt;<mark>arnaque</mark>&lt;/b&gt; &amp; &lt;<mark>script</mark>&gt;" in html


def test_overlapping_terms_keep_the_longest_mark() -> None:
    html = str(highlight("fuite de données massive", ["fuite", "fuite de données", "données"]))
    assert html == "<mark>fuite de données</mark> massive"


def test_the_terms_come_from_the_real_scorer_reasons_in_french_and_english() -> None:
    fr = Scorer().score("Scandale chez Orange : fuite de données, remboursez-moi, j'appelle un avocat")
    terms = reason_terms(fr.reasons)
    assert {"scandale", "avocat", "remboursez-moi"} <= set(terms)
    en = Scorer().score("Terrible service, this is a scam, I want a refund now")
    assert "scam" in reason_terms(en.reasons)
    assert reason_terms(None) == [] and reason_terms({"risk": {"signals": [{"signal": "x"}]}}) == []


def test_brand_volume_counts_each_hour_and_expects_what_the_same_hours_usually_hold(engine) -> None:
    now = datetime(2026, 12, 2, 15, 20, tzinfo=UTC)
    with writing(engine) as conn:
        ws = conn.execute(
            sa.insert(workspaces).values(name="w", timezone="Europe/Paris", created_at=now).returning(workspaces.c.id)
        ).scalar_one()
        brand_id = conn.execute(
            sa.insert(brands)
            .values(workspace_id=ws, name="Orange", query="orange", languages=[], created_at=now, updated_at=now)
            .returning(brands.c.id)
        ).scalar_one()
        rows = []
        start = now - timedelta(days=14)
        quarter = datetime(start.year, start.month, start.day, tzinfo=UTC)
        while quarter < now - timedelta(hours=3):  # two weeks of 8 mentions an hour (2 per quarter)
            rows.append({"bucket_start": quarter, "mentions": 2})
            quarter += timedelta(minutes=15)
        rows.append({"bucket_start": datetime(2026, 12, 2, 14, 0, tzinfo=UTC), "mentions": 90})  # a burst
        counts = dict(negative=0, neutral=0, positive=0, complaints=0, risk_sum=0, risk_max=0)
        conn.execute(
            sa.insert(mention_rollups), [{"workspace_id": ws, "brand_id": brand_id, **counts, **r} for r in rows]
        )
        workspace = {"id": ws, "timezone": "Europe/Paris"}
        brand = {"id": brand_id, "detection": {}}
        series = brand_volume(conn, workspace=workspace, brand=brand, until=now, steps=24)
    assert series.starts[-1] == datetime(2026, 12, 2, 15, 0, tzinfo=UTC) and len(series.counts) == 24
    assert series.counts[-2] == 90 and series.counts[-1] == 0 and series.counts[0] == 8
    assert all(6 <= e <= 10 for e in series.expected), series.expected  # about 8 an hour, learnt from history
