"""`vigie config check|apply` and `vigie sources kinds`."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import load_settings, migrated_engine
from app.config_file import ConfigError, apply_config, config_notes, load_config, url_problems
from app.db import writing
from collectors.registry import COLLECTORS

FilePath = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("config")
def config_group() -> None:
    """Check or apply a monitoring config file (workspace, brands, sources, channels, routes, silences)."""


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
    refused = url_problems(config, allow_private=load_settings().allow_private_urls)
    if refused:
        raise click.ClickException(f"{file}: {len(refused)} problem(s):\n" + "\n".join(f"  {p}" for p in refused))
    for note in config_notes(config):
        click.echo(f"note: {note}")
    click.echo(
        f"{file}: OK — workspace {config.workspace.name!r}, {len(config.brands)} brand(s), "
        f"{len(config.sources)} source(s), {len(config.channels)} channel(s), {len(config.routes)} route(s), "
        f"{len(config.silences)} silence(s)"
    )


@config_group.command("apply")
@click.argument("file", type=FilePath)
def config_apply(file: Path) -> None:
    """Create or update what FILE describes; applying it twice changes nothing."""
    config = _load(file)
    settings = load_settings()
    engine = migrated_engine(settings)
    try:
        with writing(engine) as conn:
            report = apply_config(conn, config, settings=settings)
    except ConfigError as exc:
        raise click.ClickException(f"{file}: nothing applied: {exc}") from None
    finally:
        engine.dispose()
    for line in report.secrets:
        click.echo(line)
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
