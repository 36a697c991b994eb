"""End-to-end check every source kind passes: created through the API and through a config file, collected by
the real collect worker from the kind's fake service, its mentions listed by the API.

    mentions = collect_via_api(client, engine, settings, kind="hackernews", params={...})
    mentions = collect_via_config(tmp_path, engine, settings, kind="hackernews", params={...})
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.collect import CollectWorker
from app.config_file import apply_config, load_config
from app.db import reading, writing
from app.db.schema import sources
from app.settings import Settings

BRAND = {"name": "Acme", "query": "acme"}


def _collect_and_list(client: TestClient, engine: sa.Engine, settings: Settings, source_id: int) -> list[dict]:
    with writing(engine) as conn:
        conn.execute(sa.update(sources).values(due_at=datetime.now(UTC) - timedelta(seconds=1)))
    worker = CollectWorker(engine, settings)
    try:
        reports = worker.run_once()
    finally:
        worker.close()
    assert reports, "the worker claimed no source"
    assert all(r.status in ("ok", "partial", "not_modified") for r in reports), [r.error for r in reports]
    answer = client.get("/api/v1/mentions", params={"source": source_id, "limit": 200})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def collect_via_api(
    client: TestClient,
    engine: sa.Engine,
    settings: Settings,
    *,
    kind: str,
    params: dict[str, Any],
    url: str | None = None,
    brand: dict[str, str] = BRAND,
) -> list[dict]:
    """Create a brand and a `kind` source with POST /api/v1/..., collect once, return the source's mentions."""
    created = client.post("/api/v1/brands", json=brand)
    assert created.status_code in (201, 409), created.text
    body: dict[str, Any] = {"name": f"{kind} via API", "kind": kind, "params": params, "interval": 60}
    if url is not None:
        body["url"] = url
    answer = client.post("/api/v1/sources", json=body)
    assert answer.status_code == 201, answer.text
    source = answer.json()
    assert source["kind"] == kind
    return _collect_and_list(client, engine, settings, source["id"])


def collect_via_config(
    tmp_path: Path,
    client: TestClient,
    engine: sa.Engine,
    settings: Settings,
    *,
    kind: str,
    params: dict[str, Any],
    url: str | None = None,
    brand: dict[str, str] = BRAND,
) -> list[dict]:
    """Write a config file with a brand and a `kind` source, apply it, collect once, return its mentions."""
    lines = ["[[brands]]", f"name = {json.dumps(brand['name'])}", f"query = {json.dumps(brand['query'])}", ""]
    lines += ["[[sources]]", f'name = "{kind} via config"', f'kind = "{kind}"', 'interval = "1m"']
    if url is not None:
        lines.append(f"url = {json.dumps(url)}")
    lines.append("[sources.params]")
    for name, value in params.items():
        lines.append(f"{name} = {_toml(value)}")
    path = tmp_path / f"{kind}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_config(path)
    with writing(engine) as conn:
        apply_config(conn, config, settings=settings)
    with reading(engine) as conn:
        source_id = conn.execute(sa.select(sources.c.id).where(sources.c.name == f"{kind} via config")).scalar_one()
    return _collect_and_list(client, engine, settings, source_id)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")
