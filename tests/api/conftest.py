"""An API client over a real database (SQLite and PostgreSQL), sending an admin key of the default workspace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.apikeys import Scope, issue_key
from app.db import writing
from app.db.schema import utcnow
from app.storage.workspaces import ensure_workspace


def make_key(engine, *, workspace: str = "default", scope: Scope = "admin", name: str = "tests") -> str:
    """A new API key of `workspace` (created if needed), made through the storage layer."""
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name=workspace)
        return issue_key(conn, workspace_id=ws["id"], name=name, scope=scope, now=utcnow()).key


def bearer(key: str) -> dict[str, str]:
    """The Authorization header of an API key."""
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def admin_key(settings, engine) -> str:
    """An admin key of the default workspace."""
    return make_key(engine, workspace=settings.default_workspace)


@pytest.fixture
def client(settings, engine, admin_key) -> Iterator[TestClient]:
    """A client that sends `admin_key` with every request (pass other headers to override it)."""
    with TestClient(create_app(settings, engine), raise_server_exceptions=False, headers=bearer(admin_key)) as c:
        yield c
