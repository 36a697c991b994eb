"""`vigie config check|apply` and `vigie sources kinds`."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import load_settings, migrated_engine
from app.config_file import ConfigError, apply_config, load_config
from app.db import writing
from collectors.registry import COLLECTORS

FilePath = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("config")
def config_group() -> None:
    """Check or apply a monitoring config file (workspace, brands, sources)."""


def _load(path: Path):  # noqa: ANN202
    try:
        return load_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@config_group.command("check")
@click.argument("file", type=FilePath)
def config_check(file: Path) -> None:
    """Validate FILE without touching the database."""
    config = _load(file)
    click.echo(
        f"{file}: OK — workspace {config.workspace.name!r}, {len(config.brands)} brand(s), "
        f"{len(config.sources)} source(s)"
    )


@config_group.command("apply")
@click.argument("file", type=FilePath)
def config_apply(file: Path) -> None:
    """Create or update what FILE describes; applying it twice changes nothing."""
    config = _load(file)
    engine = migrated_engine(load_settings())
    try:
        with writing(engine) as conn:
            report = apply_config(conn, config)
    finally:
        engine.dispose()
    for label, names in (("created", report.created), ("updated", report.updated)):
        for name in names:
            click.echo(f"{label}: {name}")
    for name in report.not_in_file:
        click.echo(f"kept (not in the file): {name}")
    click.echo(f"{len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged")


@click.group("sources")
def sources_group() -> None:
    """Source kinds and their parameters."""


@sources_group.command("kinds")
def sources_kinds() -> None:
    """List the source kinds Vigie can collect, with their parameters."""
    for kind, collector in sorted(COLLECTORS.items()):
        click.echo(f"{kind}: {collector.description}")
        for name, doc in getattr(collector, "params_doc", {}).items():
            click.echo(f"    {name}: {doc}")
