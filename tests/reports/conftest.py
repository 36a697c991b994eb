"""Report tests: the API client of tests/api, the fortnight of tests.reports.world, and a real SMTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.db import writing
from app.db.schema import workspaces
from tests.alerts.delivery.test_email import Inbox, free_port
from tests.api.conftest import admin_key, client  # noqa: F401 (fixtures)
from tests.reports.world import PREVIOUS_START, seed_fortnight


@pytest.fixture
def world(client, engine) -> dict[str, Any]:  # noqa: F811 (the client fixture)
    """The fortnight, in a workspace that has existed since before it (so that its weekly reports are due)."""
    ids = seed_fortnight(client, engine)
    with writing(engine) as conn:
        conn.execute(sa.update(workspaces).values(created_at=PREVIOUS_START))
    return ids


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Inbox, int]]]:
    """Start real aiosmtpd servers on 127.0.0.1 (a port may be given: a server that comes back); stopped at the end."""
    started: list[Controller] = []

    def start(port: int | None = None) -> tuple[Inbox, int]:
        inbox, port = Inbox(), port or free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="smtp.test")
        controller.start()
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        controller.stop()
