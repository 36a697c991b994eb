"""Signing in to the web page with an API key: the cookie, CSRF, sign-out, revocation and expiry, and the JSON
API used by the page with the session cookie; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.apikeys import key_prefix
from app.db import writing
from app.db.schema import api_keys, utcnow, web_sessions
from app.websessions import COOKIE
from tests.api.conftest import bearer, make_key
from tests.web.signin import csrf_of, sign_in, web_client


@pytest.fixture
def key(engine, settings) -> str:
    return make_key(engine, workspace=settings.default_workspace, name="cm-astreinte")


@pytest.fixture
def client(settings, engine):
    with web_client(settings, engine) as c:
        yield c


def test_a_visitor_without_a_session_is_sent_to_sign_in_and_back_to_the_page_asked_for(client, key) -> None:
    answer = client.get("/incidents/7?from=slack", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/incidents/7%3Ffrom%3Dslack"
    form = client.get(answer.headers["location"])
    assert 'id="login-form"' in form.text and 'value="/incidents/7?from=slack"' in form.text
    signed = client.post("/login", data={"key": key, "next": "/incidents/7?from=slack"}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/incidents/7?from=slack"


def test_signing_in_sets_a_secure_httponly_lax_cookie_and_keeps_only_a_hash(client, engine, key) -> None:
    answer = client.post("/login", data={"key": key}, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    token = client.cookies[COOKIE]
    assert "HttpOnly" in cookie and "Secure" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    with engine.connect() as conn:
        stored = conn.execute(sa.select(web_sessions.c.token_hash)).scalars().all()
    assert len(stored) == 1 and token not in stored[0] and key not in cookie
    page = client.get("/")
    assert page.status_code == 200 and 'id="incidents"' in page.text and "cm-astreinte" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("given", "shown"),
    [("vg_not-a-key-at-all", "n'est pas connue|not known"), ("", "Paste an API key|Collez une clé")],
)
def test_a_wrong_or_empty_key_shows_an_error_and_no_session(client, engine, key, given, shown) -> None:
    answer = client.post("/login", data={"key": given}, follow_redirects=False)
    assert answer.status_code in (400, 401) and 'class="error"' in answer.text
    assert any(s in answer.text for s in shown.split("|")) and COOKIE not in client.cookies
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(web_sessions)).scalar() == 0


def test_after_signing_in_only_local_paths_are_followed(client, key) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = client.post("/login", data={"key": key, "next": target}, follow_redirects=False)
        assert answer.headers["location"] == "/", target


def test_signing_out_needs_the_page_token_and_ends_the_session_for_good(client, key) -> None:
    csrf = sign_in(client, key)
    token = client.cookies[COOKIE]
    assert client.post("/logout", data={"csrf": "forged"}, follow_redirects=False).status_code == 403
    out = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert f"{COOKIE}=" in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
    client.cookies.set(COOKIE, token)  # a copy of the old cookie is worth nothing now
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/incidents").status_code == 401


def test_revoking_the_key_ends_its_web_sessions_at_once(client, engine, key) -> None:
    sign_in(client, key)
    with writing(engine) as conn:
        conn.execute(sa.update(api_keys).where(api_keys.c.prefix == key_prefix(key)).values(revoked_at=utcnow()))
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert client.get("/api/v1/incidents").status_code == 401
    again = client.post("/login", data={"key": key}, follow_redirects=False)
    assert again.status_code == 401 and "This API key was revoked" in again.text


def test_an_expired_session_signs_out(client, engine, key) -> None:
    sign_in(client, key)
    with writing(engine) as conn:
        conn.execute(sa.update(web_sessions).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_api_takes_the_session_cookie_and_a_change_needs_the_csrf_header(client, key) -> None:
    csrf = sign_in(client, key)
    assert client.get("/api/v1/brands").status_code == 200
    body = {"name": "Orange", "query": "orange"}
    refused = client.post("/api/v1/brands", json=body)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    assert client.post("/api/v1/brands", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    made = client.post("/api/v1/brands", json=body, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201


def test_a_session_acts_with_its_key_scope_and_workspace(client, engine, settings) -> None:
    reader = make_key(engine, workspace=settings.default_workspace, scope="read", name="lecteur")
    other = make_key(engine, workspace="agence-b", scope="admin")
    with web_client(settings, engine) as b:
        brand = b.post("/api/v1/brands", json={"name": "Free", "query": "free"}, headers=bearer(other)).json()
    csrf = sign_in(client, reader)
    made = client.post("/api/v1/brands", json={"name": "SFR", "query": "sfr"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 403 and made.json()["required_scope"] == "write"
    assert client.get(f"/api/v1/brands/{brand['id']}").status_code == 404
    assert brand["id"] not in [b["id"] for b in client.get("/api/v1/brands").json()]


def test_an_authorization_header_wins_over_the_cookie(client, engine, settings, key) -> None:
    sign_in(client, key)
    assert client.get("/api/v1/brands", headers={"Authorization": "Bearer vg_wrong"}).status_code == 401


def test_the_person_chooses_french_or_english(client, key) -> None:
    csrf = sign_in(client, key)
    client.post("/language", data={"lang": "en", "csrf": csrf, "next": "/"})
    assert "Open incidents" in client.get("/").text
    csrf = csrf_of(client.get("/").text)
    client.post("/language", data={"lang": "fr", "csrf": csrf, "next": "/"})
    assert "Incidents ouverts" in client.get("/").text
    assert client.post("/language", data={"lang": "fr", "csrf": "x"}).status_code == 403
