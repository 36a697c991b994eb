"""The Fetcher the collector unit tests use: a fresh in-process pacer, and sleeps recorded instead of slept."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from collectors.base import FetchLimits
from collectors.http import Fetcher, LocalPacer, Pacer


def quiet_fetcher(
    local_limits: FetchLimits,
    client: httpx.Client,
    pacer: Pacer | None = None,
    sleeps: list[float] | None = None,
    credentials: Mapping[str, str] | None = None,
) -> Fetcher:
    """A Fetcher that never sleeps: pacing waits go to `sleeps` when given (to check them), else nowhere."""
    return Fetcher(
        client,
        local_limits,
        pacer=pacer or LocalPacer(),
        credentials=credentials,
        sleep=(sleeps.append if sleeps is not None else (lambda s: None)),
    )
