"""Browser tests: a real `vigie serve` process on a fresh database, driven by Debian's chromium through Playwright.

Browser downloads are impossible here, so Playwright never installs one: it launches `/usr/bin/chromium` (or
`VIGIE_CHROMIUM`), which `.ci/run` installs with apt when it is missing. Without chromium or the playwright
package these tests skip with the reason, except under CI=true, where that is a failure. Screenshots go to
`VIGIE_SCREENSHOTS`, by default `artifacts/screenshots/` at the repository root (CI keeps that folder).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.db import make_engine
from tests.api.conftest import bearer, make_key
from tests.conftest import empty_database

ROOT = Path(__file__).resolve().parents[2]
VIGIE = [sys.executable, "-c", "from app.cli import main; main()"]
CHROMIUM = os.environ.get("VIGIE_CHROMIUM") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google's services, and this machine's closed
# network refuses those connections loudly; QUIC, sync and component updates are the same story.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
START_TIMEOUT = 30.0


def screenshots_dir() -> Path:
    """Where the browser tests write their PNGs: $VIGIE_SCREENSHOTS, or artifacts/screenshots/ in the repository."""
    return Path(os.environ.get("VIGIE_SCREENSHOTS") or ROOT / "artifacts" / "screenshots").resolve()


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail under CI=true, where the browser tests must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run; .ci/run installs chromium with apt)")
    pytest.skip(reason)


def pytest_report_header(config: pytest.Config) -> str:
    return f"vigie browser tests: chromium {CHROMIUM}, screenshots in {screenshots_dir()}"


SAVED: list[Path] = []  # the screenshots this session wrote, listed at the end of the run


def save_screenshot(page: Any, name: str) -> Path:
    """A PNG of the whole page in the screenshots folder. The viewport is made as tall as the page first: a
    full-page capture would paint a fixed bottom bar where the screen's bottom was, over the content."""
    path = screenshots_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("Math.ceil(document.documentElement.scrollHeight)")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    SAVED.append(path)
    return path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SAVED:
        names = ", ".join(sorted({p.name for p in SAVED}))
        terminalreporter.write_line(f"browser screenshots written to {screenshots_dir()}: {names}")


# ---- the live server -------------------------------------------------------------------------------------------


@pytest.fixture
def live_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh migrated database for the live server: SQLite unless a test asks otherwise with
    `@pytest.mark.parametrize("live_database", ["sqlite", "postgres"], indirect=True)`. (Not `database_url`:
    the other tests of this folder keep running on both databases.)"""
    return empty_database(request, getattr(request, "param", "sqlite"), tmp_path)


@dataclass
class LiveServer:
    """A running `vigie serve --roles api,alert`, its admin key, and a brand of the default workspace."""

    url: str
    key: str
    database_url: str
    process: subprocess.Popen
    log: Path
    brand: dict[str, Any] = field(default_factory=dict)

    def api(self) -> httpx.Client:
        """An API client sending the admin key."""
        return httpx.Client(base_url=self.url, headers=bearer(self.key), timeout=10)

    def push(self, *mentions: dict[str, Any]) -> list[int]:
        """POST mentions through the API; returns the stored mention ids."""
        with self.api() as api:
            answer = api.post("/api/v1/mentions", json={"mentions": list(mentions)})
        assert answer.status_code in (200, 201, 202), answer.text
        return answer.json()["mention_ids"]

    def incidents(self, **params: Any) -> list[dict[str, Any]]:
        """GET /api/v1/incidents (first page)."""
        with self.api() as api:
            answer = api.get("/api/v1/incidents", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    def incident(self, incident_id: int) -> dict[str, Any]:
        with self.api() as api:
            answer = api.get(f"/api/v1/incidents/{incident_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def output(self) -> str:
        """The end of what the process printed (to a file: a full pipe would block the server)."""
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; returns its value, or fails saying what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(
        VIGIE_DATABASE_URL=database_url,
        VIGIE_ALLOW_PRIVATE_URLS="true",
        VIGIE_DETECT_TICK_SECONDS="0.3",  # a crisis mention opens its incident within a fraction of a second
        VIGIE_SSE_POLL_SECONDS="0.2",  # and the stream carries it to the page as fast
        VIGIE_ROUTE_TICK_SECONDS="1",
        VIGIE_DELIVER_TICK_SECONDS="1",
        VIGIE_API_RATE_LIMIT_PER_MINUTE="0",
        VIGIE_LOG_LEVEL="WARNING",
    )
    return env


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 15 s: the process never outlives its test."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_ready(server: LiveServer) -> None:
    def ready() -> bool:
        if server.process.poll() is not None:
            pytest.fail(f"vigie serve exited with {server.process.returncode}:\n{server.output()}")
        try:
            return httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(ready, START_TIMEOUT, f"{server.url}/readyz", every=0.1)


@pytest.fixture
def live(live_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    """`vigie serve --roles api,alert` on a fresh database, ready, with brand Acme created through the API."""
    database_url = live_database
    engine = make_engine(database_url, pool_size=1)
    try:
        key = make_key(engine, name="browser tests")  # before the start, so no first-start key file is written
    finally:
        engine.dispose()
    port = _free_port()
    cmd = [*VIGIE, "serve", "--roles", "api,alert", "--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=_serve_env(database_url), cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    server = LiveServer(url=f"http://127.0.0.1:{port}", key=key, database_url=database_url, process=proc, log=log)
    try:
        _wait_ready(server)
        with server.api() as api:
            answer = api.post("/api/v1/brands", json={"name": "Acme", "query": "acme", "languages": []})
        assert answer.status_code == 201, answer.text
        server.brand = answer.json()
        yield server
    finally:
        _stop(proc)


# ---- the browser -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, launched once per session through Playwright's sync API."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable(f"the playwright package is not installed ({exc}); pip install -e '.[test]'")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        unavailable(f"chromium not found at {CHROMIUM} (apt-get install chromium, or set VIGIE_CHROMIUM)")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            unavailable(f"chromium at {CHROMIUM} did not start through Playwright: {exc}")
        yield chromium
        chromium.close()


@dataclass
class Console:
    """What the page said: console errors, uncaught exceptions and dialogs (alert/confirm/prompt)."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def open_context(browser: Any, console: Console, **options: Any) -> Any:
    """A fresh browser context (own cookies) whose pages report errors and dialogs into `console`."""
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)

    def on_console(message: Any) -> None:
        if message.type == "error":
            console.errors.append(f"console.error: {message.text}")

    def on_dialog(dialog: Any) -> None:
        console.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def watch(page: Any) -> None:
        page.on("console", on_console)
        page.on("pageerror", lambda exc: console.errors.append(f"uncaught: {exc}"))
        page.on("dialog", on_dialog)

    context.on("page", watch)
    return context


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser: Any, console: Console) -> Iterator[Any]:
    """A desktop-sized page (1280x800) in a fresh context."""
    context = open_context(browser, console, viewport=DESKTOP)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Any, server: LiveServer, key: str | None = None) -> None:
    """Sign in through the /login form; ends on the incidents view."""
    page.goto(f"{server.url}/login")
    page.fill("form#login-form input#key", key or server.key)
    page.click("form#login-form [type=submit]")
    page.wait_for_url(f"{server.url}/")
