"""`vigie apikey create|list|revoke` as an operator runs them on the server."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from app.api import create_app
from app.apikeys import issue_key
from app.cli import main
from app.db import writing
from app.db.schema import utcnow
from app.storage.workspaces import ensure_workspace
from tests.api.conftest import bearer


@pytest.fixture
def run(database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VIGIE_DATABASE_URL", database_url)
    monkeypatch.delenv("VIGIE_DEFAULT_WORKSPACE", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def api(settings, engine):
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield client


def test_create_prints_the_key_once_alone_on_stdout_and_it_opens_the_api(run, api: TestClient) -> None:
    result = run("apikey", "create", "--name", "grafana", "--scope", "read")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("vg_") and "\n" not in key  # KEY=$(vigie apikey create ...) works
    assert f"({key[:10]}…, 'grafana', scope read) for workspace 'default'; shown once" in result.stderr
    assert "workspace 'default' created" in result.stderr
    assert api.get("/api/v1/brands", headers=bearer(key)).status_code == 200
    assert api.post("/api/v1/brands", json={"name": "X", "query": "x"}, headers=bearer(key)).status_code == 403


def test_create_for_another_workspace(run, api: TestClient) -> None:
    key = run("apikey", "create", "--name", "agence", "--scope", "admin", "--workspace", "Hôtels du Lac").stdout.strip()
    assert api.get("/api/v1/workspace", headers=bearer(key)).json()["name"] == "Hôtels du Lac"
    refused = run("apikey", "create", "--name", "x", "--scope", "root")
    assert refused.exit_code == 2 and "'root' is not one of 'read', 'write', 'admin'" in refused.output


def test_list_shows_every_key_but_never_the_key(run, api: TestClient) -> None:
    grafana = run("apikey", "create", "--name", "grafana", "--scope", "read").stdout.strip()
    run("apikey", "create", "--name", "agence", "--scope", "write", "--workspace", "other")
    api.get("/api/v1/brands", headers=bearer(grafana))
    listed = run("apikey", "list")
    assert listed.exit_code == 0
    header, first, second = listed.output.splitlines()
    assert header.split() == [
        "id",
        "prefix",
        "workspace",
        "name",
        "scope",
        "created",
        "(UTC)",
        "last",
        "used",
        "revoked",
    ]
    assert first.split()[1:5] == [grafana[:10], "default", "grafana", "read"] and first.endswith(" -")
    assert "never" not in first and "never" in second and grafana not in listed.output
    only_other = run("apikey", "list", "--workspace", "other").output
    assert "agence" in only_other and "grafana" not in only_other
    assert run("apikey", "list", "--workspace", "nope").exit_code == 1


def test_revoke_by_prefix_or_id_stops_the_key_at_once(run, api: TestClient, engine) -> None:
    key = run("apikey", "create", "--name", "grafana", "--scope", "read").stdout.strip()
    revoked = run("apikey", "revoke", key[:10])
    assert revoked.exit_code == 0 and f"API key 1 ({key[:10]}…, 'grafana') revoked" in revoked.output
    assert api.get("/api/v1/brands", headers=bearer(key)).status_code == 401
    again = run("apikey", "revoke", "1")
    assert again.exit_code == 0 and "was already revoked on" in again.output
    assert not run("apikey", "list").output.splitlines()[1].endswith(" -")  # the revocation time instead
    other = run("apikey", "create", "--name", "ci", "--scope", "write").stdout.strip()
    assert run("apikey", "revoke", other).exit_code == 0  # the whole key works too
    assert run("apikey", "revoke", "vg_nothing").exit_code == 1
    assert run("apikey", "revoke", "42").exit_code == 1


def test_an_ambiguous_prefix_asks_for_the_id(run, engine) -> None:
    with writing(engine) as conn:
        ws = ensure_workspace(conn, name="default")
        for n in range(2):
            key = f"vg_samepfx{n}" + "z" * 40
            issue_key(conn, workspace_id=ws["id"], name=f"k{n}", scope="read", now=utcnow(), key=key)
    result = run("apikey", "revoke", "vg_samepfx")
    assert result.exit_code == 1 and "2 keys have the prefix 'vg_samepfx' (ids 1, 2); give the id" in result.output
