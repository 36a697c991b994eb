"""Mentions that come from outside a collector (API push, file import): validation into drafts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from collectors.base import MentionDraft


class MentionIn(BaseModel):
    """One pushed or imported mention. `text` (or `title`) is required; the rest is optional."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: str | None = Field(None, max_length=512, description="Your id; makes re-sending idempotent.")
    url: str | None = Field(None, max_length=2048)
    title: str = Field("", max_length=1000)
    text: str = Field("", max_length=20000)
    author: str | None = Field(None, max_length=300)
    author_reach: int | None = Field(None, ge=0, description="Followers/subscribers of the author, if known.")
    engagement: dict[str, int] = Field(default_factory=dict, description="Likes, shares, comments...")
    lang: str | None = Field(None, pattern=r"^[a-zA-Z]{2}([-_][a-zA-Z]{2})?$")
    published_at: datetime | None = Field(None, description="ISO 8601 with a time zone; default: now.")

    @field_validator("published_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("published_at needs a time zone, e.g. 2026-10-03T21:14:00+02:00 or ...Z")
        return value.astimezone(UTC) if value else None

    @model_validator(mode="after")
    def _has_content(self) -> MentionIn:
        if not self.text and not self.title:
            raise ValueError("a mention needs a 'text' (or at least a 'title')")
        return self

    def to_draft(self) -> MentionDraft:
        """The pipeline's draft; without an external id, the URL or the content stands for it."""
        key = self.external_id or self.url or _digest(self.author or "", self.title, self.text)
        return MentionDraft(
            external_id=key,
            url=self.url,
            title=self.title,
            text=self.text,
            author=self.author or None,
            author_reach=self.author_reach,
            engagement=dict(self.engagement),
            lang=self.lang.lower()[:2] if self.lang else None,
            lang_reliable=self.lang is not None,  # the sender said so explicitly
            published_at=self.published_at,
        )


def _digest(*parts: Any) -> str:
    return "sha256:" + hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()
