"""Per-brand blocklists: mentions by an author, from a domain or holding a term are not linked to the brand.

Pure: entries are normalised here (so that "@Spam_Bot ", "spam_bot" and "SPAM_BOT" are one entry), and a
`Blocklist` answers whether a mention is blocked. The storage is app.storage.curation; the pipeline and
re-matching apply it next to the brand's query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from app.query import MatchDocument, Query, QueryError, brand_matches, normalize_text, parse_query

BlockKind = Literal["author", "domain", "term"]
BLOCK_KINDS: tuple[BlockKind, ...] = ("author", "domain", "term")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")


def normalize_entry(kind: str, value: str) -> str:
    """The stored form of an entry; ValueError saying what is wrong with it."""
    text = (value or "").strip()
    if not text:
        raise ValueError(f"an empty {kind} cannot be blocked")
    if kind == "author":
        return text.lstrip("@").casefold()[:300]
    if kind == "domain":
        host = urlsplit(text).hostname if "://" in text else text.split("/", 1)[0]
        host = (host or "").lower().rstrip(".").removeprefix("www.")
        if not _DOMAIN.match(host):
            raise ValueError(f"{value!r} is not a domain name (e.g. spam-site.example)")
        return host
    if kind == "term":
        term = normalize_text(text.replace('"', " ")).strip()
        term = " ".join(term.split())
        if not term:
            raise ValueError(f"the term {value!r} has no word in it")
        return term[:300]
    raise ValueError(f"unknown blocklist kind {kind!r}; use one of {', '.join(BLOCK_KINDS)}")


def domain_of(url: str | None) -> str | None:
    """The host of a URL without 'www.', lower-case; None when there is none."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".").removeprefix("www.") if host else None


@dataclass(frozen=True, slots=True)
class Blocklist:
    """A brand's blocked authors, domains (sub-domains included) and terms (matched as phrases)."""

    authors: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    terms: Query | None = None

    @classmethod
    def of(cls, entries: list[tuple[str, str]]) -> Blocklist | None:
        """A blocklist from (kind, normalised value) pairs; None when there is none."""
        if not entries:
            return None
        authors = frozenset(v for k, v in entries if k == "author")
        domains = frozenset(v for k, v in entries if k == "domain")
        phrases = [v for k, v in entries if k == "term"]
        terms = None
        if phrases:
            try:
                terms = parse_query(" OR ".join(f'"{p}"' for p in phrases))
            except QueryError:  # a stored term always parses as a phrase; never let one break ingest
                terms = None
        return cls(authors, domains, terms)

    def blocks(self, *, author: str | None, url: str | None, doc: MatchDocument) -> str | None:
        """Why the mention is blocked ('author spam_bot'), or None when it is not."""
        if author and self.authors:
            name = author.strip().lstrip("@").casefold()
            if name in self.authors:
                return f"author {name}"
        if self.domains:
            host = domain_of(url)
            while host:
                if host in self.domains:
                    return f"domain {host}"
                _, _, host = host.partition(".")
                if "." not in host:
                    break
        if self.terms is not None and brand_matches(self.terms, doc, None):
            return "term " + ", ".join(self.terms.matched_terms(doc))
        return None
