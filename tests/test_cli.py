"""The `vigie` command as a user runs it: config check/apply, import, score, migrate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from app.cli import main
from app.db import reading
from app.db.schema import brands, mentions, sources, workspaces

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"

CONFIG = """
[workspace]
name = "default"
language = "fr"
timezone = "Europe/Paris"
crisis_terms = ["coupure géante"]

[[brands]]
name = "Orange"
query = "(orange OR livebox OR sosh) -\\"jus d'orange\\""
languages = ["fr", "en"]

[[brands]]
name = "Free"
query = 'freebox OR "free mobile"'
competitor = true

[[sources]]
name = "Google News — Orange"
kind = "rss"
url = "https://news.google.com/rss/search?q=Orange&hl=fr&gl=FR&ceid=FR:fr"
interval = "15m"
"""


@pytest.fixture
def run(database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VIGIE_DATABASE_URL", database_url)
    monkeypatch.delenv("VIGIE_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with reading(engine) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_config_check_accepts_a_good_file(tmp_path: Path, run) -> None:
    path = tmp_path / "vigie.toml"
    path.write_text(CONFIG, encoding="utf-8")
    result = run("config", "check", str(path))
    assert result.exit_code == 0 and "2 brand(s), 1 source(s)" in result.output


def test_config_check_lists_every_problem_with_its_place(tmp_path: Path, run) -> None:
    bad = CONFIG.replace("freebox OR", "freebox OR (").replace('interval = "15m"', 'interval = "often"')
    bad += '\n[[sources]]\nname = "x"\nkind = "carrier-pigeon"\n'
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    result = run("config", "check", str(path))
    assert result.exit_code == 1
    assert "brands[2] ('Free').query: invalid query" in result.output
    assert "sources[1] ('Google News — Orange').interval" in result.output
    assert "unknown source kind 'carrier-pigeon'" in result.output


def test_config_check_refuses_broken_toml(tmp_path: Path, run) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[[brands]\nname = ", encoding="utf-8")
    result = run("config", "check", str(path))
    assert result.exit_code == 1 and "not valid TOML" in result.output


def test_config_apply_twice_changes_nothing_the_second_time(tmp_path: Path, run, engine) -> None:
    path = tmp_path / "vigie.toml"
    path.write_text(CONFIG, encoding="utf-8")
    first = run("config", "apply", str(path))
    assert first.exit_code == 0, first.output
    assert "3 created, 0 updated, 0 unchanged" in first.output
    second = run("config", "apply", str(path))
    assert "0 created, 0 updated, 3 unchanged" in second.output
    path.write_text(CONFIG.replace('interval = "15m"', 'interval = "30m"'), encoding="utf-8")
    third = run("config", "apply", str(path))
    assert "updated: source 'Google News — Orange'" in third.output
    assert _count(engine, brands) == 2 and _count(engine, sources) == 1
    with reading(engine) as conn:
        assert conn.execute(sa.select(workspaces.c.crisis_terms)).scalar_one() == ["coupure géante"]


def test_import_jsonl_and_csv_keep_their_timestamps_and_are_idempotent(run, engine, tmp_path: Path) -> None:
    path = tmp_path / "vigie.toml"
    path.write_text(CONFIG, encoding="utf-8")
    run("config", "apply", str(path))
    first = run("import", str(FIXTURES / "import" / "mentions.jsonl"))
    assert first.exit_code == 0, first.output
    stored = _count(engine, mentions)
    assert stored > 0 and "1 duplicate(s)" in first.output
    again = run("import", str(FIXTURES / "import" / "mentions.jsonl"))
    assert "imported 0 new" in again.output and _count(engine, mentions) == stored
    csv_result = run("import", str(FIXTURES / "import" / "mentions.csv"))
    assert csv_result.exit_code == 0, csv_result.output
    with reading(engine) as conn:
        months = {d.month for d in conn.execute(sa.select(mentions.c.published_at)).scalars()}
    assert months == {10}  # their own October timestamps, not the import time


def test_import_dry_run_stores_nothing(run, engine, tmp_path: Path) -> None:
    path = tmp_path / "vigie.toml"
    path.write_text(CONFIG, encoding="utf-8")
    run("config", "apply", str(path))
    result = run("import", "--dry-run", str(FIXTURES / "import" / "mentions.jsonl"))
    assert result.exit_code == 0 and "would import" in result.output
    assert _count(engine, mentions) == 0


def test_import_refuses_a_file_with_bad_lines_and_names_them(run, engine) -> None:
    result = run("import", str(FIXTURES / "import" / "bad.jsonl"))
    assert result.exit_code == 1
    assert "line 2: not valid JSON" in result.output
    assert "nothing imported" in result.output
    assert _count(engine, mentions) == 0


def test_score_one_text_and_json_lines(run) -> None:
    one = run("score", "Vol annulé, toujours pas de remboursement, service client injoignable")
    out = json.loads(one.output)
    assert out["lang"] == "fr" and out["sentiment"]["label"] == "negative" and out["complaint"] is True
    assert 0 <= out["risk"] <= 100 and out["reasons"]["risk"]["signals"]
    lines = run(
        "score", input='{"text": "I love it, great job!", "id": 7}\nnot json\n{"text": "Bonjour", "lang": "fr"}\n'
    )
    rows = [json.loads(line) for line in lines.output.splitlines()]
    assert rows[0]["sentiment"]["label"] == "positive" and rows[0]["id"] == 7
    assert rows[1]["line"] == 2 and "error" in rows[1]
    assert rows[2]["lang"] == "fr"


def test_score_streams_stdin_one_line_at_a_time() -> None:
    # A real process: each answer must come out before the next line goes in, as in a pipe of thousands.
    proc = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "score"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        for text in ("Colis jamais reçu, remboursez-moi !", "Great job @Delta, 4th delay this week"):
            proc.stdin.write(json.dumps({"text": text}) + "\n")
            proc.stdin.flush()
            answer = json.loads(proc.stdout.readline())
            assert answer["sentiment"]["label"] == "negative"
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.stdout.close()


def test_commands_on_an_unmigrated_database_say_to_migrate(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("VIGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    path = tmp_path / "vigie.toml"
    path.write_text(CONFIG, encoding="utf-8")
    result = CliRunner().invoke(main, ["config", "apply", str(path)])
    assert result.exit_code == 1 and "run `vigie migrate` first" in result.output
    assert CliRunner().invoke(main, ["migrate"]).exit_code == 0
    assert CliRunner().invoke(main, ["config", "apply", str(path)]).exit_code == 0
