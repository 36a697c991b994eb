"""The evaluation script as CI runs it: on the dev sets, in a subprocess, with a well-formed JSON report
in which our scorer clearly beats plain VADER on French (VADER reads "scandaleux, remboursez-moi" as neutral)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_eval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "eval" / "sentiment.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_dev_report_is_complete_and_ours_beats_vader_in_french() -> None:
    for lang in ("fr", "en"):  # no skipping: the labelled sets are part of the repository
        assert (ROOT / "eval" / "data" / f"{lang}_dev.jsonl").exists()
    done = run_eval("--set", "dev1", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)

    assert report["set"] == "dev1" and isinstance(report["crisis_threshold"], int)
    assert set(report["languages"]) == {"fr", "en"}
    for lang, res in report["languages"].items():
        assert res["files"] == [f"{lang}_dev.jsonl"] and res["n"] > 0
        assert {"vigie", "vader", "vader_fr"} <= set(res["systems"])
        for name in ("vigie", "vader"):
            metrics = res["systems"][name]
            assert 0 <= metrics["accuracy"] <= 1 and 0 <= metrics["macro_f1"] <= 1
            assert set(metrics["per_class"]) == {"negative", "neutral", "positive"}
            for per in metrics["per_class"].values():
                assert {"precision", "recall", "f1", "support"} <= set(per)
        assert res["systems"]["vader_fr"].get("installed", True) in (True, False)
        assert {"recall", "precision", "support", "flagged", "threshold"} <= set(res["crisis"])
        assert res["crisis"]["support"] > 0
        assert 0.9 <= res["language_accuracy"] <= 1
        assert set(res["risk_by_label"]) == {"negative", "neutral", "positive"}
    names = {(t["lang"], t["name"]) for t in report["targets"]}
    assert names == {(lang, n) for lang in ("fr", "en")
                     for n in ("macro_f1", "negative_recall", "negative_precision", "crisis_recall")}  # fmt: skip
    assert report["all_targets_met"] == all(t["met"] for t in report["targets"])

    fr = report["languages"]["fr"]["systems"]
    assert fr["vigie"]["macro_f1"] >= fr["vader"]["macro_f1"] + 0.25, (fr["vigie"]["macro_f1"], fr["vader"]["macro_f1"])


def test_the_table_report_prints_targets_and_check_reflects_them() -> None:
    table = run_eval("--set", "dev1")
    assert table.returncode == 0, table.stderr
    assert "targets" in table.stdout and "VADER" in table.stdout and "language detection" in table.stdout
    checked = run_eval("--set", "dev1", "--check")
    met = json.loads(run_eval("--set", "dev1", "--json").stdout)["all_targets_met"]
    assert checked.returncode == (0 if met else 1)
