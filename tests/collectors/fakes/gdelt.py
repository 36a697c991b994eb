"""A faithful fake of the GDELT DOC 2.0 API in `artlist` mode: date window, sort, maxrecords, sourcelang, and
GDELT's habit of answering errors as plain text with status 200 (content type text/html)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.fakeapi import FakeService, Reply, Request

RATE_LIMITED = b"Please limit requests to one every 5 seconds or contact kalev.leetaru5@gmail.com for larger queries.\n"
_OPERATOR = re.compile(r"\b(sourcelang|sourcecountry|domain|domainis|theme):(\S+)", re.I)
_PHRASE = re.compile(r'"([^"]*)"')


def text_error(message: bytes, status: int = 200) -> Reply:
    """An error the way GDELT sends it: plain text, labelled text/html, usually with status 200."""
    return Reply.raw(message, "text/html; charset=utf-8", status=status)


def rate_limited(status: int = 200) -> Reply:
    """GDELT's answer to a request sooner than 5 s after the previous one (200, or 429 lately; no Retry-After)."""
    return text_error(RATE_LIMITED, status)


class GdeltFake(FakeService):
    """Articles are kept newest first; `add_article` publishes one (as the next poll would see it).

    `min_interval`: seconds GDELT wants between two requests; sooner ones get the rate-limit text (0: off),
    measured with `clock` (a test's fake clock, or the real one).
    """

    def __init__(self, min_interval: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.articles: list[dict[str, Any]] = []
        self.min_interval = min_interval
        self.clock = clock
        self._last_request: float | None = None
        self._next = 0

    def add_article(
        self,
        title: str,
        *,
        at: int | None = None,
        language: str = "English",
        domain: str = "news.example",
        country: str = "United States",
        url: str | None = None,
    ) -> dict[str, Any]:
        """Publish an article seen at `at` (epoch seconds, default now); returns it."""
        self._next += 1
        at = at if at is not None else int(time.time())
        url = url or f"https://www.{domain}/article/{self._next}"
        article = {
            "url": url,
            "url_mobile": "",
            "title": title,
            "seendate": datetime.fromtimestamp(at, UTC).strftime("%Y%m%dT%H%M%SZ"),
            "socialimage": "",
            "domain": domain,
            "language": language,
            "sourcecountry": country,
        }
        self.articles.append(article)
        self.articles.sort(key=lambda a: a["seendate"], reverse=True)
        return article

    def handle(self, request: Request) -> Reply:
        """GET /api/v2/doc/doc like GDELT answers it."""
        if request.path != "/api/v2/doc/doc":
            return Reply.raw(b"<html><body><h1>404 Not Found</h1></body></html>", "text/html", status=404)
        now = self.clock()
        too_soon = self._last_request is not None and now - self._last_request < self.min_interval
        self._last_request = now
        if too_soon:
            return rate_limited()
        if (request.arg("mode") or "").lower() != "artlist" or request.arg("format") != "json":
            return text_error(b"Invalid mode or format.\n")
        query = request.arg("query") or ""
        problem = _query_problem(query)
        if problem:
            return text_error(problem)
        start, end = _when(request.arg("startdatetime")), _when(request.arg("enddatetime"))
        if start is not None and end is not None and end - start < 3600:
            return text_error(b"Timespan is too short.\n")
        wanted = {m.group(1).lower(): m.group(2).lower() for m in _OPERATOR.finditer(query)}
        words = _OPERATOR.sub(" ", query).lower()
        terms = [t for t in re.split(r'[()"\s]+|\bor\b', words) if t]
        limit = min(int(request.arg("maxrecords") or 75), 250)
        selected = []
        for article in self.articles:
            seen = _when(article["seendate"].replace("T", "").replace("Z", ""))
            if start is not None and seen is not None and seen < start:
                continue
            if end is not None and seen is not None and seen >= end:
                continue
            if "sourcelang" in wanted and article["language"].lower() != wanted["sourcelang"]:
                continue
            if "sourcecountry" in wanted and wanted["sourcecountry"] not in _country_names(article["sourcecountry"]):
                continue
            if terms and not any(t in article["title"].lower() for t in terms):
                continue
            selected.append(article)
        if not selected:
            return Reply.raw(b"{}", "application/json; charset=utf-8")
        # GDELT's own layout: one line, spaces around every member.
        items = ", ".join("{ " + json.dumps(a, ensure_ascii=False)[1:-1] + " }" for a in selected[:limit])
        return Reply.raw(f'{{"articles": [ {items} ] }}'.encode(), "application/json; charset=utf-8")


_FIPS = {"france": "fr", "united states": "us", "united kingdom": "uk", "japan": "ja", "germany": "gm"}


def _country_names(country: str) -> set[str]:
    """What `sourcecountry:` accepts for a country: its name without spaces, or its FIPS code."""
    name = country.lower()
    return {name.replace(" ", ""), _FIPS.get(name, "")} - {""}


def _query_problem(query: str) -> bytes | None:
    if not query.strip():
        return b"The query was empty.\n"
    if any(len(p.strip()) < 5 for p in _PHRASE.findall(query)):
        return b"The specified phrase is too short.\n"
    depth, outside = 0, []
    for char in query:
        depth += char == "("
        outside.append(char if depth == 0 else " ")
        depth -= char == ")" and depth > 0
    if re.search(r"\bOR\b", "".join(outside)):
        return b"Queries containing OR'd terms must be surrounded by ().\n"
    return None


def _when(value: str | None) -> int | None:
    if not value or len(value) != 14 or not value.isdigit():
        return None
    return int(datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC).timestamp())
