"""Curation: mark a mention spam or irrelevant (feeding the brand's blocklist), correct its sentiment by hand, and
re-match / re-score stored mentions with the current queries, blocklists and lexicon.

Rules a community manager can count on:
- a mention marked spam or irrelevant for a brand leaves that brand's lists, statistics and detection, and no
  re-matching ever links it back (until it is marked relevant again);
- a sentiment set by hand wins over the model, survives re-scoring, and is exported as labelled data;
- blocking an author, a domain or a term applies to new mentions at once and to stored ones through a background
  re-match job (see app.reprocess), whose id is returned.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.blocklist import domain_of, normalize_entry
from app.pipeline import IngestContext, load_ingest_context
from app.query import document_of_tokens, tokenize
from app.storage import curation as store
from app.storage.mentions import get_mention
from app.storage.reprocess import create_job

MARKS = ("spam", "irrelevant", "relevant")


class CurationError(ValueError):
    """A curation request that cannot be done; the message says why and what to do."""


@dataclass(slots=True)
class CurationResult:
    """What a mark did."""

    mention_id: int
    mark: str
    brand_ids: list[int]
    blocked: list[dict[str, Any]] = field(default_factory=list)  # new blocklist entries
    relinked: list[int] = field(default_factory=list)  # brands linked again by a "relevant" mark
    still_blocked: dict[int, str] = field(default_factory=dict)  # brand id -> why re-linking was refused
    job_id: int | None = None  # the re-match job applying new entries to stored mentions


def mark_mention(
    conn: sa.Connection,
    *,
    workspace_id: int,
    mention_id: int,
    mark: str,
    brand_id: int | None,
    block_author: bool,
    block_domain: bool,
    block_terms: list[str],
    key_name: str | None,
    now: datetime,
) -> CurationResult | None:
    """Apply a mark; None when the mention is not in the workspace. CurationError for an impossible request."""
    mention = get_mention(conn, workspace_id=workspace_id, mention_id=mention_id)
    if mention is None:
        return None
    context = load_ingest_context(conn, workspace_id=workspace_id)
    known = {m.id for m in context.matchers}
    linked = [b["id"] for b in mention["brands"]]
    if brand_id is not None and brand_id not in known:
        raise CurationError(f"brand {brand_id} does not exist in this workspace")
    if mark == "relevant":
        brand_ids = [brand_id] if brand_id is not None else _marked_brands(conn, mention_id) or linked
        return _mark_relevant(conn, context, mention, brand_ids)
    brand_ids = [brand_id] if brand_id is not None else linked
    if not brand_ids:
        raise CurationError("this mention is linked to no brand; give `brand` to say which brand it is not about")
    entries = _block_entries(mention, block_author, block_domain, block_terms)
    store.mark_out(
        conn, workspace_id=workspace_id, mention=mention, brand_ids=brand_ids, mark=mark, key_name=key_name, now=now
    )
    result = CurationResult(mention_id=mention_id, mark=mark, brand_ids=brand_ids)
    for target in brand_ids:
        for kind, value in entries:
            row, new = store.add_block(
                conn, workspace_id=workspace_id, brand_id=target, kind=kind, value=value, now=now, mention_id=mention_id
            )
            if new:
                result.blocked.append(row)
    if result.blocked:
        only = brand_ids[0] if len(brand_ids) == 1 else None
        result.job_id = create_job(
            conn, workspace_id=workspace_id, brand_id=only, rematch=True, rescore=False, since=None, now=now
        )["id"]
    return result


def _block_entries(
    mention: dict[str, Any], block_author: bool, block_domain: bool, block_terms: list[str]
) -> list[tuple[str, str]]:
    entries = []
    if block_author:
        if not mention["author"]:
            raise CurationError("this mention has no author to block; set block_author to false")
        entries.append(("author", normalize_entry("author", mention["author"])))
    if block_domain:
        host = domain_of(mention["canonical_url"] or mention["url"])
        if host is None:
            raise CurationError("this mention has no web address, so no domain to block; set block_domain to false")
        entries.append(("domain", normalize_entry("domain", host)))
    for term in block_terms:
        try:
            entries.append(("term", normalize_entry("term", term)))
        except ValueError as exc:
            raise CurationError(str(exc)) from None
    return entries


def _marked_brands(conn: sa.Connection, mention_id: int) -> list[int]:
    return sorted(b for m, b in store.curated_out(conn, mention_ids=[mention_id]) if m == mention_id)


def _mark_relevant(
    conn: sa.Connection, context: IngestContext, mention: dict[str, Any], brand_ids: list[int]
) -> CurationResult:
    result = CurationResult(mention_id=mention["id"], mark="relevant", brand_ids=brand_ids)
    store.clear_marks(conn, mention_id=mention["id"], brand_ids=brand_ids)
    linked = {b["id"] for b in mention["brands"]}
    doc = document_of_tokens(tokenize(mention["search_text"]), lang=mention["lang"])
    url = mention["canonical_url"] or mention["url"]
    terms: dict[int, list[str]] = {}
    for matcher in context.matchers:
        if matcher.id not in brand_ids or matcher.id in linked:
            continue
        why = matcher.blocklist.blocks(author=mention["author"], url=url, doc=doc) if matcher.blocklist else None
        if why:
            result.still_blocked[matcher.id] = f"blocked by the brand's blocklist ({why})"
            continue
        # A person said it is about the brand: link it even when the query would not match it today.
        terms[matcher.id] = matcher.query.matched_terms(doc)
    store.link(conn, mention_id=mention["id"], terms=terms)
    store.recount(conn, brand_ids=terms, published_at=[mention["published_at"]])
    result.relinked = sorted(terms)
    return result


def correct_sentiment(
    conn: sa.Connection, *, workspace_id: int, mention_id: int, label: str | None, now: datetime
) -> dict[str, Any] | None:
    """Set (or clear, with None) a person's sentiment; the mention with its brands, or None when not found."""
    mention = get_mention(conn, workspace_id=workspace_id, mention_id=mention_id)
    if mention is None:
        return None
    model_label = mention["sentiment_label"]
    if label is None and mention["sentiment_manual"] is not None:
        scorer = load_ingest_context(conn, workspace_id=workspace_id).scorer
        model_label = _score(scorer, mention).sentiment_label
    store.set_manual_sentiment(conn, mention_id=mention_id, label=label, model_label=model_label, now=now)
    store.recount(conn, brand_ids=[b["id"] for b in mention["brands"]], published_at=[mention["published_at"]])
    return get_mention(conn, workspace_id=workspace_id, mention_id=mention_id)


# -- re-matching and re-scoring a batch of stored mentions (the reprocess job's step) --------------------------


@dataclass(slots=True)
class BatchReport:
    """What one batch changed."""

    processed: int = 0
    links_added: int = 0
    links_removed: int = 0
    rescored: int = 0


def reprocess_batch(
    conn: sa.Connection,
    context: IngestContext,
    rows: list[dict[str, Any]],
    *,
    rematch: bool,
    rescore: bool,
    brand_id: int | None,
) -> BatchReport:
    """Re-match and/or re-score `rows` (mention rows) and recount the rollups they touch."""
    report = BatchReport(processed=len(rows))
    touched: dict[int, list[datetime]] = defaultdict(list)
    ids = [r["id"] for r in rows]
    current = store.brand_links(conn, mention_ids=ids)
    curated = store.curated_out(conn, mention_ids=ids) if rematch else set()
    matchers = [m for m in context.matchers if brand_id is None or m.id == brand_id]
    considered = {m.id for m in matchers}
    for row in rows:
        linked = current.get(row["id"], set())
        if rematch:
            doc = document_of_tokens(tokenize(row["search_text"]), lang=row["lang"])
            url = row["canonical_url"] or row["url"]
            wanted = {
                m.id: m.query.matched_terms(doc)
                for m in matchers
                if (row["id"], m.id) not in curated and m.matches(doc, author=row["author"], url=url)
            }
            gone = (linked & considered) - set(wanted)
            new = {b: t for b, t in wanted.items() if b not in linked}
            report.links_removed += store.unlink(conn, mention_id=row["id"], brand_ids=gone)
            store.link(conn, mention_id=row["id"], terms=new)
            report.links_added += len(new)
            for b in gone | set(new):
                touched[b].append(row["published_at"])
            linked = (linked - gone) | set(new)
        if rescore and _rescore(conn, context, row):
            report.rescored += 1
            for b in linked:
                touched[b].append(row["published_at"])
    for b, times in touched.items():
        store.recount(conn, brand_ids=[b], published_at=times)
    return report


def _score(scorer: Any, row: dict[str, Any]) -> Any:
    return scorer.score(
        row["text"],
        title=row["title"],
        lang=row["lang"],
        author_reach=row["author_reach"],
        engagement=row["engagement"],
    )


def _rescore(conn: sa.Connection, context: IngestContext, row: dict[str, Any]) -> bool:
    scored = _score(context.scorer, row)
    values = {
        "sentiment_compound": scored.sentiment_compound,
        "sentiment_label": row["sentiment_manual"] or scored.sentiment_label,
        "complaint": scored.complaint,
        "risk": scored.risk,
        "scores": scored.reasons,
    }
    if all(row[k] == v for k, v in values.items()):
        return False
    store.update_scores(conn, mention_id=row["id"], values=values)
    return True
