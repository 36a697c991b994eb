"""Ingest benchmark: mentions per second through parse → match → dedup → score → store, on one thread.

Printed next to a bare loop of `feedparser.parse` + VADER over the same feed bytes, in the same process and
the same run, with their ratio (target: the full pipeline at ≥ 0.7× the bare loop). A second pass of the
pipeline over the same bytes (a re-poll: nothing new, every matching item is already stored) is reported
separately, since that is the steady state of a feed polled every few minutes.

    .venv/bin/python bench/ingest.py [--feeds 20] [--items 100] [--repeat 3] [--json]
    .venv/bin/python bench/ingest.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Everything runs on a single thread; the feeds are generated (seeded, deterministic) in memory.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import feedparser
import sqlalchemy as sa
from pgtemp import temp_postgres_database
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from alerts.scoring import Scorer
from app.db import make_engine, writing
from app.db.migrate import upgrade
from app.db.schema import mention_brands, mentions, utcnow
from app.pipeline import ingest_drafts
from app.query import normalize_text
from app.specs import BrandSpec, SourceSpec
from app.storage.brands import create_brand
from app.storage.sources import create_source
from app.storage.workspaces import ensure_workspace
from collectors.rss import parse_feed

TARGET_RATIO = 0.7
BRANDS = [
    {"name": "Orange", "query": '(orange OR livebox OR sosh) -"jus d\'orange"', "languages": ["fr", "en"]},
    {"name": "Free", "query": 'freebox OR "free mobile" OR iliad', "competitor": True},
    {"name": "SFR", "query": 'sfr OR "red by sfr"', "competitor": True},
    {"name": "Bouygues Telecom", "query": '"bouygues telecom" OR bbox', "competitor": True},
]


@dataclass(slots=True)
class Pass:
    """One timed pass over every feed: how many items, how long, and what the pipeline made of them."""

    items: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Items per second."""
        return self.items / self.seconds if self.seconds else 0.0


# ---------------------------------------------------------------------------------------------------------
# Feed generation: RSS 2.0 documents that look like French and English news and telecom feeds

# fmt: off
SITES = ["leparisien.fr", "lemonde.fr", "01net.com", "numerama.com", "zdnet.fr", "ouest-france.fr",
         "bfmtv.com", "lesnumeriques.com", "theverge.com", "reuters.com", "techcrunch.com", "telecompaper.com"]
CITIES = ["Lyon", "Marseille", "Lille", "Nantes", "Bordeaux", "Toulouse", "Rennes", "Grenoble", "Nice", "Brest"]
AUTHORS = ["Claire Dubois", "Julien Martin", "Sophie Bernard", "Thomas Petit", "Emma Wilson", "James Carter"]
# (brand as written in the title, product word); every pair contains a term of one of the BRANDS queries.
MENTIONS = [("Orange", "Livebox"), ("Sosh", "forfait Sosh"), ("Free", "Freebox"), ("Free Mobile", "Free Mobile"),
            ("SFR", "box SFR"), ("RED by SFR", "forfait RED by SFR"), ("Bouygues Telecom", "Bbox")]
TITLES = {
    "fr": ["Panne {product} : des milliers d’abonnés {brand} privés d’internet à {city}",
           "{brand} augmente ses forfaits de {n} €, les clients dénoncent une hausse « scandaleuse »",
           "Fibre : {brand} raccorde {n} 000 nouveaux foyers à {city}",
           "Service client {brand} : « trois semaines sans réponse, remboursez-moi »",
           "{brand} lance une offre {product} à {n},99 € par mois"],
    "en": ["{brand} outage leaves thousands without internet in {city}",
           "{brand} raises prices by {n}%, customers call it a scandal",
           "{brand} wins the best network award for the {n}th time",
           "Why {brand} customers are angry about the new {product} contract"],
}
SENTENCES = {
    "fr": ["Selon l’opérateur, l’incident a été résolu vers {n} h.", "Les abonnés du {product} sont furieux.",
           "« C’est inadmissible, je paie pour un service qui ne marche pas », témoigne une cliente de {city}.",
           "L’entreprise promet un geste commercial aux clients touchés.", "Le réseau a été saturé pendant {n} heures.",
           "Les associations de consommateurs saluent une bonne nouvelle.", "L’Arcep a ouvert une enquête.",
           "Une pétition a déjà recueilli {n} 000 signatures.", "Le débit moyen atteint {n}00 Mbit/s."],
    "en": ["The company said the issue was fixed around {n} pm.", "Users of the {product} are furious.",
           "\"This is unacceptable, I pay for a service that does not work,\" said a customer in {city}.",
           "The operator promised compensation to affected customers.", "Analysts expect {n}% growth next year.",
           "Consumer groups welcomed the great news.", "The regulator has opened an investigation."],
}
OFF_TOPIC = {
    "fr": ["Météo : orages attendus à {city} ce week-end", "Recette : le jus d’orange pressé de {author}",
           "Football : {city} s’impose {n} à 1 face à Brest", "Immobilier : les prix reculent de {n} % à {city}"],
    "en": ["Weather: storms expected in {city} this weekend", "Football: {city} win {n}-1 at home",
           "Housing prices fall {n}% in {city}", "The best hiking trails near {city}"],
}
OFF_TOPIC_TEXT = {
    "fr": ["Les prévisions pour {city}.", "Par {author}, {n} photos.", "Voir aussi nos {n} articles.",
           "Mis à jour à {n} h."],
    "en": ["The forecast for {city}.", "By {author}, {n} photos.", "See also our {n} stories.", "Updated at {n} pm."],
}
# fmt: on


def _slug(title: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", normalize_text(title)))[:80]


def _item(rng: random.Random, lang: str, feed: int, n: int, site: str) -> dict[str, str]:
    """One generated item: ~80% about a brand, ~20% off topic; HTML description with entities."""
    brand, product = rng.choice(MENTIONS)
    values = {"brand": brand, "product": product, "city": rng.choice(CITIES), "n": str(rng.randint(2, 98)),
              "author": rng.choice(AUTHORS)}  # fmt: skip
    on_topic = rng.random() < 0.8
    title = rng.choice(TITLES[lang] if on_topic else OFF_TOPIC[lang]).format(**values)
    pool = SENTENCES[lang] if on_topic else OFF_TOPIC_TEXT[lang]
    body = [s.format(**{**values, "n": rng.randint(2, 98)}) for s in rng.sample(pool, k=4 if on_topic else 3)]
    when = datetime(2025, 3, 17, 9, 0, tzinfo=UTC) - timedelta(minutes=n * 17 + feed * 3)
    link = f"https://www.{site}/actu/{when:%Y/%m/%d}/{_slug(title)}_{feed}-{n}.html"
    html = (
        f"<p>{body[0]} <strong>{body[1]}</strong></p>\n<p>{' '.join(body[2:])} <a href=\"{link}\">Lire la suite</a></p>"
        f'<img src="https://img.{site}/{feed}/{n}.jpg" alt="{title[:40]}" width="640" height="360"/>'
    ).replace("’", "&#8217;").replace(" :", "&nbsp;:")
    if n % 2:
        html = html.replace("é", "&eacute;")
    return {"title": title, "html": html, "author": values["author"], "date": format_datetime(when),
            "link": f"{link}?utm_source=rss&utm_medium=feed&utm_campaign=feed{feed}", "guid": link}  # fmt: skip


def _render(feed: int, site: str, lang: str, items: list[dict[str, str]]) -> bytes:
    """RSS 2.0 bytes: half the feeds declare their language, half use CDATA for descriptions."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">',
           f"<channel><title>{site} — actualités</title><link>https://www.{site}/</link><ttl>15</ttl>"]  # fmt: skip
    if feed % 2 == 0:
        out.append(f"<language>{lang}-{lang.upper()}</language>")
    for it in items:
        desc = f"<![CDATA[{it['html']}]]>" if feed % 4 < 2 else xml_escape(it["html"])
        out.append(
            f"<item><title>{xml_escape(it['title'])}</title><link>{xml_escape(it['link'])}</link>"
            f"<guid isPermaLink=\"true\">{it['guid']}</guid><pubDate>{it['date']}</pubDate>"
            f"<dc:creator>{it['author']}</dc:creator><description>{desc}</description></item>"
        )
    out.append("</channel></rss>\n")
    return "\n".join(out).encode("utf-8")


def generate_feeds(feeds: int, items: int, *, seed: int = 1) -> list[tuple[str, bytes]]:
    """(feed URL, RSS bytes) for `feeds` feeds of `items` items; ~5% of the items are the same article as an
    item of an earlier feed (its link with other utm_ parameters), as when two feeds carry one story."""
    rng = random.Random(seed)
    out, earlier = [], []
    for feed in range(feeds):
        site, lang = SITES[feed % len(SITES)], "fr" if feed % 5 < 3 else "en"
        made = []
        for n in range(items):
            if earlier and rng.random() < 0.05:
                copy = dict(rng.choice(earlier))
                copy["link"] = copy["guid"] + f"?utm_source=agregateur&utm_campaign=feed{feed}"
                made.append(copy)
            else:
                made.append(_item(rng, lang, feed, n, site))
        earlier.extend(made)
        out.append((f"https://www.{site}/rss/feed-{feed}.xml", _render(feed, site, lang, made)))
    return out


# ---------------------------------------------------------------------------------------------------------
# The two loops being compared


def baseline_pass(feeds: list[tuple[str, bytes]], analyzer: SentimentIntensityAnalyzer) -> Pass:
    """The bare loop: feedparser.parse on each feed's bytes, then VADER on title + summary of each entry."""
    items = 0
    start = time.perf_counter()
    for _url, body in feeds:
        for entry in feedparser.parse(body).entries:
            analyzer.polarity_scores(entry.get("title", "") + " " + entry.get("summary", ""))
            items += 1
    return Pass(items, time.perf_counter() - start)


def pipeline_pass(store: Store, feeds: list[tuple[str, bytes]]) -> Pass:
    """The full pipeline as the collector runs it: parse_feed, then one write transaction per feed."""
    counts = {"new": 0, "duplicate": 0, "unmatched": 0}
    items = 0
    start = time.perf_counter()
    for source_id, (url, body) in zip(store.source_ids, feeds, strict=True):
        drafts = parse_feed(body, base_url=url).drafts
        items += len(drafts)
        with writing(store.engine) as conn:
            report = ingest_drafts(
                conn,
                workspace_id=store.workspace_id,
                source_id=source_id,
                drafts=drafts,
                now=utcnow(),
            )
        for key in counts:
            counts[key] += getattr(report, key)
    return Pass(items, time.perf_counter() - start, counts)


# ---------------------------------------------------------------------------------------------------------
# The store: a migrated database with one workspace, four brands and one rss source per feed


@dataclass(slots=True)
class Store:
    """A benchmark database; `reset()` empties the mentions before each first pass."""

    engine: sa.Engine
    workspace_id: int
    source_ids: list[int]
    reset: Callable[[], None]
    close: Callable[[], None]
    backend: str


def populate(engine: sa.Engine, feed_urls: list[str]) -> tuple[int, list[int]]:
    """Create the workspace, its brands and one rss source per feed; (workspace id, source ids)."""
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name="bench")
        for brand in BRANDS:
            create_brand(conn, workspace_id=ws["id"], values=BrandSpec(**brand).to_row())
        source_ids = [
            create_source(
                conn, workspace_id=ws["id"], values=SourceSpec(name=f"feed {i}", kind="rss", url=url).to_row()
            )["id"]
            for i, url in enumerate(feed_urls)
        ]
    return ws["id"], source_ids


def refresh_statistics(engine: sa.Engine) -> None:
    """On PostgreSQL, ANALYZE the freshly filled tables, as autovacuum soon does in production: without
    statistics the planner scans the whole workspace for each dedup look-up and a re-poll runs ~20% slower."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE mentions, mention_brands"))


def _empty_mentions(engine: sa.Engine) -> None:
    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE mention_brands, mentions RESTART IDENTITY CASCADE"))
        else:
            conn.execute(sa.delete(mention_brands))
            conn.execute(sa.delete(mentions))


def sqlite_store(feed_urls: list[str]) -> Store:
    """A fresh SQLite file (WAL, as `vigie serve` uses it) in a temporary directory, removed by `close()`."""
    tmp = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(url)

    def close() -> None:
        engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)

    return _open_store(url, engine, feed_urls, close, "sqlite")


def postgres_store(admin_url: str, feed_urls: list[str]) -> Store:
    """A temporary database `vigie_bench_<random>` on the server of `admin_url`, dropped by `close()`."""
    url, drop = temp_postgres_database(admin_url, migrate=False)  # _open_store migrates
    engine = make_engine(url, pool_size=1)

    def close() -> None:
        engine.dispose()
        drop()

    return _open_store(url, engine, feed_urls, close, "postgresql")


def _open_store(url: str, engine: sa.Engine, feed_urls: list[str], close: Callable[[], None], backend: str) -> Store:
    """Migrate and populate the new database; on failure, clean it up before re-raising."""
    try:
        upgrade(url)
        workspace_id, source_ids = populate(engine, feed_urls)
    except BaseException:
        close()
        raise
    return Store(engine, workspace_id, source_ids, lambda: _empty_mentions(engine), close, backend)


# ---------------------------------------------------------------------------------------------------------
# Running and reporting


def warm_up(feeds: list[tuple[str, bytes]], analyzer: SentimentIntensityAnalyzer) -> None:
    """Load the language model and VADER lexicon, and exercise feedparser, outside any timing."""
    url, body = feeds[0]
    for entry in feedparser.parse(body).entries[:5]:
        analyzer.polarity_scores(entry.get("title", ""))
    for draft in parse_feed(body, base_url=url).drafts[:5]:
        Scorer().score(draft.text, title=draft.title)


def measure(store: Store, feeds: list[tuple[str, bytes]], repeat: int) -> dict[str, list[Pass]]:
    """Alternate baseline, pipeline (empty store) and re-poll runs `repeat` times, to share any drift."""
    analyzer = SentimentIntensityAnalyzer()
    warm_up(feeds, analyzer)
    runs: dict[str, list[Pass]] = {"baseline": [], "pipeline": [], "repoll": []}
    for _ in range(repeat):
        runs["baseline"].append(baseline_pass(feeds, analyzer))
        store.reset()
        runs["pipeline"].append(pipeline_pass(store, feeds))
        refresh_statistics(store.engine)
        runs["repoll"].append(pipeline_pass(store, feeds))
    return runs


def summarize(runs: dict[str, list[Pass]], args: argparse.Namespace, backend: str) -> dict[str, Any]:
    """Best and median items/s of each loop, the ratios of the best runs, and the verdict."""
    best = {name: max(passes, key=lambda p: p.rate) for name, passes in runs.items()}
    result: dict[str, Any] = {
        "backend": backend,
        "feeds": args.feeds,
        "items_per_feed": args.items,
        "repeat": args.repeat,
        "items": best["baseline"].items,
        "python": platform.python_version(),
        "feedparser": feedparser.__version__,
    }
    for name, passes in runs.items():
        result[f"{name}_items_per_s"] = round(best[name].rate, 1)
        result[f"{name}_median_items_per_s"] = round(statistics.median(p.rate for p in passes), 1)
    result["ratio"] = round(best["pipeline"].rate / best["baseline"].rate, 3)
    result["repoll_ratio"] = round(best["repoll"].rate / best["baseline"].rate, 3)
    result.update(pipeline_counts=best["pipeline"].counts, repoll_counts=best["repoll"].counts)
    result.update(target_ratio=TARGET_RATIO, verdict="PASS" if result["ratio"] >= TARGET_RATIO else "BELOW TARGET")
    return result


def print_table(r: dict[str, Any]) -> None:
    """The human-readable report."""
    print(
        f"ingest benchmark — {r['feeds']} feeds × {r['items_per_feed']} items = {r['items']} items, "
        f"store: {r['backend']}, best of {r['repeat']}, single thread"
    )
    rows = [
        ("bare loop (feedparser.parse + VADER)", r["baseline_items_per_s"], r["baseline_median_items_per_s"], ""),
        ("pipeline, first pass (new items)", r["pipeline_items_per_s"], r["pipeline_median_items_per_s"], r["ratio"]),
        ("pipeline, re-poll (nothing new)", r["repoll_items_per_s"], r["repoll_median_items_per_s"],
         r["repoll_ratio"]),
    ]  # fmt: skip
    print(f"  {'':<38} {'items/s':>9} {'median':>9} {'× bare':>7}")
    for label, rate, median, ratio in rows:
        shown = f"{ratio:.2f}" if ratio != "" else ""
        print(f"  {label:<38} {rate:>9,.0f} {median:>9,.0f} {shown:>7}")
    c = r["pipeline_counts"]
    print(f"  first pass stored {c['new']} new, {c['duplicate']} duplicate, {c['unmatched']} unmatched")
    print(f"  target: pipeline ≥ {r['target_ratio']}× bare loop → {r['verdict']}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=20, help="number of feeds (default 20)")
    parser.add_argument("--items", type=int, default=100, help="items per feed (default 100)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each loop; the best is reported")
    parser.add_argument("--seed", type=int, default=1, help="seed of the feed generator")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="store on PostgreSQL (a temporary database)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if args.feeds < 1 or args.items < 1 or args.repeat < 1:
        parser.error("--feeds, --items and --repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; always exits 0 (a benchmark, not a test)."""
    args = parse_args(argv)
    feeds = generate_feeds(args.feeds, args.items, seed=args.seed)
    urls = [url for url, _ in feeds]
    store = postgres_store(args.postgres, urls) if args.postgres else sqlite_store(urls)
    try:
        result = summarize(measure(store, feeds, args.repeat), args, store.backend)
    finally:
        store.close()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
