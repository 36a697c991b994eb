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


def _commands(group, prefix: str = "vigie") -> list[str]:
    import click

    names = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            names += _commands(cmd, f"{prefix} {name}")
        else:
            names.append(f"{prefix} {name}")
    return names


def test_every_cli_command_is_in_the_readme() -> None:
    from app.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [c for c in _commands(main) if f"`{c}" not in readme]
    assert missing == []


def test_readme_starts_with_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
