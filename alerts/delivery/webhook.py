"""Signed webhooks (Standard Webhooks): the event JSON Vigie POSTs to a webhook channel, and its headers.

## Requests

Each notification is one `POST` with a compact UTF-8 JSON body and these headers, as defined by
[Standard Webhooks](https://www.standardwebhooks.com/):

| header | value |
|---|---|
| `content-type` | `application/json` |
| `user-agent` | `Vigie-Webhooks/1` |
| `webhook-id` | the message id, e.g. `msg_42_...`; **the same on every retry** of one notification: deduplicate on it |
| `webhook-timestamp` | Unix seconds of this attempt (a fresh value on each retry, as the spec requires) |
| `webhook-signature` | `v1,<base64 HMAC-SHA256>`, one per active secret, separated by a space |

The signature is HMAC-SHA256, keyed with the base64-decoded part of the `whsec_...` secret, over
`{webhook-id}.{webhook-timestamp}.{body}`. Any Standard Webhooks library verifies it, e.g. in Python
`standardwebhooks.Webhook(secret).verify(body, headers)`, which also rejects timestamps more than 5 minutes
away. While a secret is being rotated, both the old and the new secret sign every request, so a receiver
holding either one verifies. Answer with a 2xx. 408, 429 and 5xx are retried with backoff (a `Retry-After`
is honoured), 410 disables the channel, and redirects and other 4xx fail at once: the admin is told.

## Event types

- `incident.opened`: a new incident (storm of negative mentions, high-risk mention, mentions stopped arriving).
- `incident.updated`: the storm grew (`notification.reason` = `"update"`), or a reminder of an
  unacknowledged incident (`"reminder"`).
- `incident.escalated`: the severity went up (`"severity"`), or an escalation step reaches new people
  (`"escalation"`, with `notification.escalation_step`).
- `incident.acknowledged`: someone took the incident in hand.
- `incident.resolved`: the incident is over (`incident.resolution` says how).
- `vigie.test`: a sample incident sent by `POST /channels/{id}/test`; ignore it beyond checking your setup.
- `vigie.digest`: the daily digest (`data` holds the period, per-brand volume and sentiment against the
  usual, the incidents opened, the count resolved and the failed deliveries).

## Body (`schema_version` 1)

```json
{
  "type": "incident.opened",
  "timestamp": "2024-05-02T08:15:00Z",
  "schema_version": 1,
  "data": {
    "incident": {
      "id": 42, "kind": "storm", "status": "open", "severity": "critical",
      "score": 87, "peak_score": 87, "mention_count": 36, "peak_rate": 24.0,
      "explanation": "36 mentions négatives en 2 h ...",
      "opened_at": "2024-05-02T08:00:00Z", "updated_at": "2024-05-02T08:15:00Z",
      "resolved_at": null, "resolution": null, "acknowledged_by": null,
      "brand": "Maison Dupont", "url": "https://vigie.example/incidents/42",
      "ack_url": "https://vigie.example/ack/...",
      "top_terms": [{"term": "remboursement", "count": 12}],
      "sentiment_split": {"negative": 30, "neutral": 5, "positive": 1},
      "top_mentions": [{
        "title": "...", "text": "... (at most 1,000 characters)", "url": "https://...",
        "author": "...", "author_reach": 15000, "sentiment": "negative", "risk": 91,
        "published_at": "2024-05-02T07:58:00Z", "source": "Mastodon"
      }]
    },
    "notification": {"reason": "first", "escalation_step": 0, "language": "fr"},
    "workspace": {"name": "Service client"}
  }
}
```

- `timestamp` is the incident's `updated_at`. Every datetime is ISO 8601 in UTC, to the second, ending
  in `Z`; `null` when not set.
- `kind`: `storm` | `high_risk_mention` | `silence`; `severity`: `info` | `warning` | `critical`;
  `status`: `open` | `acknowledged` | `resolved`; `resolution`: `auto` | `handled` | `false_positive` |
  `benign` | `null`.
- `notification.reason`: `first` | `update` | `severity` | `reminder` | `escalation` | `acknowledged` |
  `resolved` | `test`; `escalation_step` is 0 for the first contacts, then 1, 2...
- `ack_url` acknowledges this one incident (signed, single use, expiring); `null` once acknowledged.
- Mention titles and texts are third-party content: escape them before display.
- Fields may be added within a schema version; a removed or changed field bumps `schema_version`.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from secrets import token_bytes
from typing import Any

from standardwebhooks import Webhook

from alerts.delivery.message import IncidentMessage, MentionView

SCHEMA_VERSION = 1
USER_AGENT = "Vigie-Webhooks/1"
SECRET_PREFIX = "whsec_"
MENTION_TEXT_CHARS = 1000


def generate_secret() -> str:
    """A new signing secret: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(32)).decode("ascii")


def sign(secrets: Sequence[str], msg_id: str, timestamp: datetime, body: str) -> str:
    """The `webhook-signature` value: one `v1,<base64>` per secret, space-separated (old and new while rotating)."""
    if not secrets:
        raise ValueError("a webhook channel needs at least one signing secret")
    # standardwebhooks does timestamp.replace(tzinfo=utc): any other zone would sign the wrong instant.
    moment = _require_utc(timestamp)
    return " ".join(Webhook(secret).sign(msg_id, moment, body) for secret in secrets)


def build_payload(message: IncidentMessage) -> dict[str, Any]:
    """The versioned event JSON for one notification (schema in this module's docstring)."""
    return {
        "type": message.event,
        "timestamp": _iso(message.updated_at),
        "schema_version": SCHEMA_VERSION,
        "data": {
            "incident": _incident(message),
            "notification": {
                "reason": message.reason,
                "escalation_step": message.escalation_step,
                "language": message.language,
            },
            "workspace": {"name": message.workspace_name},
        },
    }


def build_request(message: IncidentMessage, secrets: Sequence[str], now: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt; `now` (UTC-aware) is the attempt time, signed anew on each retry."""
    text = json.dumps(build_payload(message), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # A lone surrogate from a badly decoded mention cannot be encoded: replace it, and sign exactly what is sent.
    body = text.encode("utf-8", errors="replace")
    moment = _require_utc(now)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message.message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": sign(secrets, message.message_id, moment, body.decode("utf-8")),
    }
    return body, headers


def _incident(message: IncidentMessage) -> dict[str, Any]:
    return {
        "id": message.incident_id,
        "kind": message.kind,
        "status": message.status,
        "severity": message.severity,
        "score": message.score,
        "peak_score": message.peak_score,
        "mention_count": message.mention_count,
        "peak_rate": _finite(message.peak_rate),
        "explanation": message.explanation,
        "opened_at": _iso(message.opened_at),
        "updated_at": _iso(message.updated_at),
        "resolved_at": _iso(message.resolved_at),
        "resolution": message.resolution,
        "acknowledged_by": message.acknowledged_by,
        "brand": message.brand_name,
        "url": message.incident_url,
        "ack_url": message.ack_url,
        "top_terms": [{"term": term, "count": count} for term, count in message.top_terms],
        "sentiment_split": dict(message.sentiment_split),
        "top_mentions": [_mention(mention) for mention in message.top_mentions],
    }


def _mention(mention: MentionView) -> dict[str, Any]:
    text = mention.text
    if len(text) > MENTION_TEXT_CHARS:
        text = text[: MENTION_TEXT_CHARS - 1] + "…"
    return {
        "title": mention.title,
        "text": text,
        "url": mention.url,
        "author": mention.author,
        "author_reach": mention.author_reach,
        "sentiment": mention.sentiment,
        "risk": mention.risk,
        "published_at": _iso(mention.published_at),
        "source": mention.source_name,
    }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    # Naive datetimes come from SQLite, where Vigie stores UTC.
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _finite(value: float | None) -> float | None:
    # NaN and infinity are not JSON: a receiver's parser would reject the whole event.
    return value if value is not None and math.isfinite(value) else None


def _require_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("webhook timestamps must be timezone-aware (UTC)")
    return moment.astimezone(UTC)
