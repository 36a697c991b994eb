"""API latency benchmark: list pages and 30-day statistics on 1,000,000 mentions, next to the same queries on 10,000.

Two databases per store (SQLite, then PostgreSQL when reachable): a large one (1,000,000 mentions and 10,000
incidents over 60 days, four brands, two of them competitors) and a small one (10,000 mentions, 250 incidents:
enough for full pages), filled by bulk inserts (not the scoring pipeline), with the 15-minute rollups counted by
`app.storage.rollups.add_to_rollups` as ingest does. One real `vigie serve --roles api` process per database;
requests go over HTTP on 127.0.0.1, alternating between the two databases, so latency includes HTTP, the API key
check, the query and JSON. Printed per query: p50 and p95 of the first page and of a deep page (page 501, after
500 pages of keyset cursor) of GET /incidents and GET /mentions with filters, and of a 30-day hourly
GET /stats/volume, with the ratio large / small.

Targets: list latency flat with data size (ratio ≤ 1.5); p95 of list pages ≤ 50 ms on PostgreSQL; 30-day
statistics ≤ 200 ms.

    .venv/bin/python bench/api.py                         # SQLite, then PostgreSQL when reachable
    .venv/bin/python bench/api.py --sqlite-only --mentions 200000
    .venv/bin/python bench/api.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test --explain

Always exits 0: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import hashlib
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from pgtemp import postgres_unreachable, temp_postgres_database

from alerts.scoring import Scorer
from app.db import make_engine, writing
from app.db.migrate import upgrade
from app.query import normalize_text
from app.specs import BrandSpec, SourceSpec
from app.storage.brands import create_brand
from app.storage.rollups import add_to_rollups
from app.storage.sources import create_source
from app.storage.workspaces import ensure_workspace

TARGET_RATIO = 1.5
TARGET_LIST_P95_MS = 50.0  # PostgreSQL
TARGET_STATS_P95_MS = 200.0
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
VIGIE = [sys.executable, "-c", "from app.cli import main; main()"]
END = datetime(2025, 3, 17, 9, 7, 23, tzinfo=UTC)  # the newest mention; not on a 15-minute boundary
SPAN = timedelta(days=60)
PAGE = 50
BATCH = 5_000

# ---------------------------------------------------------------------------------------------------------
# The data: brands, sources, authors, and a pool of texts scored once by the real scorer

# (name, query, competitor, share of mentions, share of incidents, product word, the terms it matches)
BRANDS = [
    ("Orange", "orange OR livebox", False, 0.45, 0.50, "Livebox", ["orange", "livebox"]),
    ("Sosh", "sosh", False, 0.15, 0.15, "forfait Sosh", ["sosh"]),
    ("Free", 'freebox OR "free mobile"', True, 0.25, 0.20, "Freebox", ["freebox"]),
    ("SFR", 'sfr OR "red by sfr"', True, 0.15, 0.15, "box SFR", ["sfr"]),
]
FILTER_BRAND = "Orange"
SECOND_BRAND_SHARE = 0.06  # mentions that also match a second brand (a comparison, a switch)
LANG_SHARE = {"fr": 0.65, "en": 0.35}
SENTIMENT_SHARE = {"negative": 0.30, "neutral": 0.45, "positive": 0.25}
SITES = ["leparisien.fr", "lemonde.fr", "01net.com", "numerama.com", "zdnet.fr", "ouest-france.fr", "bfmtv.com",
         "lesnumeriques.com", "theverge.com", "reuters.com", "techcrunch.com", "telecompaper.com"]  # fmt: skip
CITIES = ["Lyon", "Marseille", "Lille", "Nantes", "Bordeaux", "Toulouse", "Rennes", "Grenoble", "Nice", "Brest"]
N_SOURCES = 40
N_AUTHORS = 400

# fmt: off
TEXTS = {
    "fr": [
        ("Panne {product} à {city}", "Panne {product} depuis ce matin à {city}, impossible de joindre le service "
         "client {brand}. C'est inadmissible, je paie pour rien."),
        ("{brand} m'a facturé deux fois", "{brand} m'a facturé deux fois ce mois-ci, je veux être remboursé. Trois "
         "semaines sans réponse du service client."),
        ("Encore une coupure", "Troisième coupure de la semaine avec ma {product}, {brand} c'est vraiment nul. Des "
         "milliers d'abonnés touchés à {city}."),
        ("Hausse de prix {brand}", "Arnaque {brand} : hausse de {n} € sans prévenir, je résilie. Les associations de "
         "consommateurs dénoncent une pratique scandaleuse."),
        ("{brand} et la fibre", "{brand} annonce le raccordement de {n} 000 foyers à la fibre à {city} d'ici la fin de "
         "l'année."),
        ("Nouvelle offre {brand}", "Nouvelle offre {product} chez {brand} à {n},99 € par mois, disponible dès lundi."),
        ("{brand} publie ses résultats", "{brand} publie ses résultats trimestriels : {n} 000 nouveaux abonnés selon "
         "l'opérateur."),
        ("Merci {brand}", "Super rapide la fibre {brand} à {city}, installation en {n} minutes, merci au technicien !"),
        ("Service client au top", "Le service client {brand} a réglé mon problème en {n} minutes, bravo, très content "
         "de ma {product}."),
        ("Excellent débit", "Excellent débit avec la {product}, {brand} tient ses promesses à {city}."),
    ],
    "en": [
        ("{brand} outage in {city}", "{brand} outage leaves thousands without internet in {city}. This is "
         "unacceptable, I pay for a service that does not work."),
        ("Billed twice by {brand}", "{brand} billed me twice this month and support never answers. I want a refund "
         "now."),
        ("{brand} price hike", "{brand} raises prices by {n}% without notice, customers call it a scam and a "
         "scandal."),
        ("{brand} expands fibre", "{brand} connects {n},000 more homes to fibre in {city} this quarter."),
        ("{brand} results", "{brand} reports quarterly results with {n},000 new subscribers, in line with "
         "expectations."),
        ("New {product} offer", "{brand} launches a {product} offer at {n}.99 euros a month, available on Monday."),
        ("Great {brand} support", "Great support from {brand} today, they fixed my {product} in {n} minutes. Thank "
         "you!"),
        ("Love the {product}", "Love the new {product}, amazing speed in {city}, {brand} nailed it."),
    ],
}
# fmt: on


@dataclass(slots=True)
class Pooled:
    """A text scored once by `alerts.scoring.Scorer`; generated mentions reuse it (JSON encoded once)."""

    title: str
    text: str
    search_text: str
    compound: float
    label: str
    complaint: bool
    risk: int
    scores_json: str


def text_pool(seed: int) -> dict[tuple[str, str, str], list[Pooled]]:
    """Texts by (language, brand, sentiment label), each scored by the real scorer (with and without reach)."""
    rng = random.Random(seed)
    scorer = Scorer(cache_size=0)
    pool: dict[tuple[str, str, str], list[Pooled]] = {}
    for lang, templates in TEXTS.items():
        for name, _query, _competitor, _share, _inc, product, _terms in BRANDS:
            for title_t, text_t in templates:
                for reach in (None, 5_000, 80_000):
                    values = {"brand": name, "product": product, "city": rng.choice(CITIES), "n": rng.randint(2, 98)}
                    title, text = title_t.format(**values), text_t.format(**values)
                    s = scorer.score(text, title=title, lang=lang, author_reach=reach)
                    item = Pooled(
                        title,
                        text,
                        normalize_text(f"{title}\n{text}"),
                        s.sentiment_compound,
                        s.sentiment_label,
                        s.complaint,
                        s.risk,
                        json.dumps(s.reasons),
                    )
                    pool.setdefault((lang, name, s.sentiment_label), []).append(item)
    return pool


# ---------------------------------------------------------------------------------------------------------
# Stores: a SQLite file or a PostgreSQL scratch database, and how to bulk-insert into them


@dataclass(slots=True)
class Database:
    """A fresh, migrated database; `close()` removes it."""

    url: str
    close: Callable[[], None]


def sqlite_database(tmp: Path, name: str) -> Database:
    """A SQLite file in `tmp` (the caller removes the directory)."""
    url = f"sqlite:///{tmp / (name + '.db')}"
    upgrade(url)
    return Database(url, lambda: None)


def postgres_database(admin_url: str) -> Database:
    """A database `vigie_bench_<random>` on the server of `admin_url`, dropped by `close()`."""
    return Database(*temp_postgres_database(admin_url))


MENTION_COLUMNS = ("id", "workspace_id", "source_id", "external_id", "url", "canonical_url", "content_hash", "title",
                   "text", "search_text", "author", "author_reach", "engagement", "lang", "sentiment_compound",
                   "sentiment_label", "complaint", "risk", "scores", "published_at", "published_estimated",
                   "fetched_at")  # fmt: skip
LINK_COLUMNS = ("mention_id", "brand_id", "matched_terms")
INCIDENT_COLUMNS = ("id", "workspace_id", "brand_id", "source_id", "kind", "dedup_key", "status", "severity", "score",
                    "peak_score", "mention_count", "peak_rate", "explanation", "summary", "window_start",
                    "window_end", "calm_streak", "opened_at", "updated_at", "acknowledged_at", "resolved_at",
                    "resolution", "resolution_note", "snoozed_until")  # fmt: skip


def bulk_insert(conn: sa.Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows as the store keeps them (JSON already encoded; datetimes from `stored_time`): COPY on PostgreSQL,
    one executemany of the driver on SQLite; in the caller's transaction."""
    if conn.dialect.name == "postgresql":
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def stored_time(dialect: str) -> Callable[[datetime | None], Any]:
    """How a UTC datetime goes to the driver: aware for PostgreSQL; for SQLite, the text SQLAlchemy writes."""
    if dialect == "postgresql":
        return lambda at: at
    return lambda at: None if at is None else at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


# ---------------------------------------------------------------------------------------------------------
# Loading a dataset


@dataclass(slots=True)
class Loaded:
    """What a dataset holds and how long it took to load."""

    mentions: int
    links: int
    rollups: int
    incidents: int
    seconds: float
    vacuum_seconds: float = 0.0
    brand_ids: dict[str, int] = field(default_factory=dict)


def _picker(shares: dict[str, float]) -> Callable[[random.Random], str]:
    """A fast weighted choice among the keys of `shares`."""
    keys, bounds, total = list(shares), [], 0.0
    for share in shares.values():
        total += share
        bounds.append(total)
    return lambda rng: keys[min(bisect.bisect(bounds, rng.random() * total), len(keys) - 1)]


def load(url: str, n_mentions: int, n_incidents: int, pool: dict, seed: int, span: timedelta = SPAN) -> Loaded:
    """Fill a migrated database: workspace `default`, four brands, sources, mentions with brand links and
    rollups, incidents, over the `span` that ends at END; on PostgreSQL, then VACUUM ANALYZE (as autovacuum would
    soon do)."""
    engine = make_engine(url, pool_size=1)
    rng = random.Random(seed)
    start = time.perf_counter()
    try:
        with writing(engine) as conn:
            ws = ensure_workspace(conn, name="default")["id"]
            brand_ids = {
                name: create_brand(
                    conn,
                    workspace_id=ws,
                    values=BrandSpec(name=name, query=query, competitor=competitor).to_row(),
                )["id"]
                for name, query, competitor, *_ in BRANDS
            }
            source_ids = [
                create_source(
                    conn,
                    workspace_id=ws,
                    values=SourceSpec(name=f"feed {i}", kind="rss", url=f"https://www.{site}/rss/{i}.xml").to_row(),
                )["id"]
                for i, site in ((i, SITES[i % len(SITES)]) for i in range(N_SOURCES))
            ]
        dialect = engine.dialect.name
        links = rollups = 0
        for first in range(0, n_mentions, BATCH):
            rows, link_rows, counted = _mention_batch(
                rng, pool, ws, brand_ids, source_ids, first, min(BATCH, n_mentions - first), n_mentions, dialect, span
            )
            with writing(engine) as conn:
                bulk_insert(conn, "mentions", MENTION_COLUMNS, rows)
                bulk_insert(conn, "mention_brands", LINK_COLUMNS, link_rows)
                add_to_rollups(conn, rows=counted)  # the function ingest calls, on the same rows
            links += len(link_rows)
        incident_rows = _incidents(rng, ws, brand_ids, source_ids, n_incidents, dialect, span)
        for first in range(0, len(incident_rows), BATCH):
            with writing(engine) as conn:
                bulk_insert(conn, "incidents", INCIDENT_COLUMNS, incident_rows[first : first + BATCH])
        with writing(engine) as conn:
            if dialect == "postgresql":  # explicit ids: move the sequences past them
                for table in ("mentions", "incidents"):
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                         f"(SELECT coalesce(max(id), 1) FROM {table}))"))  # fmt: skip
            rollups = conn.execute(sa.text("SELECT count(*) FROM mention_rollups")).scalar_one()
        seconds = time.perf_counter() - start
        vacuum = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if dialect == "postgresql":
                conn.execute(sa.text("VACUUM ANALYZE"))
                # Write the loaded pages out now: a checkpoint spread over the measurements would add to them.
                with contextlib.suppress(sa.exc.DBAPIError):  # needs superuser or pg_checkpoint
                    conn.execute(sa.text("CHECKPOINT"))
            else:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return Loaded(n_mentions, links, rollups, len(incident_rows), seconds, time.perf_counter() - vacuum, brand_ids)
    finally:
        engine.dispose()


def _mention_batch(
    rng: random.Random,
    pool: dict,
    ws: int,
    brand_ids: dict[str, int],
    source_ids: list[int],
    first: int,
    count: int,
    total: int,
    dialect: str,
    span: timedelta = SPAN,
) -> tuple[list[tuple], list[tuple], list[tuple[dict[str, Any], list[int]]]]:
    """Mentions first+1 … first+count (ids in publication order, spread evenly over `span`, whole seconds: some
    share a second), their brand links, and what the rollups count of each."""
    when = stored_time(dialect)
    names = [b[0] for b in BRANDS]
    pick_brand, pick_lang = _picker({b[0]: b[3] for b in BRANDS}), _picker(LANG_SHARE)
    pick_label = _picker(SENTIMENT_SHARE)
    terms = {b[0]: json.dumps(b[6]) for b in BRANDS}
    texts = {}  # a brand's texts of that language and label; else another brand's (the scorer found none)
    for lang in LANG_SHARE:
        for name in names:
            for label in SENTIMENT_SHARE:
                same = [v for k, v in sorted(pool.items()) if k[0] == lang and k[2] == label]
                texts[lang, name, label] = pool.get((lang, name, label)) or same[0]
    rows, link_rows, counted = [], [], []
    for i in range(first, first + count):
        mention_id = i + 1
        published = (END - span + span * ((i + rng.random()) / total)).replace(microsecond=0)
        lang, brand, label = pick_lang(rng), pick_brand(rng), pick_label(rng)
        item = rng.choice(texts[lang, brand, label])
        source = rng.choice(source_ids)
        site = SITES[source % len(SITES)]
        author = rng.randrange(N_AUTHORS)
        reach = int(10 ** (1 + (author * 7919 % N_AUTHORS) / N_AUTHORS * 5))  # 10 to 1,000,000 followers
        engagement = "{}" if author % 3 else json.dumps({"likes": rng.randint(0, 500), "shares": rng.randint(0, 80)})
        link = f"https://www.{site}/actu/{published:%Y/%m/%d}/{mention_id}"
        rows.append((
            mention_id, ws, source, f"guid-{mention_id}", f"{link}?utm_source=rss", link,
            hashlib.sha256(link.encode()).hexdigest(), item.title, item.text, item.search_text,
            f"@author_{author}", reach, engagement, lang, item.compound, item.label, item.complaint, item.risk,
            item.scores_json, when(published), False, when(published + timedelta(seconds=rng.randint(30, 900))),
        ))  # fmt: skip
        matched = [brand]
        if rng.random() < SECOND_BRAND_SHARE:
            matched.append(rng.choice([n for n in names if n != brand]))
        for name in matched:
            link_rows.append((mention_id, brand_ids[name], terms[name]))
        facts = {"workspace_id": ws, "published_at": published, "sentiment_label": item.label,
                 "complaint": item.complaint, "risk": item.risk}  # fmt: skip
        counted.append((facts, [brand_ids[n] for n in matched]))
    return rows, link_rows, counted


def _incidents(
    rng: random.Random,
    ws: int,
    brand_ids: dict[str, int],
    source_ids: list[int],
    n: int,
    dialect: str,
    span: timedelta = SPAN,
) -> list[tuple]:
    """`n` incidents opened over `span`, as detection leaves them: storms and high-risk mentions of the brands, a few
    silent sources; resolved unless recent; a summary with its score history (one point per 5-minute evaluation)."""
    when = stored_time(dialect)
    names = [b[0] for b in BRANDS]
    shares = [b[4] for b in BRANDS]
    out = []
    for i in range(n):
        opened = (END - span + span * ((i + rng.random()) / max(n, 1))).replace(microsecond=0)
        kind = rng.choices(["storm", "high_risk_mention", "silence"], weights=[0.6, 0.35, 0.05])[0]
        brand = None if kind == "silence" else rng.choices(names, weights=shares)[0]
        brand_id = brand_ids[brand] if brand else None
        source_id = rng.choice(source_ids) if kind == "silence" else None
        severity = rng.choices(["info", "warning", "critical"], weights=[0.5, 0.35, 0.15])[0]
        low, high = {"info": (30, 54), "warning": (55, 79), "critical": (80, 100)}[severity]
        score = rng.randint(low, high)
        lasted = timedelta(minutes=5 * min(288, 1 + int(rng.expovariate(1 / 24))))
        recent = END - opened < timedelta(days=3)
        status = rng.choice(["open", "acknowledged", "resolved"]) if recent else "resolved"
        acked = opened + timedelta(minutes=rng.randint(2, 60)) if status != "open" and rng.random() < 0.8 else None
        resolved = opened + lasted if status == "resolved" else None
        resolution = rng.choices(["auto", "handled", "false_positive", "benign"], [0.6, 0.25, 0.1, 0.05])[0]
        count = rng.randint(3, 400) if kind == "storm" else rng.randint(1, 3)
        summary = _summary(rng, kind, severity, score, opened, lasted, count, brand or "source")
        explanation = (
            f"Tempête autour de {brand} : {count} mentions en {lasted.seconds // 3600 + 1} h, "
            f"{rng.randint(40, 95)} % négatives, contre {rng.randint(2, 20)} par heure d'habitude."
            if kind == "storm"
            else f"Mention à haut risque ({score}/100) d'un compte suivi par {rng.randint(10, 900)} 000 personnes."
        )
        out.append((
            i + 1, ws, brand_id, source_id, kind, f"{kind}:{brand_id or source_id}:{i}", status, severity, score,
            score + rng.randint(0, 5), count, round(rng.uniform(5, 400), 1), explanation, json.dumps(summary),
            when(opened - timedelta(minutes=rng.randint(15, 120))), when(opened + lasted), 0, when(opened),
            when(resolved or opened + lasted), when(acked), when(resolved), resolution if resolved else None,
            "traité avec le service presse" if resolved and rng.random() < 0.1 else None, None,
        ))  # fmt: skip
    return out


def _summary(
    rng: random.Random, kind: str, severity: str, score: int, opened: datetime, lasted: timedelta, count: int, who: str
) -> dict[str, Any]:
    """An incident summary shaped like `app.detect._fields` makes it."""
    evaluations = int(lasted.total_seconds() // 300)
    history = [[(opened + timedelta(minutes=5 * k)).isoformat(), max(0, score - rng.randint(0, 20))]
               for k in range(evaluations)]  # fmt: skip
    brief = [
        {"mention_id": rng.randint(1, 10**6), "author": f"@author_{rng.randrange(N_AUTHORS)}",
         "author_reach": rng.randint(100, 10**6), "risk": rng.randint(20, 95)}
        for _ in range(min(count, 5))
    ]  # fmt: skip
    components = [
        {"name": name, "value": round(rng.uniform(0, 10), 2), "contribution": rng.randint(0, 40),
         "detail": f"{name} {rng.randint(2, 30)}× the usual"}
        for name in ("volume", "negativity", "reach", "crisis_terms")
    ]  # fmt: skip
    return {
        "recorded": {
            "kind": kind, "severity": severity, "score": score, "subject": who, "components": components,
            "window_start": opened.isoformat(), "window_end": (opened + lasted).isoformat(),
            "mention_ids": sorted(rng.randint(1, 10**6) for _ in range(min(count, 40))),
            "facts": {"rate_per_hour": rng.randint(5, 400), "baseline_per_hour": rng.randint(1, 30),
                      "negative_share": round(rng.random(), 2)},
        },
        "score_history": history,
        "mentions": count,
        "authors": max(1, count * 3 // 4),
        "complaints": count // 3,
        "sentiment_split": {"negative": count // 2, "neutral": count // 3, "positive": count - count // 2 - count // 3},
        "top_terms": [{"term": t, "mentions": rng.randint(1, count)} for t in ("panne", "arnaque", "remboursez-moi",
                      "des milliers", "scandale", "coupure")[: rng.randint(0, 6)]],
        "sources": [{"source_id": rng.randint(1, N_SOURCES), "name": f"feed {k}", "mentions": rng.randint(1, count)}
                    for k in range(min(count, rng.randint(1, 10)))],
        "top_by_reach": brief,
        "top_by_risk": brief[::-1],
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# The API process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def vigie_serve(url: str, key: str) -> Iterator[str]:
    """A running `vigie serve --roles api` on `url` (no rate limit, warnings only, this admin key); yields its
    address once /readyz answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(VIGIE_DATABASE_URL=url, VIGIE_ADMIN_KEY=key, VIGIE_LOG_LEVEL="WARNING")
    env["VIGIE_API_RATE_LIMIT_PER_MINUTE"] = "0"
    workdir = Path(tempfile.mkdtemp(prefix="vigie-serve-"))
    log = (workdir / "serve.log").open("wb")
    port = free_port()
    cmd = [*VIGIE, "serve", "--roles", "api", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                tail = (workdir / "serve.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"vigie serve exited ({proc.returncode}):\n{tail}")
            try:
                if httpx.get(f"{api}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("vigie serve was not ready after 60 s")
            time.sleep(0.2)
        yield api
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------
# Queries and measuring


@dataclass(slots=True)
class Query:
    """One request measured on both datasets."""

    name: str
    label: str
    path: str
    kind: str  # list | stats
    deep: bool = False

    def params(self, brand_id: int) -> dict[str, Any]:
        if self.path.endswith("/mentions"):
            return {"brand": brand_id, "sentiment": "negative", "limit": PAGE}
        if self.path.endswith("/incidents"):
            return {"brand": brand_id, "status": "resolved", "limit": PAGE}
        since = END - timedelta(days=30)
        return {"brand": brand_id, "since": since.isoformat(), "until": END.isoformat(), "interval": "hour"}


QUERIES = [
    Query("mentions_first", "GET /mentions brand+negative, first page", "/api/v1/mentions", "list"),
    Query("mentions_deep", "GET /mentions brand+negative, deep page", "/api/v1/mentions", "list", deep=True),
    Query("incidents_first", "GET /incidents brand+resolved, first page", "/api/v1/incidents", "list"),
    Query("incidents_deep", "GET /incidents brand+resolved, deep page", "/api/v1/incidents", "list", deep=True),
    Query("stats_volume", "GET /stats/volume 30 days hourly", "/api/v1/stats/volume", "stats"),
]


@dataclass(slots=True)
class Target:
    """One dataset behind its API process: the request of each query, and the samples."""

    label: str
    client: httpx.Client
    brand_id: int
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    page: dict[str, int] = field(default_factory=dict)  # the page number each list query fetches
    walk: dict[str, tuple[int, float]] = field(default_factory=dict)  # pages walked to the deep page, seconds
    samples: dict[str, list[float]] = field(default_factory=dict)
    read_from: list[str] = field(default_factory=list)


def timed_get(client: httpx.Client, path: str, params: dict[str, Any]) -> tuple[float, httpx.Response]:
    """Seconds from sending the request to the whole body received."""
    start = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} {params} answered {response.status_code}: {response.text[:500]}")
    return elapsed, response


def prepare(target: Target, depth: int) -> None:
    """The parameters of each query; for a deep page, walk `depth` pages of cursor first (or to the last full page
    when the list is shorter)."""
    for q in QUERIES:
        params = q.params(target.brand_id)
        if q.kind == "list":
            target.page[q.name] = 1
        if q.deep:
            cursors: list[str | None] = [None]
            fetched, start = 0, time.perf_counter()
            while len(cursors) <= depth:
                page_params = {**params, "cursor": cursors[-1]} if cursors[-1] else params
                following = timed_get(target.client, q.path, page_params)[1].json()["next_cursor"]
                fetched += 1
                if following is None:
                    break
                cursors.append(following)
            target.walk[q.name] = (fetched, time.perf_counter() - start)
            # Page depth+1 when the list is that long; otherwise the last page that is full (it has a next page).
            index = depth if len(cursors) > depth else max(len(cursors) - 2, 0)
            if cursors[index]:
                params = {**params, "cursor": cursors[index]}
            target.page[q.name] = index + 1
        target.params[q.name] = params
        target.samples[q.name] = []
    _, response = timed_get(target.client, QUERIES[-1].path, target.params[QUERIES[-1].name])
    target.read_from = response.json()["read_from"]


def measure(targets: list[Target], samples: int, warmup: int) -> None:
    """Rounds of one request per query and dataset, in turn, so that drift hits both datasets alike."""
    for round_ in range(warmup + samples):
        for target in targets:
            for q in QUERIES:
                elapsed, response = timed_get(target.client, q.path, target.params[q.name])
                if round_ >= warmup:
                    target.samples[q.name].append(elapsed)
                if round_ == 0 and q.kind == "list" and len(response.json()["items"]) == 0:
                    raise RuntimeError(f"{target.label}: {q.label} is empty")


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (inclusive method), or the only value."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


# ---------------------------------------------------------------------------------------------------------
# EXPLAIN: the SQL each request runs, captured in-process through the same app, with its plan


def explain(url: str, key: str, target: Target) -> dict[str, list[str]]:
    """For each query, the plan of every statement on mentions, incidents or rollups that its request runs
    (PostgreSQL: EXPLAIN (ANALYZE, BUFFERS); SQLite: EXPLAIN QUERY PLAN)."""
    with warnings.catch_warnings():  # Starlette's TestClient warns about its httpx dependency
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from app.api import create_app
    from app.settings import Settings

    engine = make_engine(url, pool_size=1)
    captured: list[tuple[str, Any]] = []
    recording = [False]

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if recording[0]:
            captured.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    settings = Settings(_env_file=None, database_url=url, api_rate_limit_per_minute=0)
    plans: dict[str, list[str]] = {}
    try:
        app = create_app(settings, engine)
        with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
            for q in QUERIES:
                captured.clear()
                recording[0] = True
                client.get(q.path, params=target.params[q.name]).raise_for_status()
                recording[0] = False
                lines: list[str] = []
                for statement, parameters in captured:
                    if not statement.lstrip().upper().startswith("SELECT"):
                        continue
                    if not any(t in statement for t in ("FROM mentions", "FROM incidents", "FROM mention_rollups")):
                        continue
                    lines.append("SQL: " + " ".join(statement.split()))
                    lines += ["  " + line for line in _plan(engine, statement, parameters)]
                plans[q.name] = lines
    finally:
        engine.dispose()
    return plans


def _plan(engine: sa.Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        cur = raw.cursor()  # type: ignore[union-attr]
        try:
            if engine.dialect.name == "postgresql":
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                return [row[0] for row in cur.fetchall()]
            cur.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            rows = cur.fetchall()
        finally:
            cur.close()
    depth: dict[int, int] = {0: 0}
    out = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        out.append("  " * (depth[node] - 1) + detail)
    return out


# ---------------------------------------------------------------------------------------------------------
# One store, end to end


@dataclass(slots=True)
class StoreRun:
    """Everything measured on one store."""

    store: str
    big: Loaded
    small: Loaded
    targets: list[Target]
    plans: dict[str, list[str]] = field(default_factory=dict)


def run_store(
    store: str, make: Callable[[str], Database], args: argparse.Namespace, pool: dict, log: Callable[[str], None]
) -> StoreRun:
    """Create and load both databases, serve each with its own API process, measure, and remove them."""
    made: list[Database] = []
    try:
        made.append(make("large"))
        log(f"{store}: loading {args.mentions:,} mentions and {args.incidents:,} incidents…")
        big = load(made[0].url, args.mentions, args.incidents, pool, args.seed)
        log(f"{store}: loaded in {big.seconds:.1f} s (+{big.vacuum_seconds:.1f} s VACUUM ANALYZE / checkpoint)")
        made.append(make("small"))
        small = load(made[1].url, args.small, args.small_incidents, pool, args.seed + 1)
        key = "vg_" + secrets.token_urlsafe(32)
        headers = {"Authorization": f"Bearer {key}"}
        with (
            vigie_serve(made[0].url, key) as big_api,
            vigie_serve(made[1].url, key) as small_api,
            httpx.Client(base_url=big_api, timeout=120, headers=headers) as big_client,
            httpx.Client(base_url=small_api, timeout=120, headers=headers) as small_client,
        ):
            targets = [
                Target(f"{args.mentions:,}", big_client, big.brand_ids[FILTER_BRAND]),
                Target(f"{args.small:,}", small_client, small.brand_ids[FILTER_BRAND]),
            ]
            for target in targets:
                log(f"{store}: walking to the deep pages of {target.label} mentions…")
                prepare(target, args.depth)
            log(f"{store}: measuring ({args.warmup} warm-up + {args.samples} rounds)…")
            measure(targets, args.samples, args.warmup)
        run = StoreRun(store, big, small, targets)
        if args.explain:
            run.plans = explain(made[0].url, key, targets[0])
        return run
    finally:
        for database in made:
            database.close()


# ---------------------------------------------------------------------------------------------------------
# Reporting


def summarize(
    runs: list[StoreRun], skipped: str | None, args: argparse.Namespace, load_average: list[float]
) -> dict[str, Any]:
    """Figures, ratios and verdicts of every store, as one JSON-ready object."""
    stores = []
    for run in runs:
        big, small = run.targets
        queries = {}
        for q in QUERIES:
            figures = {}
            for side, target in (("large", big), ("small", small)):
                values = target.samples[q.name]
                figures[side] = {
                    "page": target.page.get(q.name),
                    "p50_ms": round(quantile(values, 0.5) * 1000, 2),
                    "p95_ms": round(quantile(values, 0.95) * 1000, 2),
                }
                if q.name in target.walk:
                    pages, seconds = target.walk[q.name]
                    figures[side]["walk"] = {"pages": pages, "seconds": round(seconds, 2)}
            ratio = figures["large"]["p50_ms"] / figures["small"]["p50_ms"]
            ratio_p95 = figures["large"]["p95_ms"] / figures["small"]["p95_ms"]
            entry: dict[str, Any] = {**figures, "ratio_p50": round(ratio, 2), "ratio_p95": round(ratio_p95, 2)}
            p95 = figures["large"]["p95_ms"]
            if q.kind == "list":
                entry["ratio_verdict"] = "PASS" if ratio <= TARGET_RATIO else "MISSED"
                if run.store == "PostgreSQL":
                    entry["p95_verdict"] = "PASS" if p95 <= TARGET_LIST_P95_MS else "MISSED"
            else:
                entry["p95_verdict"] = "PASS" if p95 <= TARGET_STATS_P95_MS else "MISSED"
            queries[q.name] = entry
        stores.append({
            "store": run.store,
            "large": _loaded(run.big),
            "small": _loaded(run.small),
            "stats_read_from": big.read_from,
            "queries": queries,
            **({"plans": run.plans} if run.plans else {}),
        })  # fmt: skip
    verdicts = [v for s in stores for e in s["queries"].values() for k, v in e.items() if k.endswith("verdict")]
    return {
        "mentions": args.mentions,
        "incidents": args.incidents,
        "small": args.small,
        "samples": args.samples,
        "warmup": args.warmup,
        "depth": args.depth,
        "page_size": PAGE,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "load_average": load_average,  # 1-minute load average at the start and at the end of the run
        "stores": stores,
        "postgres_skipped": skipped,
        "targets": {
            "ratio": TARGET_RATIO,
            "list_p95_ms_postgres": TARGET_LIST_P95_MS,
            "stats_p95_ms": TARGET_STATS_P95_MS,
        },
        "verdict": "PASS" if verdicts and all(v == "PASS" for v in verdicts) else "MISSED",
    }


def _loaded(loaded: Loaded) -> dict[str, Any]:
    return {"mentions": loaded.mentions, "brand_links": loaded.links, "rollup_rows": loaded.rollups,
            "incidents": loaded.incidents, "load_seconds": round(loaded.seconds, 1),
            "vacuum_seconds": round(loaded.vacuum_seconds, 1)}  # fmt: skip


def print_report(r: dict[str, Any]) -> None:
    """The human-readable report."""
    print(
        f"API latency benchmark — HTTP GETs to one `vigie serve --roles api` per database, {r['samples']} samples "
        f"(+{r['warmup']} warm-up) per query, the two databases in turn; pages of {r['page_size']}, deep page after "
        f"{r['depth']} pages of cursor"
    )
    start, end = r["load_average"]
    print(f"  {r['cpus']} CPUs, load average {start:.1f} at the start and {end:.1f} at the end (other processes "
          "make the absolute figures noisier; the ratios compare samples taken in turn)")  # fmt: skip
    for s in r["stores"]:
        big, small = s["large"], s["small"]
        print(f"\n{s['store']}")
        for name, d in (("large", big), ("small", small)):
            rate = d["mentions"] / d["load_seconds"] if d["load_seconds"] else 0
            extra = f" + {d['vacuum_seconds']:.1f} s VACUUM ANALYZE" if s["store"] == "PostgreSQL" else ""
            print(
                f"  {name}: {d['mentions']:,} mentions ({d['brand_links']:,} brand links, {d['rollup_rows']:,} rollup "
                f"rows), {d['incidents']:,} incidents, loaded in {d['load_seconds']:.1f} s ({rate:,.0f} mentions/s)"
                f"{extra}"
            )
        head_big, head_small = f"{big['mentions']:,} mentions", f"{small['mentions']:,} mentions"
        print(f"  {'':<44} {head_big:>24}   {head_small:>22}   {'ratio':>5}   {'p95 target':<13} "
              f"ratio ≤ {TARGET_RATIO}")  # fmt: skip
        print(f"  {'query':<44} {'page':>6} {'p50 ms':>8} {'p95 ms':>8}   {'page':>6} {'p50 ms':>7} {'p95 ms':>7}   "
              f"{'p50':>5}")  # fmt: skip
        for q in QUERIES:
            e = s["queries"][q.name]
            lg, sm = e["large"], e["small"]
            if q.kind == "stats":
                target = f"≤ {TARGET_STATS_P95_MS:.0f} {e['p95_verdict']}"
            elif "p95_verdict" in e:
                target = f"≤ {TARGET_LIST_P95_MS:.0f} {e['p95_verdict']}"
            else:
                target = "PG only"
            print(
                f"  {q.label:<44} {_page(lg):>6} {lg['p50_ms']:>8.1f} {lg['p95_ms']:>8.1f}   {_page(sm):>6} "
                f"{sm['p50_ms']:>7.1f} {sm['p95_ms']:>7.1f}   {e['ratio_p50']:>5.2f}   {target:<13} "
                f"{e.get('ratio_verdict', '—')}"
            )
        for q in QUERIES:
            walk = s["queries"][q.name]["large"].get("walk")
            if walk:
                ms = walk["seconds"] * 1000 / max(walk["pages"], 1)
                print(f"  {q.label.split(',')[0]}: walked {walk['pages']} pages in {walk['seconds']:.1f} s "
                      f"({ms:.1f} ms a page on average) on the large database")  # fmt: skip
        print(f"  stats read from: {' + '.join(s['stats_read_from'])} (30 days to {END:%Y-%m-%d %H:%M:%S} UTC, "
              "Europe/Paris hours; the ragged ends come from the mentions)")  # fmt: skip
        for name, lines in s.get("plans", {}).items():
            print(f"\n  plans of {name} (large database):")
            for line in lines:
                print("    " + line)
    if r["postgres_skipped"]:
        print(f"\nPostgreSQL skipped: {r['postgres_skipped']}")
    print(
        f"\ntargets: list ratio large/small ≤ {TARGET_RATIO} (p50); list p95 ≤ {TARGET_LIST_P95_MS:.0f} ms on "
        f"PostgreSQL; stats p95 ≤ {TARGET_STATS_P95_MS:.0f} ms → {r['verdict']}"
    )


def _page(figures: dict[str, Any]) -> str:
    return "—" if figures["page"] is None else str(figures["page"])


# ---------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000, help="mentions of the large dataset")
    parser.add_argument("--incidents", type=int, default=10_000, help="incidents of the large dataset")
    parser.add_argument("--small", type=int, default=10_000, help="mentions of the small dataset")
    parser.add_argument("--small-incidents", type=int, default=250, help="incidents of the small dataset (the "
                        "fewest that still fill two pages of the incidents filter)")  # fmt: skip
    parser.add_argument("--samples", type=int, default=50, help="timed requests per query and dataset")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds before the samples")
    parser.add_argument("--depth", type=int, default=500, help="pages of cursor before the deep page")
    parser.add_argument("--seed", type=int, default=1, help="seed of the data generator")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="PostgreSQL server for the scratch databases "
                        "(default: VIGIE_TEST_POSTGRES_URL, else the local server)")  # fmt: skip
    parser.add_argument("--sqlite-only", action="store_true", help="SQLite only")
    parser.add_argument("--postgres-only", action="store_true", help="PostgreSQL only")
    parser.add_argument("--explain", action="store_true", help="print the plan of each query's SQL (large dataset)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if min(args.mentions, args.small, args.incidents, args.small_incidents, args.samples, args.depth) < 1:
        parser.error("--mentions, --small, --incidents, --small-incidents, --samples and --depth must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup cannot be negative")
    if args.sqlite_only and args.postgres_only:
        parser.error("--sqlite-only and --postgres-only exclude each other")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; always exits 0."""
    args = parse_args(argv)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    admin = args.postgres or os.environ.get("VIGIE_TEST_POSTGRES_URL", DEFAULT_PG)
    skipped = "--sqlite-only" if args.sqlite_only else postgres_unreachable(admin)
    load_average = [os.getloadavg()[0]]
    log("scoring the text pool…")
    pool = text_pool(args.seed)
    runs = []
    if not args.postgres_only:
        tmp = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
        try:
            runs.append(run_store("SQLite", lambda name: sqlite_database(tmp, name), args, pool, log))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if not skipped:
        runs.append(run_store("PostgreSQL", lambda _name: postgres_database(admin), args, pool, log))
    load_average.append(os.getloadavg()[0])
    result = summarize(runs, skipped, args, load_average)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
