"""Typed dependencies of the routes: a read or write transaction and the caller's workspace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request

from app.api.errors import Problem
from app.db import reading, writing
from app.settings import Settings


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
    # Resolved once at start-up (see app.api.create_app): resolving it here could nest a second write
    # transaction inside the route's own, which SQLite would make wait for itself.
    workspace_id = request.app.state.workspace_id
    if workspace_id is None:
        raise Problem(503, "Not ready", "the database is not migrated; run `vigie migrate` and restart Vigie")
    return workspace_id


SettingsDep = Annotated[Settings, Depends(_settings)]
ReadConn = Annotated[sa.Connection, Depends(_read, scope="function")]
# "function": commit before the response is sent, so that a client told 201 can read what it wrote.
WriteConn = Annotated[sa.Connection, Depends(_write, scope="function")]
WorkspaceId = Annotated[int, Depends(_workspace_id)]
