"""Acknowledge links: genuine ones read back; forged, cut, expired ones are refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.acklinks import AckLinkError, make_token, read_token

NOW = datetime(2026, 11, 22, 22, 0, tzinfo=UTC)
KEY = b"k" * 32


def test_a_genuine_link_names_its_incident_until_it_expires() -> None:
    token = make_token(KEY, incident_id=42, now=NOW, valid=timedelta(hours=24))
    claim = read_token(KEY, token, now=NOW + timedelta(hours=23))
    assert claim.incident_id == 42 and claim.expires_at == NOW + timedelta(hours=24) and claim.nonce
    with pytest.raises(AckLinkError, match="expired"):
        read_token(KEY, token, now=NOW + timedelta(hours=24, seconds=1))


def test_links_are_unique_and_cannot_be_forged_or_cut() -> None:
    a, b = (make_token(KEY, incident_id=7, now=NOW, valid=timedelta(hours=1)) for _ in range(2))
    assert a != b  # each message gets its own nonce
    claim, signature = a.split(".")
    other = make_token(KEY, incident_id=8, now=NOW, valid=timedelta(hours=1)).split(".")[0]
    with pytest.raises(AckLinkError, match="signature"):
        read_token(KEY, f"{other}.{signature}", now=NOW)  # another incident's claim with this signature
    with pytest.raises(AckLinkError, match="signature"):
        read_token(b"another key" * 3, a, now=NOW)
    with pytest.raises(AckLinkError, match="not a Vigie acknowledge link"):
        read_token(KEY, a[: len(a) // 2], now=NOW)
    with pytest.raises(AckLinkError, match="not a Vigie acknowledge link"):
        read_token(KEY, "", now=NOW)
