"""Channels over HTTP: a webhook's signing secret is shown once and signs the test message; rotation keeps the
old secret valid for the overlap; URLs and secrets never come back; private addresses are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.api import create_app
from tests.api.conftest import bearer
from tests.receivers import Receiver

TOKEN = "T0KEN9zq7XsecretPath"  # a token in the URL path, as in a Slack incoming-webhook URL


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def strict_client(settings, engine, admin_key) -> Iterator[TestClient]:
    """A client whose Vigie refuses private addresses, as in production."""
    strict = settings.model_copy(update={"allow_private_urls": False})
    with TestClient(create_app(strict, engine), raise_server_exceptions=False, headers=bearer(admin_key)) as c:
        yield c


class Leaks:
    """Every channel answer, to check that none of them shows the URL's token or the signing secret."""

    def __init__(self, client: TestClient):
        self.client, self.texts = client, []

    def __call__(self, method: str, path: str, **kw) -> dict:
        response = self.client.request(method, path, **kw)
        self.texts.append(response.text)
        return response

    def assert_clean(self, *secrets: str) -> None:
        for text in self.texts:
            for secret in secrets:
                assert secret not in text and secret.removeprefix("whsec_") not in text


def _verify(secret: str, request) -> dict:
    return Webhook(secret).verify(request.body, request.headers)


def _webhook(client: TestClient, receiver: Receiver, name: str = "ops") -> dict:
    created = client.post(
        "/api/v1/channels", json={"name": name, "kind": "webhook", "url": receiver.url(f"/hooks/{TOKEN}")}
    )
    assert created.status_code == 201, created.text
    return created.json()


def test_a_webhook_secret_is_shown_once_and_signs_the_test_message(client: TestClient, receiver: Receiver) -> None:
    created = _webhook(client, receiver)
    secret = created["signing_secret"]
    assert secret.startswith("whsec_") and TOKEN not in str(created)
    assert created["config"] == {"target": f"http://127.0.0.1:{receiver.server.server_address[1]}/…"}
    call = Leaks(client)
    channel_id = created["id"]
    sent = call("POST", f"/api/v1/channels/{channel_id}/test").json()
    assert sent["outcome"] == "delivered" and sent["status_code"] == 200 and sent["error"] is None
    assert sent["latency_ms"] >= 0
    event = _verify(secret, receiver.requests[0])
    assert event["type"] == "vigie.test" and receiver.requests[0].path == f"/hooks/{TOKEN}"
    assert call("GET", "/api/v1/channels").json()[0]["name"] == "ops"
    shown = call("GET", f"/api/v1/channels/{channel_id}").json()
    assert "signing_secret" not in shown and set(shown) >= {"id", "kind", "enabled", "config", "created_at"}
    call("PATCH", f"/api/v1/channels/{channel_id}", json={"name": "ops-team"})
    assert (
        call("POST", "/api/v1/channels", json={"name": "ops-team", "kind": "slack", "url": "https://a.b/c"}).status_code
        == 409
    )
    bad = call("PATCH", f"/api/v1/channels/{channel_id}", json={"url": f"ftp://127.0.0.1/{TOKEN}"})
    assert bad.status_code == 422
    call.assert_clean(TOKEN, secret)


def test_after_a_rotation_both_secrets_verify_during_the_overlap(client: TestClient, receiver: Receiver) -> None:
    created = _webhook(client, receiver)
    old, channel_id = created["signing_secret"], created["id"]
    rotated = client.post(f"/api/v1/channels/{channel_id}/rotate-secret", json={"overlap_hours": 2})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["signing_secret"]
    assert new != old and rotated.json()["previous_valid_until"] is not None
    assert client.get(f"/api/v1/channels/{channel_id}").json()["rotation_ends_at"] is not None
    assert client.post(f"/api/v1/channels/{channel_id}/test").json()["outcome"] == "delivered"
    assert _verify(old, receiver.requests[-1]) and _verify(new, receiver.requests[-1])
    # Without a body the overlap is 24 hours; with overlap 0 the previous secret stops at once.
    assert client.post(f"/api/v1/channels/{channel_id}/rotate-secret").status_code == 200
    newest = client.post(f"/api/v1/channels/{channel_id}/rotate-secret", json={"overlap_hours": 0}).json()
    client.post(f"/api/v1/channels/{channel_id}/test")
    assert _verify(newest["signing_secret"], receiver.requests[-1])
    with pytest.raises(WebhookVerificationError):
        _verify(old, receiver.requests[-1])
    too_long = client.post(f"/api/v1/channels/{channel_id}/rotate-secret", json={"overlap_hours": 169})
    assert too_long.status_code == 422


def test_a_new_url_replaces_the_old_one_and_keeps_the_signing_secret(client: TestClient, receiver: Receiver) -> None:
    created = _webhook(client, receiver)
    moved = Receiver()
    try:
        patched = client.patch(f"/api/v1/channels/{created['id']}", json={"url": moved.url("/new")})
        assert patched.status_code == 200, patched.text
        assert patched.json()["config"]["target"].endswith(f":{moved.server.server_address[1]}/…")
        assert client.post(f"/api/v1/channels/{created['id']}/test").json()["outcome"] == "delivered"
        assert receiver.requests == [] and _verify(created["signing_secret"], moved.requests[0])
    finally:
        moved.close()


def test_a_failing_receiver_is_reported_not_raised(client: TestClient) -> None:
    down = Receiver(lambda n: (503, {"retry-after": "30"}))
    try:
        channel = _webhook(client, down)
        sent = client.post(f"/api/v1/channels/{channel['id']}/test")
        assert sent.status_code == 200
        body = sent.json()
        assert body["outcome"] == "retry" and body["status_code"] == 503 and "HTTP 503" in body["error"]
        assert TOKEN not in sent.text
    finally:
        down.close()


def test_slack_and_email_channels_show_no_secret(client: TestClient, receiver: Receiver) -> None:
    slack = client.post("/api/v1/channels", json={"name": "slack", "kind": "slack", "url": receiver.url(f"/s/{TOKEN}")})
    assert slack.status_code == 201 and slack.json()["signing_secret"] is None and TOKEN not in slack.text
    sent = client.post(f"/api/v1/channels/{slack.json()['id']}/test").json()
    assert sent["outcome"] == "delivered" and receiver.requests[0].json()["text"]
    mail = client.post("/api/v1/channels", json={"name": "astreinte", "kind": "email", "to": ["cm@example.fr"]})
    assert mail.status_code == 201 and mail.json()["config"] == {"to": ["cm@example.fr"]}
    wrong = client.post("/api/v1/channels", json={"name": "x", "kind": "email", "url": "https://example.com/h"})
    assert wrong.status_code == 422 and "email channel needs 'to'" in wrong.json()["detail"]
    rotate = client.post(f"/api/v1/channels/{mail.json()['id']}/rotate-secret")
    assert rotate.status_code == 409 and "only webhook channels" in rotate.json()["detail"]


def test_a_disabled_channel_cannot_be_tested(client: TestClient, receiver: Receiver) -> None:
    channel = _webhook(client, receiver)
    assert client.patch(f"/api/v1/channels/{channel['id']}", json={"enabled": False}).json()["enabled"] is False
    refused = client.post(f"/api/v1/channels/{channel['id']}/test")
    assert refused.status_code == 409 and "disabled" in refused.json()["detail"] and receiver.requests == []


@pytest.mark.parametrize(
    "url",
    [f"http://127.0.0.1/{TOKEN}", f"http://169.254.169.254/latest/meta-data?{TOKEN}", f"http://[::1]/{TOKEN}"],
)
def test_private_loopback_and_metadata_urls_are_refused(strict_client: TestClient, url: str) -> None:
    refused = strict_client.post("/api/v1/channels", json={"name": "evil", "kind": "webhook", "url": url})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "VIGIE_ALLOW_PRIVATE_URLS=true" in refused.json()["detail"] and TOKEN not in refused.text
    ok = strict_client.post("/api/v1/channels", json={"name": "ok", "kind": "slack", "url": "https://93.184.215.14/x"})
    assert ok.status_code == 201, ok.text
    moved = strict_client.patch(f"/api/v1/channels/{ok.json()['id']}", json={"url": url})
    assert moved.status_code == 422 and TOKEN not in moved.text
    assert strict_client.get("/api/v1/channels").json()[0]["config"]["target"] == "https://93.184.215.14/…"


def test_renaming_a_channel_follows_in_routes_and_deleting_a_used_one_is_refused(
    client: TestClient, receiver: Receiver
) -> None:
    channel = _webhook(client, receiver)
    route = client.post("/api/v1/routes", json={"name": "astreinte", "channels": ["ops"]}).json()
    client.patch("/api/v1/workspace", json={"alerting": {"digest_channels": ["ops"]}})
    renamed = client.patch(f"/api/v1/channels/{channel['id']}", json={"name": "ops-team"})
    assert renamed.status_code == 200, renamed.text
    assert client.get(f"/api/v1/routes/{route['id']}").json()["channels"] == ["ops-team"]
    assert client.get("/api/v1/workspace").json()["alerting"]["digest_channels"] == ["ops-team"]
    refused = client.delete(f"/api/v1/channels/{channel['id']}")
    assert refused.status_code == 409
    assert "route 'astreinte'" in refused.json()["detail"] and "digest" in refused.json()["detail"]
    client.delete(f"/api/v1/routes/{route['id']}")
    client.patch("/api/v1/workspace", json={"alerting": {"digest_channels": []}})
    assert client.delete(f"/api/v1/channels/{channel['id']}").status_code == 204
    assert client.get(f"/api/v1/channels/{channel['id']}").status_code == 404
