"""Acknowledge links: signed, expiring, single-use tokens that acknowledge one incident from a phone.

    token = base64url("<incident id>.<expiry epoch>.<nonce>") + "." + base64url(HMAC-SHA256(key, that))

The key is VIGIE_SECRET_KEY, or one Vigie makes on first use and keeps in the database (so that every API
replica verifies the links every alert worker signs). A used nonce is recorded: a second use is refused.
Opening the link shows a confirmation page; only its button (a POST) acknowledges, because chat apps and
mail scanners open links on their own to preview them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.settings import Settings
from app.storage.delivery import instance_secret


class AckLinkError(ValueError):
    """A link that cannot acknowledge: malformed, forged, expired or already used (the message says which)."""


@dataclass(frozen=True, slots=True)
class AckClaim:
    incident_id: int
    expires_at: datetime
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(conn: sa.Connection, settings: Settings) -> bytes:
    """The key of acknowledge links: the configured one, else the instance's own."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    return instance_secret(conn, name="ack_links", make=lambda: secrets.token_urlsafe(32)).encode()


def make_token(key: bytes, *, incident_id: int, now: datetime, valid: timedelta) -> str:
    """A token acknowledging `incident_id`, valid for `valid` from `now`."""
    claim = f"{incident_id}.{int((now + valid).timestamp())}.{secrets.token_urlsafe(12)}".encode()
    return f"{_b64(claim)}.{_b64(hmac.new(key, claim, hashlib.sha256).digest())}"


def read_token(key: bytes, token: str, *, now: datetime) -> AckClaim:
    """The claim of a genuine, unexpired token; AckLinkError otherwise (single use is checked on use)."""
    try:
        claim_part, signature = token.split(".")
        claim = _unb64(claim_part)
        incident, expires, nonce = claim.decode("ascii").split(".")
        claim_of = AckClaim(int(incident), datetime.fromtimestamp(int(expires), UTC), nonce)
        genuine = hmac.compare_digest(_unb64(signature), hmac.new(key, claim, hashlib.sha256).digest())
    except (ValueError, UnicodeError):
        raise AckLinkError("this link is not a Vigie acknowledge link (it may have been cut)") from None
    if not genuine:
        raise AckLinkError("this link's signature is not valid")
    if claim_of.expires_at <= now:
        raise AckLinkError("this link has expired; acknowledge from the incident page or the API")
    return claim_of
