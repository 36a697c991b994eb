"""What an incident shows besides its score: the mentions, terms, sources and sentiment of its window.

Kept on the incident and refreshed at every evaluation while it is live, so that the feed, the messages
and the dashboard see how the storm is made: who says it, with which words, where, and how negatively.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from alerts.detection.series import CRISIS_RISK_FLOOR, MentionPoint

TOP = 5
TOP_TERMS = 10


def summarize_window(
    points: Sequence[MentionPoint],
    *,
    since: datetime,
    until: datetime,
    source_names: Mapping[int, str] | None = None,
) -> dict:
    """The incident summary of the mentions published in [since, until] (JSON-ready)."""
    t0, t1 = since.timestamp(), until.timestamp()
    window = [p for p in points if t0 <= p.published_at.timestamp() <= t1]
    split = Counter(p.sentiment or ("negative" if p.negative else "neutral") for p in window)
    terms: Counter = Counter()
    for p in window:
        if p.crisis_terms and (p.negative or p.risk >= CRISIS_RISK_FLOOR):
            terms.update(set(p.crisis_terms))
    by_source = Counter(p.source_id for p in window)
    names = source_names or {}
    by_reach = sorted(window, key=lambda p: (-(p.author_reach or 0), -p.risk, p.mention_id))
    by_risk = sorted(window, key=lambda p: (-p.risk, -(p.author_reach or 0), p.mention_id))
    return {
        "mentions": len(window),
        "authors": len({p.author for p in window if p.author}),
        "complaints": sum(p.complaint for p in window),
        "sentiment_split": {label: split.get(label, 0) for label in ("negative", "neutral", "positive")},
        "top_terms": [{"term": t, "mentions": n} for t, n in sorted(terms.items(), key=lambda x: (-x[1], x[0]))][
            :TOP_TERMS
        ],
        "sources": [
            {"source_id": s, "name": names.get(s), "mentions": n}
            for s, n in sorted(by_source.items(), key=lambda x: (-x[1], x[0]))[:TOP_TERMS]
        ],
        "top_by_reach": [_brief(p) for p in by_reach[:TOP] if p.author_reach],
        "top_by_risk": [_brief(p) for p in by_risk[:TOP] if p.risk],
    }


def _brief(p: MentionPoint) -> dict:
    return {"mention_id": p.mention_id, "author": p.author, "author_reach": p.author_reach, "risk": p.risk}
