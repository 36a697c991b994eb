"""`vigie backtest`: replay stored history through detection and list the incidents it would open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
import sqlalchemy as sa

from app.cli.common import load_settings, migrated_engine
from app.db import writing
from app.db.schema import incidents, mention_brands, mentions, utcnow
from app.detect import replay
from app.specs import parse_interval
from app.storage.brands import list_brands
from app.storage.incidents import IncidentFilter, list_incidents
from app.storage.workspaces import get_workspace


class _Rollback(Exception):
    """Raised to undo everything a backtest wrote."""


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@click.command("backtest")
@click.option("--since", help="Start (ISO 8601; default: the oldest mention of the brands, at most 90 days ago).")
@click.option("--until", help="End (ISO 8601; default: now).")
@click.option("--brand", "brand_names", multiple=True, help="Only this brand (repeatable; default: all).")
@click.option("--workspace", help="Workspace name (default: VIGIE_DEFAULT_WORKSPACE).")
@click.option("--step", default="5m", show_default=True, help="Time between two evaluations, like the polling.")
def backtest_cmd(
    since: str | None, until: str | None, brand_names: tuple[str, ...], workspace: str | None, step: str
) -> None:
    """Replay stored history through detection; list the incidents it would open. Stores and delivers nothing."""
    settings = load_settings()
    engine = migrated_engine(settings)
    try:
        with writing(engine) as conn:
            found = _backtest(
                conn,
                workspace or settings.default_workspace,
                brand_names,
                _when(since),
                _when(until),
                timedelta(seconds=parse_interval(step)),
            )
            raise _Rollback
    except _Rollback:
        pass
    finally:
        engine.dispose()
    for row in found:
        click.echo(f"{row['opened_at']:%Y-%m-%d %H:%M} {row['severity']:<8} {row['kind']:<18} {row['explanation']}")
    click.echo(f"{len(found)} incident(s) would have been opened")


def _backtest(
    conn: sa.Connection,
    workspace_name: str,
    brand_names: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    step: timedelta,
) -> list[dict]:
    workspace = get_workspace(conn, name=workspace_name)
    if workspace is None:
        raise click.ClickException(f"no workspace named {workspace_name!r}")
    brands = [b for b in list_brands(conn, workspace_id=workspace["id"]) if not brand_names or b["name"] in brand_names]
    if not brands:
        raise click.ClickException("no brand to replay; check --brand against `GET /api/v1/brands`")
    until = until or utcnow()
    if since is None:
        oldest = conn.execute(
            sa.select(sa.func.min(mentions.c.published_at))
            .join(mention_brands, mention_brands.c.mention_id == mentions.c.id)
            .where(mention_brands.c.brand_id.in_([b["id"] for b in brands]))
        ).scalar()
        since = max(oldest or until, until - timedelta(days=90))
    # Start from a clean slate inside this (rolled back) transaction: live incidents must not shape the replay.
    conn.execute(sa.delete(incidents).where(incidents.c.workspace_id == workspace["id"]))
    replay(conn, workspace=workspace, brands=brands, start=since, end=until, step=step)
    rows = list_incidents(conn, workspace_id=workspace["id"], filters=IncidentFilter(), limit=10_000)
    return sorted(rows, key=lambda r: r["opened_at"])
