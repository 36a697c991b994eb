"""`vigie purge`: delete the mentions past each workspace's retention now (or, with --dry-run, say what would go)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from app.cli.common import load_settings, migrated_engine
from app.db import reading
from app.db.schema import utcnow
from app.purge import PurgeReport, preview_purge, purge_workspace
from app.storage.retention import retention_workspaces


def describe(report: PurgeReport, *, timezone: str, dry_run: bool) -> str:
    """One line per workspace: its retention, its horizon and what was (would be) deleted."""
    verb = "would delete" if dry_run else "deleted"
    expired = f"{report.tombstones_expired} expired tombstones {'would be' if dry_run else 'were'} forgotten"
    if report.horizon is None:
        return f"{report.workspace}: keeps its mentions forever (retention 0); {expired}"
    c = report.counts
    horizon = report.horizon.astimezone(ZoneInfo(timezone)).isoformat()
    return (
        f"{report.workspace}: retention {report.days} days, mentions published before {horizon} ({timezone}): "
        f"{verb} {c['mentions']} mentions, {c['brand_links']} brand links, {c['incident_links']} incident links "
        f"({c['incidents']} incidents keep their explanation and summary); {expired}"
    )


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; delete nothing.")
@click.option("--workspace", help="Only this workspace (default: every workspace).")
def purge_cmd(dry_run: bool, workspace: str | None) -> None:
    """Delete the mentions older than each workspace's retention (VIGIE_RETENTION_DAYS, or the workspace's own
    retention_days), with their brand and incident links, keeping their tombstones and the rollups; forget expired
    tombstones. The alert role does the same on its own every VIGIE_PURGE_TICK_SECONDS."""
    settings = load_settings()
    engine = migrated_engine(settings)
    try:
        with reading(engine) as conn:
            workspaces = retention_workspaces(conn, name=workspace)
        if workspace and not workspaces:
            raise click.ClickException(f"no workspace named {workspace!r}")
        for ws in workspaces:
            now = utcnow()
            if dry_run:
                report = preview_purge(engine, workspace=ws, settings=settings, now=now)
            else:
                report = purge_workspace(engine, workspace=ws, settings=settings, now=now)
            click.echo(describe(report, timezone=ws["timezone"], dry_run=dry_run))
    finally:
        engine.dispose()
