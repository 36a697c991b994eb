"""Signed webhooks: what a receiver gets verifies with the Standard Webhooks library, through secret rotation."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from alerts.delivery.message import EVENTS, TEST_EVENT, IncidentMessage, MentionView
from alerts.delivery.webhook import (
    SCHEMA_VERSION,
    build_payload,
    build_request,
    generate_secret,
    sign,
)

OPENED = datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
LONG_THREAD = (
    "Trois semaines que j'attends le remboursement de ma commande annulée. Le service client ne répond plus, "
    "le chat renvoie vers la FAQ et la hotline raccroche. "
) * 12


def french_storm_message(**changes: object) -> IncidentMessage:
    """A French complaint storm about a brand, as the app would build it for its first notification."""
    mentions = (
        MentionView(
            title="Arnaque ? Toujours pas remboursé 😡",
            text=LONG_THREAD,
            url="https://mastodon.example/@claire/112233",
            author="Claire Lefèvre",
            author_reach=15_000,
            sentiment="negative",
            risk=91,
            published_at=OPENED - timedelta(minutes=2),
            source_name="Mastodon",
        ),
        MentionView(
            title="Livraison « express » : 12 jours…",
            text="Franchement déçue, colis abîmé et aucune réponse. Je ne recommande pas 👎",
            url=None,
            author=None,
            author_reach=None,
            sentiment="negative",
            risk=64,
            published_at=OPENED - timedelta(minutes=9),
        ),
    )
    message = IncidentMessage(
        message_id="msg_42_1",
        event="incident.opened",
        reason="first",
        language="fr",
        workspace_name="Service client",
        brand_name="Maison Dupont",
        incident_id=42,
        kind="storm",
        severity="critical",
        status="open",
        score=87,
        peak_score=87,
        mention_count=36,
        peak_rate=24.0,
        explanation="36 mentions négatives en 2 h, dont « remboursement » et « arnaque ».",
        opened_at=OPENED,
        updated_at=OPENED + timedelta(minutes=15),
        incident_url="https://vigie.example/incidents/42",
        ack_url="https://vigie.example/ack/42?token=signed-single-use",
        top_mentions=mentions,
        top_terms=(("remboursement", 12), ("arnaque", 7)),
        sentiment_split={"negative": 30, "neutral": 5, "positive": 1},
    )
    return replace(message, **changes)  # type: ignore[arg-type]


def _now() -> datetime:
    # Receivers reject timestamps more than 5 minutes from their clock, so signed requests use the real time.
    return datetime.now(UTC)


def test_a_receiver_verifies_the_signed_notification_and_reads_the_event() -> None:
    secret = generate_secret()
    body, headers = build_request(french_storm_message(), [secret], _now())

    event = Webhook(secret).verify(body, headers)

    assert event["type"] == "incident.opened"
    assert event["data"]["incident"]["brand"] == "Maison Dupont"
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Vigie-Webhooks/1"


def test_during_rotation_a_receiver_with_only_the_old_or_only_the_new_secret_verifies() -> None:
    old, new, unrelated = generate_secret(), generate_secret(), generate_secret()
    body, headers = build_request(french_storm_message(), [old, new], _now())

    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(body, headers)["data"]["incident"]["id"] == 42
    assert Webhook(new).verify(body, headers)["data"]["incident"]["id"] == 42
    with pytest.raises(WebhookVerificationError):
        Webhook(unrelated).verify(body, headers)


def test_a_tampered_body_or_a_replayed_id_does_not_verify() -> None:
    secret = generate_secret()
    body, headers = build_request(french_storm_message(), [secret], _now())

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b'"score":87', b'"score":12'), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**headers, "webhook-id": "msg_43_1"})


def test_french_accents_and_emoji_are_sent_as_utf8_and_verify() -> None:
    secret = generate_secret()
    body, headers = build_request(french_storm_message(), [secret], _now())

    assert "Toujours pas remboursé 😡".encode() in body  # raw UTF-8, not \\u escapes
    assert b"\n" not in body and b'", "' not in body  # compact JSON
    event = Webhook(secret).verify(body, headers)
    assert event["data"]["incident"]["top_mentions"][1]["text"].endswith("Je ne recommande pas 👎")


def test_a_lone_surrogate_in_a_mention_is_replaced_and_the_body_still_verifies() -> None:
    broken = MentionView("Avis", "texte mal décodé \ud83d fin", None, None, None, "negative", 50, OPENED)
    secret = generate_secret()
    body, headers = build_request(french_storm_message(top_mentions=(broken,)), [secret], _now())

    event = Webhook(secret).verify(body, headers)
    assert event["data"]["incident"]["top_mentions"][0]["text"] == "texte mal décodé ? fin"


def test_retries_keep_the_webhook_id_and_sign_a_fresh_timestamp() -> None:
    message = french_storm_message()
    first = _now()
    _, headers_1 = build_request(message, [generate_secret()], first)
    _, headers_2 = build_request(message, [generate_secret()], first + timedelta(seconds=90))

    assert headers_1["webhook-id"] == headers_2["webhook-id"] == "msg_42_1"
    assert int(headers_2["webhook-timestamp"]) - int(headers_1["webhook-timestamp"]) == 90
    assert headers_1["webhook-timestamp"] == str(int(first.timestamp()))


def test_an_attempt_time_in_another_zone_signs_the_same_instant() -> None:
    # standardwebhooks replaces the tzinfo instead of converting: Paris time must be converted first.
    secret = generate_secret()
    paris = timezone(timedelta(hours=2))
    now = _now()
    body, headers = build_request(french_storm_message(), [secret], now.astimezone(paris))

    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert Webhook(secret).verify(body, headers)


def test_signing_refuses_a_naive_time_and_an_empty_secret_list() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign([generate_secret()], "msg_1", datetime(2024, 5, 2, 8, 0), "{}")
    with pytest.raises(ValueError, match="at least one"):
        sign([], "msg_1", OPENED, "{}")


def test_sign_matches_the_reference_signature_of_each_secret() -> None:
    secrets = [generate_secret(), generate_secret()]
    value = sign(secrets, "msg_1", OPENED, '{"a":1}')

    assert value.split(" ") == [Webhook(s).sign("msg_1", OPENED, '{"a":1}') for s in secrets]


def test_generated_secrets_are_32_random_bytes_behind_the_whsec_prefix() -> None:
    first, second = generate_secret(), generate_secret()

    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_the_payload_follows_schema_version_1() -> None:
    payload = build_payload(french_storm_message())
    incident = payload["data"]["incident"]

    assert payload["schema_version"] == SCHEMA_VERSION == 1
    assert payload["timestamp"] == "2024-05-02T08:15:00Z"
    assert payload["data"]["notification"] == {"reason": "first", "escalation_step": 0, "language": "fr"}
    assert payload["data"]["workspace"] == {"name": "Service client"}
    assert incident["opened_at"] == "2024-05-02T08:00:00Z" and incident["resolved_at"] is None
    assert incident["top_terms"] == [{"term": "remboursement", "count": 12}, {"term": "arnaque", "count": 7}]
    assert incident["sentiment_split"] == {"negative": 30, "neutral": 5, "positive": 1}
    assert incident["ack_url"] == "https://vigie.example/ack/42?token=signed-single-use"
    first = incident["top_mentions"][0]
    assert first["source"] == "Mastodon" and first["published_at"] == "2024-05-02T07:58:00Z"
    assert len(first["text"]) == 1000 and first["text"].endswith("…")
    assert json.loads(json.dumps(payload)) == payload


def test_a_resolved_incident_from_sqlite_naive_times_reads_as_utc() -> None:
    message = french_storm_message(
        event="incident.resolved",
        reason="resolved",
        status="resolved",
        resolution="handled",
        ack_url=None,
        resolved_at=datetime(2024, 5, 2, 11, 30),  # naive, as SQLite returns it
        peak_rate=float("nan"),
    )
    incident = build_payload(message)["data"]["incident"]

    assert incident["resolved_at"] == "2024-05-02T11:30:00Z"
    assert incident["resolution"] == "handled" and incident["ack_url"] is None
    assert incident["peak_rate"] is None  # NaN is not JSON


@pytest.mark.parametrize("event", [*EVENTS, TEST_EVENT])
def test_every_event_type_is_sent_as_its_type(event: str) -> None:
    assert build_payload(french_storm_message(event=event))["type"] == event
