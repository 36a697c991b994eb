"""Conventions as tests: layering between packages, registered and documented source kinds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from collectors.registry import COLLECTORS

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"collectors": {"app", "alerts"}, "alerts": {"app", "collectors"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_collectors_and_alerts_do_not_import_each_other_or_app(package: str) -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & FORBIDDEN[package])
        for p in (ROOT / package).rglob("*.py")
        if _imports(p) & FORBIDDEN[package]
    }
    assert offenders == {}


def test_no_module_is_much_over_the_size_budget() -> None:
    too_big = {
        str(p.relative_to(ROOT)): n
        for pkg in ("app", "collectors", "alerts")
        for p in (ROOT / pkg).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert too_big == {}


@pytest.mark.parametrize("kind", sorted(COLLECTORS))
def test_every_source_kind_is_documented_in_the_readme(kind: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`{kind}`" in readme, f"source kind {kind!r} is not documented in README.md"
    assert COLLECTORS[kind].description
