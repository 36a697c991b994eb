"""The alerting part of the config file, as a user runs `vigie config check|apply`: channels with secrets
from the environment, routes, silences and office hours; applying twice changes nothing and keeps the
webhook's signing secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from app.cli import main
from app.db import reading
from app.db.schema import channels, routes, silences, workspaces

SLACK_URL = "https://hooks.slack.example/services/T000/B000/XXXXsecretXXXX"

CONFIG = """
[workspace]
name = "default"
timezone = "Europe/Paris"

[workspace.alerting]
office_days = ["mon", "tue", "wed", "thu", "fri"]
office_start = "09:00"
office_end = "18:30"
holidays = ["2026-12-25"]
digest_hour = 8
digest_channels = ["cm"]

[[brands]]
name = "SNCF"
query = "sncf OR ouigo"

[[channels]]
name = "ops"
kind = "webhook"
url = "https://ops.example/hooks/vigie"

[[channels]]
name = "cm"
kind = "slack"
url = "${SLACK_URL}"

[[channels]]
name = "astreinte"
kind = "email"
to = ["astreinte@example.fr"]

[[routes]]
name = "heures ouvrées"
channels = ["cm"]
when = "office_hours"
group_wait = "2m"

[[routes]]
name = "nuit"
channels = ["ops"]
when = "on_call"
min_severity = "critical"
group_wait = 0
repeat_interval = "30m"
escalation = [{ after = "15m", channels = ["astreinte"] }]

[[silences]]
brand = "SNCF"
kind = "storm"
duration = "2h"
comment = "grève annoncée"
"""


@pytest.fixture
def run(database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VIGIE_DATABASE_URL", database_url)
    monkeypatch.setenv("VIGIE_ALLOW_PRIVATE_URLS", "false")
    monkeypatch.setenv("SLACK_URL", SLACK_URL)
    monkeypatch.delenv("VIGIE_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "vigie.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _rows(engine: sa.Engine, table: sa.Table) -> list[dict]:
    with reading(engine) as conn:
        return [dict(r) for r in conn.execute(sa.select(table).order_by(table.c.id)).mappings()]


def test_check_counts_everything_and_notes_channels_defined_elsewhere(tmp_path: Path, run) -> None:
    ok = run("config", "check", _file(tmp_path, CONFIG))
    assert ok.exit_code == 0, ok.output
    assert "3 channel(s), 2 route(s), 1 silence(s)" in ok.output and "note:" not in ok.output
    elsewhere = CONFIG + '\n[[routes]]\nname = "direction"\nchannels = ["pager"]\n'
    noted = run("config", "check", _file(tmp_path, elsewhere))
    assert noted.exit_code == 0
    assert (
        "note: routes[3] ('direction'): channel(s) 'pager' not in this file (must exist in the database)"
        in noted.output
    )


def test_apply_twice_changes_nothing_and_keeps_the_webhook_secret(tmp_path: Path, run, engine) -> None:
    path = _file(tmp_path, CONFIG)
    first = run("config", "apply", path)
    assert first.exit_code == 0, first.output
    shown = re.findall(
        r"channel 'ops': signing secret (whsec_\S+) \(shown once; store it in your receiver\)", first.output
    )
    assert len(shown) == 1 and SLACK_URL not in first.output
    assert "created: route 'nuit'" in first.output and "created: silence 'grève annoncée'" in first.output
    stored = {c["name"]: c for c in _rows(engine, channels)}
    assert stored["ops"]["secrets"]["signing"][0]["secret"] == shown[0]
    assert stored["cm"]["secrets"]["url"] == SLACK_URL and stored["cm"]["config"] == {
        "target": "https://hooks.slack.example/…"
    }
    second = run("config", "apply", path)
    assert second.exit_code == 0, second.output
    assert "signing secret" not in second.output and "0 created, 0 updated, 8 unchanged" in second.output
    assert _rows(engine, channels)[0]["secrets"] == stored["ops"]["secrets"]
    assert len(_rows(engine, silences)) == 1 and len(_rows(engine, routes)) == 2
    night = next(r for r in _rows(engine, routes) if r["name"] == "nuit")["spec"]
    assert night["repeat_interval"] == 1800 and night["escalation"] == [{"after": 900, "channels": ["astreinte"]}]
    alerting = _rows(engine, workspaces)[0]["alerting"]
    assert alerting["office_end"] == "18:30" and alerting["digest_channels"] == ["cm"]


def test_a_new_url_updates_the_channel_and_keeps_its_secret(tmp_path: Path, run, engine) -> None:
    run("config", "apply", _file(tmp_path, CONFIG))
    before = _rows(engine, channels)[0]["secrets"]["signing"]
    moved = run("config", "apply", _file(tmp_path, CONFIG.replace("ops.example/hooks", "ops2.example/hooks")))
    assert "updated: channel 'ops'" in moved.output and "signing secret" not in moved.output
    ops = _rows(engine, channels)[0]
    assert ops["secrets"]["signing"] == before and ops["secrets"]["url"] == "https://ops2.example/hooks/vigie"


def test_a_secret_from_the_environment_is_used_and_never_printed(tmp_path: Path, run, engine, monkeypatch) -> None:
    secret = "whsec_" + "c2VjcmV0LXNpZ25pbmcta2V5LWZvci12aWdpZS10ZXN0cw=="
    monkeypatch.setenv("OPS_SECRET", secret)
    text = CONFIG.replace(
        'url = "https://ops.example/hooks/vigie"', 'url = "https://ops.example/h"\nsecret = "${OPS_SECRET}"'
    )
    applied = run("config", "apply", _file(tmp_path, text))
    assert applied.exit_code == 0 and secret not in applied.output and "signing secret" not in applied.output
    assert _rows(engine, channels)[0]["secrets"]["signing"] == [{"secret": secret, "expires_at": None}]
    assert "0 created, 0 updated" in run("config", "apply", _file(tmp_path, text)).output


def test_a_missing_environment_variable_is_named(tmp_path: Path, run, engine, monkeypatch) -> None:
    monkeypatch.delenv("SLACK_URL")
    failed = run("config", "check", _file(tmp_path, CONFIG))
    assert failed.exit_code == 1
    assert "channels[2] ('cm').url: environment variable SLACK_URL is not set" in failed.output
    assert run("config", "apply", _file(tmp_path, CONFIG)).exit_code == 1 and _rows(engine, channels) == []


def test_a_route_to_an_unknown_channel_applies_nothing(tmp_path: Path, run, engine) -> None:
    text = CONFIG.replace('channels = ["ops"]', 'channels = ["ops", "pager"]')
    failed = run("config", "apply", _file(tmp_path, text))
    assert failed.exit_code == 1
    assert (
        "routes[2] ('nuit').channels: unknown channel(s) 'pager' (not in the file nor in the database)" in failed.output
    )
    assert _rows(engine, channels) == [] and _rows(engine, routes) == []


def test_a_route_may_name_a_channel_already_in_the_database(tmp_path: Path, run, engine) -> None:
    run("config", "apply", _file(tmp_path, CONFIG))
    later = '[[routes]]\nname = "direction"\nchannels = ["astreinte"]\nmin_severity = "critical"\n'
    applied = run("config", "apply", _file(tmp_path, later))
    assert applied.exit_code == 0, applied.output
    assert "created: route 'direction'" in applied.output and "kept (not in the file): channel 'ops'" in applied.output


def test_errors_are_located_like_the_rest_of_the_file(tmp_path: Path, run) -> None:
    text = (
        CONFIG.replace('group_wait = "2m"', 'group_wait = "bientôt"')
        .replace('office_end = "18:30"', 'office_end = "08:00"')
        .replace('to = ["astreinte@example.fr"]', 'to = ["astreinte"]')
        .replace('duration = "2h"', 'duration = "2h"\nends_at = 2026-01-01T00:00:00Z')
    )
    failed = run("config", "check", _file(tmp_path, text))
    assert failed.exit_code == 1
    assert "routes[1] ('heures ouvrées').group_wait:" in failed.output
    assert "workspace.alerting: office_start must be before office_end" in failed.output
    assert "channels[3] ('astreinte').to: not e-mail addresses: astreinte" in failed.output
    assert "silences[1]: give either ends_at or duration" in failed.output


def test_private_addresses_are_refused_unless_allowed(tmp_path: Path, run, engine, monkeypatch) -> None:
    path = _file(tmp_path, CONFIG.replace("https://ops.example/hooks/vigie", "http://169.254.169.254/latest"))
    checked = run("config", "check", path)
    assert checked.exit_code == 1 and "channels[1] ('ops').url: refused: 169.254.169.254" in checked.output
    assert "VIGIE_ALLOW_PRIVATE_URLS=true" in checked.output
    assert run("config", "apply", path).exit_code == 1 and _rows(engine, channels) == []
    monkeypatch.setenv("VIGIE_ALLOW_PRIVATE_URLS", "true")
    assert run("config", "apply", path).exit_code == 0


def _readme_example() -> str:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Alerting in the config file", 1)[1]
    return section.split("```toml\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_and_the_demo_apply(tmp_path: Path, run, engine, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", SLACK_URL)
    readme = run(
        "config", "apply", _file(tmp_path, 'brands = [{ name = "SNCF", query = "sncf" }]\n' + _readme_example())
    )
    assert readme.exit_code == 0, readme.output
    assert "created: route 'nuit et week-end'" in readme.output and "signing secret whsec_" in readme.output
    demo = Path(__file__).resolve().parents[1] / "examples" / "demo.toml"
    assert run("config", "apply", str(demo)).exit_code == 0
    # The commented example, uncommented, is valid too (a brand Orange comes with it: the silence names it).
    example = demo.read_text(encoding="utf-8").split("# [[channels]]", 1)[1]
    lines = [line.removeprefix("#").removeprefix(" ") for line in ("# [[channels]]" + example).splitlines()]
    monkeypatch.setenv("VIGIE_ALLOW_PRIVATE_URLS", "true")
    tried = run(
        "config", "apply", _file(tmp_path, 'brands = [{ name = "Orange", query = "orange" }]\n' + "\n".join(lines))
    )
    assert tried.exit_code == 0, tried.output
