"""The first start of the API on a fresh database makes an admin key and shows it once (stdout and a file only
its owner can read); VIGIE_ADMIN_KEY sets that key instead; API replicas starting together make one key."""

from __future__ import annotations

import logging
import stat
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.api import create_app
from app.apikeys import ENV_KEY_NAME, ensure_admin_key, hash_key
from app.db import reading, writing
from app.db.schema import api_keys, utcnow
from app.serve import KEY_FILE, announce_admin_key
from app.settings import Settings
from tests.api.conftest import bearer, make_key

ENV_KEY = "vg_" + "k" * 40
NEW_ENV_KEY = "vg_" + "n" * 40


def _keys(engine) -> list[dict]:
    with reading(engine) as conn:
        return [dict(r) for r in conn.execute(sa.select(api_keys).order_by(api_keys.c.id)).mappings()]


def _status(settings: Settings, engine, key: str, path: str = "/api/v1/apikeys") -> int:
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        return client.get(path, headers=bearer(key)).status_code


def test_the_first_start_makes_an_admin_key_shows_it_once_and_keeps_it_in_a_private_file(
    settings, engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = announce_admin_key(engine, settings, tmp_path)
    assert key is not None and key.startswith("vg_")
    out = capsys.readouterr().out
    assert out == f"Vigie admin API key (shown once; also written to {tmp_path / KEY_FILE}): {key}\n"
    path = tmp_path / KEY_FILE
    assert path.read_text() == key + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [row] = _keys(engine)
    assert row["scope"] == "admin" and row["key_hash"] == hash_key(key) and key not in str(row)
    assert _status(settings, engine, key) == 200  # an admin key of the default workspace

    assert announce_admin_key(engine, settings, tmp_path) is None  # the next starts show nothing
    assert capsys.readouterr().out == "" and path.read_text() == key + "\n" and len(_keys(engine)) == 1


def test_an_existing_key_file_is_never_overwritten(settings, engine, tmp_path: Path, capsys) -> None:
    (tmp_path / KEY_FILE).write_text("vg_an_older_key_of_an_earlier_database\n")
    key = announce_admin_key(engine, settings, tmp_path)
    out = capsys.readouterr().out
    assert f"not written to {tmp_path / KEY_FILE}: that file already exists" in out and out.endswith(f": {key}\n")
    assert (tmp_path / KEY_FILE).read_text() == "vg_an_older_key_of_an_earlier_database\n"


def test_no_first_key_when_any_key_exists(settings, engine, tmp_path: Path, capsys) -> None:
    make_key(engine, scope="read", name="made with the CLI")
    assert announce_admin_key(engine, settings, tmp_path) is None
    assert capsys.readouterr().out == "" and not (tmp_path / KEY_FILE).exists() and len(_keys(engine)) == 1


def test_vigie_admin_key_sets_the_admin_key_instead(settings, engine, tmp_path: Path, capsys, caplog) -> None:
    configured = settings.model_copy(update={"admin_key": SecretStr(ENV_KEY)})
    assert announce_admin_key(engine, configured, tmp_path) is None
    assert capsys.readouterr().out == "" and not (tmp_path / KEY_FILE).exists()
    [row] = _keys(engine)
    assert row["name"] == ENV_KEY_NAME and row["scope"] == "admin" and row["key_hash"] == hash_key(ENV_KEY)
    assert _status(configured, engine, ENV_KEY) == 200
    announce_admin_key(engine, configured, tmp_path)  # a restart stores nothing more
    assert len(_keys(engine)) == 1

    # A new value replaces the previous one, which stops working.
    changed = settings.model_copy(update={"admin_key": SecretStr(NEW_ENV_KEY)})
    announce_admin_key(engine, changed, tmp_path)
    assert _status(changed, engine, NEW_ENV_KEY) == 200 and _status(changed, engine, ENV_KEY) == 401

    # A revoked VIGIE_ADMIN_KEY stays revoked: setting it again only earns a warning.
    announce_admin_key(engine, configured, tmp_path)
    with caplog.at_level(logging.WARNING, logger="app.apikeys"):
        announce_admin_key(engine, configured, tmp_path)
    assert _status(configured, engine, ENV_KEY) == 401
    assert "VIGIE_ADMIN_KEY was revoked" in caplog.text and ENV_KEY not in caplog.text


def test_api_replicas_starting_together_make_one_first_key(settings, engine) -> None:
    barrier, made = threading.Barrier(4), []

    def start() -> None:
        barrier.wait()
        with writing(engine) as conn:
            made.append(ensure_admin_key(conn, settings=settings, now=utcnow()))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([k for k in made if k]) == 1 and len(_keys(engine)) == 1


def test_replicas_with_vigie_admin_key_store_it_once(settings, engine) -> None:
    configured = settings.model_copy(update={"admin_key": SecretStr(ENV_KEY)})
    barrier = threading.Barrier(4)

    def start() -> None:
        barrier.wait()
        with writing(engine) as conn:
            ensure_admin_key(conn, settings=configured, now=utcnow())

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [(k["name"], k["revoked_at"]) for k in _keys(engine)] == [(ENV_KEY_NAME, None)]


def test_vigie_admin_key_is_a_secret_of_at_least_32_characters() -> None:
    assert Settings(_env_file=None, admin_key="").admin_key is None
    with pytest.raises(ValueError, match="VIGIE_ADMIN_KEY must be at least 32 characters"):
        Settings(_env_file=None, admin_key="too-short")
    s = Settings(_env_file=None, admin_key=ENV_KEY)
    assert ENV_KEY not in repr(s) and ENV_KEY not in str(s.model_dump())
