"""A web page client signed in with an API key: FastAPI's TestClient over https (the session cookie is Secure)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.api import create_app

BASE = "https://testserver"


def web_client(settings, engine) -> TestClient:
    """A client of the whole application (pages and API) that sends no API key."""
    return TestClient(create_app(settings, engine), base_url=BASE, raise_server_exceptions=False)


def sign_in(client: TestClient, key: str) -> str:
    """Sign `client` in through the form; the page's CSRF token."""
    answer = client.post("/login", data={"key": key, "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/").text)


def csrf_of(html: str) -> str:
    """The CSRF token a page carries (meta tag)."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)
