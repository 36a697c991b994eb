"""`vigie apikey create|list|revoke`: API keys, from the server (no key needed: access to the database is)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from app.apikeys import SCOPES, Scope, hash_key, issue_key
from app.cli.common import load_settings, migrated_engine
from app.db import reading, writing
from app.db.schema import utcnow
from app.storage import apikeys as store
from app.storage.workspaces import ensure_workspace, get_workspace


@click.group("apikey")
def apikey_group() -> None:
    """Create, list or revoke the API keys that open the REST API."""


@apikey_group.command("create")
@click.option("--name", required=True, help="Who or what uses the key, e.g. grafana.")
@click.option("--scope", type=click.Choice(SCOPES), required=True, help="read, write (read + data) or admin.")
@click.option("--workspace", help="Workspace name (default: VIGIE_DEFAULT_WORKSPACE); created if it does not exist.")
def apikey_create(name: str, scope: Scope, workspace: str | None) -> None:
    """Make a key and print it once (alone on stdout, so that `KEY=$(vigie apikey create ...)` works)."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise click.BadParameter("give 1 to 100 characters", param_hint="--name")
    settings = load_settings()
    ws_name = workspace or settings.default_workspace
    engine = migrated_engine(settings)
    try:
        with writing(engine) as conn:
            created = get_workspace(conn, name=ws_name) is None
            ws = ensure_workspace(conn, name=ws_name)
            issued = issue_key(conn, workspace_id=ws["id"], name=name, scope=scope, now=utcnow())
    finally:
        engine.dispose()
    if created:
        click.echo(f"workspace {ws_name!r} created", err=True)
    row = issued.row
    click.echo(
        f"API key {row['id']} ({row['prefix']}…, {name!r}, scope {scope}) for workspace {ws_name!r}; "
        "shown once, store it now:",
        err=True,
    )
    click.echo(issued.key)


def _when(at: datetime | None, none: str) -> str:
    return f"{at:%Y-%m-%d %H:%M}" if at else none


@apikey_group.command("list")
@click.option("--workspace", help="Only this workspace's keys (default: every workspace).")
def apikey_list(workspace: str | None) -> None:
    """List keys (never the keys themselves): id, prefix, workspace, name, scope, created, last used, revoked."""
    settings = load_settings()
    engine = migrated_engine(settings)
    try:
        with reading(engine) as conn:
            ws = get_workspace(conn, name=workspace) if workspace else None
            if workspace and ws is None:
                raise click.ClickException(f"no workspace named {workspace!r}")
            rows = store.list_all_api_keys(conn, workspace_id=ws["id"] if ws else None)
    finally:
        engine.dispose()
    header = f"{'id':>4}  {'prefix':<11} {'workspace':<14} {'name':<24} {'scope':<6} {'created (UTC)':<17} "
    click.echo(header + f"{'last used':<17} revoked")
    for r in rows:
        click.echo(
            f"{r['id']:>4}  {r['prefix']:<11} {r['workspace'][:14]:<14} {r['name'][:24]:<24} {r['scope']:<6} "
            f"{_when(r['created_at'], ''):<17} {_when(r['last_used_at'], 'never'):<17} {_when(r['revoked_at'], '-')}"
        )
    if not rows:
        click.echo("(no API key)")


def _find(conn: Any, ident: str) -> dict[str, Any]:
    """The one key named by an id, a prefix, or the whole key."""
    if ident.isdigit():
        found = store.find_api_keys(conn, key_id=int(ident))
    else:
        whole = store.get_api_key_by_hash(conn, key_hash=hash_key(ident))
        found = [whole] if whole else store.find_api_keys(conn, prefix=ident)
    if not found:
        raise click.ClickException(f"no API key with id or prefix {ident!r} (see `vigie apikey list`)")
    if len(found) > 1:
        ids = ", ".join(str(r["id"]) for r in found)
        raise click.ClickException(f"{len(found)} keys have the prefix {ident!r} (ids {ids}); give the id instead")
    return found[0]


@apikey_group.command("revoke")
@click.argument("prefix_or_id")
def apikey_revoke(prefix_or_id: str) -> None:
    """Revoke a key (by id, prefix or the key itself) at once; it stays listed, revoked."""
    settings = load_settings()
    engine = migrated_engine(settings)
    try:
        with writing(engine) as conn:
            row = _find(conn, prefix_or_id)
            already = row["revoked_at"]
            row = store.revoke_api_key(conn, key_id=row["id"], now=utcnow())
    finally:
        engine.dispose()
    what = f"API key {row['id']} ({row['prefix']}…, {row['name']!r})"
    if already:
        click.echo(f"{what} was already revoked on {_when(already, '')} UTC")
    else:
        click.echo(f"{what} revoked: it opens nothing from now on")
