"""/readyz says when the database is not migrated, and what to do."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.api import create_app
from app.db import make_engine
from app.settings import Settings


def test_readyz_is_unavailable_on_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    try:
        with TestClient(create_app(Settings(_env_file=None, database_url=url), engine)) as client:
            assert client.get("/healthz").status_code == 200
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["hint"] == "run `vigie migrate`" and ready.json()["migration"] is None
            brands = client.get("/api/v1/brands", headers={"Authorization": "Bearer vg_" + "x" * 43})
            assert brands.status_code == 503 and "not migrated" in brands.json()["detail"]
    finally:
        engine.dispose()


def test_readyz_is_unavailable_when_the_database_is_unreachable() -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/nothing?connect_timeout=1"
    engine = make_engine(url)
    try:
        with TestClient(create_app(Settings(_env_file=None, database_url=url), engine)) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 503 and "unreachable" in ready.json()["database"]
            assert "secret" not in ready.text
    finally:
        engine.dispose()
