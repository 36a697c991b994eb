"""Typed dependencies of the routes: a read or write transaction and the caller's workspace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request

from app.db import reading, writing
from app.settings import Settings
from app.storage.workspaces import ensure_workspace


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _read(request: Request) -> Iterator[sa.Connection]:
    with reading(request.app.state.engine) as conn:
        yield conn


def _write(request: Request) -> Iterator[sa.Connection]:
    with writing(request.app.state.engine) as conn:
        yield conn


def _workspace_id(request: Request) -> int:
    # Until API keys land (one workspace per key), every request acts on the configured default workspace.
    state = request.app.state
    if state.workspace_id is None:
        with writing(state.engine) as conn:
            state.workspace_id = ensure_workspace(conn, name=state.settings.default_workspace)["id"]
    return state.workspace_id


SettingsDep = Annotated[Settings, Depends(_settings)]
ReadConn = Annotated[sa.Connection, Depends(_read)]
WriteConn = Annotated[sa.Connection, Depends(_write)]
WorkspaceId = Annotated[int, Depends(_workspace_id)]
