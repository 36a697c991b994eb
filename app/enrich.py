"""The scoring step of the pipeline: one Scorer per workspace context (languages, crisis terms, brand names)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from alerts.scoring import Scorer, ScoringContext

DEFAULT_LANGUAGES = ("fr", "en")


@lru_cache(maxsize=64)
def scorer_for(context: ScoringContext) -> Scorer:
    """The Scorer of a context, kept across batches so its cache of identical texts (reposts) lives on."""
    return Scorer(context)


def scoring_context(workspace: dict[str, Any], brands: list[dict[str, Any]]) -> ScoringContext:
    """The scoring context of a workspace: the languages its brands watch, its terms, its brand names."""
    watched = {lang for b in brands for lang in (b["languages"] or [])}
    if not watched or any(not b["languages"] for b in brands):
        watched |= set(DEFAULT_LANGUAGES)  # a brand that watches every language: detect at least fr and en
    watched.add(workspace["language"])
    return ScoringContext(
        languages=tuple(sorted(watched)),
        crisis_terms=tuple(workspace["crisis_terms"] or ()),
        ignored_terms=tuple(workspace["ignored_terms"] or ()),
        brand_handles=tuple(sorted({b["name"].lower() for b in brands})),
    )
