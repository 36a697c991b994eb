"""`vigie labels export` (hand-corrected sentiments as labelled data) and `vigie rollups rebuild`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from app.cli.common import load_settings, migrated_engine
from app.db import reading, writing
from app.storage.curation import corrected_mentions
from app.storage.rollups import rebuild_every_rollup
from app.storage.workspaces import get_workspace


@click.group("labels")
def labels_group() -> None:
    """Labelled data made by people (sentiment corrections), for the evaluation."""


@labels_group.command("export")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="JSONL file (default: stdout).")
@click.option("--workspace", help="Only this workspace (default: every workspace).")
def labels_export(out: Path | None, workspace: str | None) -> None:
    """Write every hand-corrected mention as one JSON line {id, lang, label, text, title}; evaluate the scorer
    on them with `python eval/sentiment.py --labels FILE`."""
    settings = load_settings()
    engine = migrated_engine(settings)
    try:
        with reading(engine) as conn:
            workspace_id = None
            if workspace:
                ws = get_workspace(conn, name=workspace)
                if ws is None:
                    raise click.ClickException(f"no workspace named {workspace!r}")
                workspace_id = ws["id"]
            rows = corrected_mentions(conn, workspace_id=workspace_id)
    finally:
        engine.dispose()
    lines = [
        json.dumps(
            {
                "id": f"mention-{r['id']}",
                "lang": r["lang"],
                "label": r["sentiment_manual"],
                "title": r["title"],
                "text": r["text"] if not r["title"] or r["title"] in r["text"] else f"{r['title']}\n{r['text']}",
                "corrected_at": r["sentiment_corrected_at"].isoformat(),
            },
            ensure_ascii=False,
        )
        for r in rows
    ]
    body = "".join(line + "\n" for line in lines)
    if out is None:
        sys.stdout.write(body)
    else:
        out.write_text(body, encoding="utf-8")
        click.echo(f"{len(lines)} corrected mentions written to {out}", err=True)


@click.group("rollups")
def rollups_group() -> None:
    """The mention counts behind the statistics (15-minute, hourly and daily rollups)."""


@rollups_group.command("rebuild")
def rollups_rebuild() -> None:
    """Recount every brand's rollups from the stored mentions (after a restore or a manual change in the database):
    the 15-minute rows from the mentions, the hourly and daily ones from those. Periods before a workspace's purge
    horizon keep their counts: their mentions are gone, the rollups are all that is left of them."""
    settings = load_settings()
    engine = migrated_engine(settings)
    try:
        with writing(engine) as conn:
            rebuild_every_rollup(conn)
    finally:
        engine.dispose()
    click.echo("rollups rebuilt")
