"""The `vigie` command line."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.apikeys import apikey_group
from app.cli.common import load_settings
from app.cli.curation import labels_group, rollups_group
from app.cli.detection import backtest_cmd
from app.cli.mentions import collect_cmd, import_cmd, score_cmd
from app.cli.reports import report_cmd
from app.cli.retention import purge_cmd
from app.cli.setup import config_group, sources_group


@click.group()
def main() -> None:
    """Vigie: brand monitoring and e-reputation alerts."""


@main.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.option("--downgrade", "down", is_flag=True, help="Downgrade to --revision instead (e.g. base).")
def migrate(revision: str, down: bool) -> None:
    """Upgrade the database to the latest migration (or downgrade)."""
    from app.db import migrate as migrations

    settings = load_settings()
    (migrations.downgrade if down else migrations.upgrade)(settings.database_url, revision)
    click.echo(f"database at migration {migrations.current_revision_of(settings.database_url) or 'base'}")


@main.command()
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help="Apply first.")
@click.option("--host", help="Listen address (default 127.0.0.1).")
@click.option("--port", type=int, help="Listen port (default 8000).")
@click.option("--roles", help="Comma list of roles: api, collect, alert (default all).")
@click.option("--workers", type=int, help="API processes (uvicorn workers) for the api role (default 1).")
def serve(config_file: Path | None, host: str | None, port: int | None, roles: str | None, workers: int | None) -> None:
    """Run Vigie: the REST API, the collector and/or the alert role, in one process (with --workers N > 1, the
    API in N worker processes). At the first start (no API key at all) the API makes an admin key and shows it
    once."""
    from app.serve import run

    run(load_settings(host=host, port=port, roles=roles, config=config_file, api_workers=workers))


for command in (
    config_group,
    sources_group,
    import_cmd,
    score_cmd,
    collect_cmd,
    backtest_cmd,
    apikey_group,
    labels_group,
    rollups_group,
    report_cmd,
    purge_cmd,
):
    main.add_command(command)
