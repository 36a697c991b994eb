"""Identity of a mention: a canonical URL and a content hash, the two unique keys behind deduplication.

A mention seen through two feeds (with different tracking parameters, or once over http and once over
https) must be stored once; the same short text posted by two different people must be stored twice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import SplitResult, quote, urlsplit

from app.query import normalize_text, tokenize

# Query parameters that say how a reader arrived, never which page it is. Compared lower-case.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid",
        "_hsenc", "_hsmi", "mkt_tok", "ref", "ref_src", "ref_url", "cmpid", "xtor", "at_medium",
        "at_campaign", "ocid", "spm", "s_kwcid", "twclid", "__twitter_impression", "ito", "wt_mc",
    }
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are when re-quoting: RFC 3986 reserved and unreserved characters, and '%'
# (existing escapes are normalised separately). Everything else (spaces, non-ASCII) is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Below this many characters of normalised content, a text is too common to identify a mention alone.
SHORT_CONTENT_CHARS = 48


def _normalize_escapes(part: str, safe: str) -> str:
    """Percent-encode unsafe characters, upper-case escapes, and decode escaped unreserved characters."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _ESCAPE_RE.sub(fix, quote(part, safe=safe))


def _remove_dot_segments(path: str) -> str:
    """Resolve `.` and `..` segments (RFC 3986, section 5.2.4) so `/a/./b/../c` becomes `/a/c`."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for segment in segments[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if segments[-1] in (".", ".."):
        output.append("")  # '/a/b/..' is the directory '/a/', trailing slash kept
    return "/" + "/".join(output)


def _is_tracking(key: str, value: str) -> bool:
    lowered = key.lower()
    if lowered.startswith("utm_") or lowered in _TRACKING_PARAMS:
        return True
    return lowered == "amp" and value == ""  # '?amp' marks the AMP rendering of the same page


def _canonical_query(query: str) -> str:
    """Drop empty pairs and tracking parameters; sort by key, keeping the order of repeated keys."""
    pairs: list[tuple[str, str]] = []
    for pair in query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if not _is_tracking(key, value):
            pairs.append((_normalize_escapes(key, _QUERY_SAFE), pair))
    pairs.sort(key=lambda item: item[0])  # stable: repeated keys keep their order
    return "&".join(_normalize_escapes(pair, _QUERY_SAFE) for _, pair in pairs)


def _canonical_netloc(scheme: str, parts: SplitResult) -> str | None:
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return None
    try:
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return host
    return f"{host}:{port}"


def canonical_url(url: str | None) -> str | None:
    """The identity of a web page: https scheme, lower-case host, no default port, fragment, credentials
    or tracking parameters, sorted query; None when the URL is missing or not http(s).

    http and https are treated as the same page (the scheme is always written `https`), because sites
    and feeds mix both for one article; user:password@ is dropped so that credentials are never stored.
    """
    if not url or not url.strip():
        return None
    url = url.strip()
    scheme, sep, _ = url.partition(":")
    scheme = scheme.lower()
    if not sep or scheme not in _DEFAULT_PORTS:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    netloc = _canonical_netloc(scheme, parts)
    if netloc is None:
        return None
    path = _remove_dot_segments(_normalize_escapes(parts.path or "/", _PATH_SAFE))
    query = _canonical_query(parts.query)
    return f"https://{netloc}{path}" + (f"?{query}" if query else "")


def _normalized_words(text: str) -> str:
    return " ".join(tokenize(normalize_text(text)))


def content_hash(title: str, text: str, author: str | None) -> str | None:
    """A stable sha256 (hex) of the normalised title and text; short texts also hash the author, and get
    None without one (a bare "Merci SNCF !" cannot identify a mention across sources)."""
    content = " ".join(part for part in (_normalized_words(title), _normalized_words(text)) if part)
    return _content_digest(content, author)


def content_hash_of_words(words: Iterable[str], author: str | None) -> str | None:
    """`content_hash` for a caller that already has the words: the tokens of the normalised title and text
    joined by a line break (`content_hash` takes the same words, since a token never spans a line break)."""
    return _content_digest(" ".join(words), author)


def _content_digest(content: str, author: str | None) -> str | None:
    if not content:
        return None  # nothing to compare: two empty posts are not the same mention
    payload = f"v1\x1f{content}"
    if len(content) < SHORT_CONTENT_CHARS:
        who = _normalized_words(author or "")
        if not who:
            return None
        payload = f"{payload}\x1f{who}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
