"""The ingest pipeline: how a batch of mention drafts becomes stored, matched, scored mentions.

Order: prepare (clean keys) → dedup (in batch, then against the store) → language → match brands
→ score (sentiment, complaint, crisis risk) → store. Language comes before matching because brand queries
may filter on it; dedup comes first so that re-polled items cost one indexed look-up and no scoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from alerts.scoring import Scorer
from app.blocklist import Blocklist
from app.dedup import canonical_url, content_hash_of_words
from app.enrich import scorer_for, scoring_context
from app.metrics import SCORING_SECONDS
from app.query import MatchDocument, Query, brand_matches, document_of_tokens, normalize_text, parse_query, tokenize
from app.storage.brands import list_brands
from app.storage.curation import blocklist_entries
from app.storage.mentions import existing_keys, insert_mentions
from app.storage.workspaces import get_workspace_by_id
from collectors.base import MentionDraft

MAX_TEXT_CHARS = 20_000  # a mention is a post or an article summary; longer bodies are cut
MAX_TITLE_CHARS = 1_000


@dataclass(frozen=True, slots=True)
class BrandMatcher:
    """A brand's compiled query, ready to test many mentions."""

    id: int
    name: str
    query: Query
    languages: list[str]
    blocklist: Blocklist | None = None

    def matches(self, doc: MatchDocument, *, author: str | None, url: str | None) -> bool:
        """The brand's query matches and its blocklist does not block the mention."""
        if not brand_matches(self.query, doc, self.languages):
            return False
        return self.blocklist is None or self.blocklist.blocks(author=author, url=url, doc=doc) is None


@dataclass(slots=True)
class IngestReport:
    """Counts of one pipeline run, and the ids of the mentions it stored."""

    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    unmatched: int = 0
    mention_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Candidate:
    draft: MentionDraft
    canonical_url: str | None
    content_hash: str | None
    search_text: str  # title and text normalised once, for the hash, the matching and the search column
    tokens: list[str]


@dataclass(frozen=True, slots=True)
class IngestContext:
    """What ingesting into one workspace needs: its compiled brand queries and its scorer."""

    matchers: list[BrandMatcher]
    scorer: Scorer


def load_ingest_context(conn: sa.Connection, *, workspace_id: int) -> IngestContext:
    """Compile the workspace's brand queries (validated when saved) and get its scorer."""
    brands = list_brands(conn, workspace_id=workspace_id)
    blocks = blocklist_entries(conn, workspace_id=workspace_id)
    matchers = [
        BrandMatcher(
            b["id"],
            b["name"],
            parse_query(b["query"]),
            list(b["languages"] or []),
            Blocklist.of(blocks.get(b["id"], [])),
        )
        for b in brands
    ]
    workspace = get_workspace_by_id(conn, workspace_id=workspace_id)
    return IngestContext(matchers=matchers, scorer=scorer_for(scoring_context(workspace, brands)))


def _prepare(drafts: list[MentionDraft]) -> list[_Candidate]:
    out = []
    for d in drafts:
        d.title = (d.title or "")[:MAX_TITLE_CHARS]
        d.text = (d.text or "")[:MAX_TEXT_CHARS]
        search_text = normalize_text(f"{d.title}\n{d.text}")
        tokens = tokenize(search_text)
        out.append(_Candidate(d, canonical_url(d.url), content_hash_of_words(tokens, d.author), search_text, tokens))
    return out


def _drop_duplicates(
    conn: sa.Connection, candidates: list[_Candidate], *, workspace_id: int, source_id: int
) -> list[_Candidate]:
    seen_ids, seen_urls, seen_hashes = existing_keys(
        conn,
        workspace_id=workspace_id,
        source_id=source_id,
        external_ids=[c.draft.external_id for c in candidates],
        canonical_urls=[c.canonical_url for c in candidates],
        content_hashes=[c.content_hash for c in candidates],
    )
    fresh = []
    for c in candidates:
        keys = (c.draft.external_id in seen_ids, c.canonical_url in seen_urls, c.content_hash in seen_hashes)
        if any(keys):
            continue
        seen_ids.add(c.draft.external_id)
        if c.canonical_url:
            seen_urls.add(c.canonical_url)
        if c.content_hash:
            seen_hashes.add(c.content_hash)
        fresh.append(c)
    return fresh


def _row(c: _Candidate, *, workspace_id: int, source_id: int, lang: str | None, now: datetime) -> dict[str, Any]:
    d = c.draft
    return {
        "workspace_id": workspace_id,
        "source_id": source_id,
        "external_id": d.external_id[:512],
        "url": d.url,
        "canonical_url": c.canonical_url,
        "content_hash": c.content_hash,
        "title": d.title,
        "text": d.text,
        "search_text": c.search_text,
        "author": (d.author or None) and d.author[:300],
        "author_reach": d.author_reach,
        "engagement": d.engagement or {},
        "lang": lang,
        "published_at": d.published_at or now,
        "published_estimated": d.published_at is None,
        "fetched_at": now,
    }


def _scored(
    c: _Candidate, context: IngestContext, *, workspace_id: int, source_id: int, now: datetime
) -> tuple[dict[str, Any], dict[int, list[str]]] | None:
    """The row to store for a fresh candidate and the terms of each brand it matched; None if it matched none."""
    d = c.draft
    lang = context.scorer.detect_language(f"{d.title}\n{d.text}", d.lang, d.lang_reliable)
    doc = document_of_tokens(c.tokens, lang=lang)
    url = c.canonical_url or d.url
    terms = {m.id: m.query.matched_terms(doc) for m in context.matchers if m.matches(doc, author=d.author, url=url)}
    if not terms:
        return None
    scored = context.scorer.score(
        d.text, title=d.title, lang=lang, author_reach=d.author_reach, engagement=d.engagement
    )
    row = _row(c, workspace_id=workspace_id, source_id=source_id, lang=lang, now=now)
    row.update(
        sentiment_compound=scored.sentiment_compound,
        sentiment_label=scored.sentiment_label,
        complaint=scored.complaint,
        risk=scored.risk,
        scores=scored.reasons,
    )
    return row, terms


def ingest_drafts(
    conn: sa.Connection,
    *,
    workspace_id: int,
    source_id: int,
    drafts: list[MentionDraft],
    now: datetime,
    context: IngestContext | None = None,
) -> IngestReport:
    """Run drafts through dedup, language, matching and scoring, and store the new matched ones.

    `context` (brand queries, scorer) is loaded from the database when not given; pass it to reuse it.
    """
    context = context or load_ingest_context(conn, workspace_id=workspace_id)
    report = IngestReport(fetched=len(drafts))
    fresh = _drop_duplicates(conn, _prepare(drafts), workspace_id=workspace_id, source_id=source_id)
    report.duplicate = len(drafts) - len(fresh)
    rows, brand_terms = [], []
    with SCORING_SECONDS.time():
        for c in fresh:
            scored = _scored(c, context, workspace_id=workspace_id, source_id=source_id, now=now)
            if scored is None:
                report.unmatched += 1
                continue
            rows.append(scored[0])
            brand_terms.append(scored[1])
    # One multi-row INSERT for the batch: a statement per mention costs a round trip each on PostgreSQL.
    for mention_id in insert_mentions(conn, rows=rows, brand_terms=brand_terms):
        if mention_id is None:  # another worker stored the same mention a moment ago
            report.duplicate += 1
        else:
            report.new += 1
            report.mention_ids.append(mention_id)
    return report
