"""`vigie import`, `vigie score` and `vigie collect`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from alerts.scoring import Scorer, ScoringContext
from app.cli.common import load_settings, migrated_engine
from app.db import writing
from app.db.schema import utcnow
from app.detect import replay
from app.importer import read_import_file
from app.pipeline import IngestReport, ingest_drafts, load_ingest_context
from app.route import reroute_workspace
from app.storage.brands import list_brands
from app.storage.sources import ensure_internal_source
from app.storage.workspaces import ensure_workspace

IMPORT_BATCH = 500


class _DryRun(Exception):
    """Raised to roll the import transaction back."""


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--workspace", help="Workspace name (default: VIGIE_DEFAULT_WORKSPACE).")
@click.option("--dry-run", is_flag=True, help="Run the pipeline and report, but store and deliver nothing.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid lines even if some lines are invalid.")
def import_cmd(file: Path, workspace: str | None, dry_run: bool, skip_invalid: bool) -> None:
    """Ingest mentions from a JSONL or CSV FILE, keeping their own timestamps."""
    try:
        parsed = read_import_file(file)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc)) from None
    for problem in parsed.problems:
        click.echo(f"{file}: {problem}", err=True)
    if parsed.problems and not skip_invalid:
        raise click.ClickException(
            f"{len(parsed.problems)} invalid line(s), nothing imported; fix them or pass --skip-invalid"
        )
    settings = load_settings()
    engine = migrated_engine(settings)
    total, opened = IngestReport(), 0
    try:
        with writing(engine) as conn:
            ws = ensure_workspace(conn, name=workspace or settings.default_workspace)
            source = ensure_internal_source(conn, workspace_id=ws["id"], kind="import")
            context = load_ingest_context(conn, workspace_id=ws["id"])
            drafts = [m.to_draft() for m in parsed.mentions]
            for i in range(0, len(drafts), IMPORT_BATCH):
                report = ingest_drafts(
                    conn,
                    workspace_id=ws["id"],
                    source_id=source["id"],
                    drafts=drafts[i : i + IMPORT_BATCH],
                    context=context,
                    now=utcnow(),
                )
                total.fetched += report.fetched
                total.new += report.new
                total.duplicate += report.duplicate
                total.unmatched += report.unmatched
            opened = _detect_imported(conn, ws, [m.published_at for m in parsed.mentions if m.published_at])
            if dry_run:
                raise _DryRun
            # History is not news, but a crisis still live at the end of the import is: route it (the outbox).
            reroute_workspace(conn, workspace_id=ws["id"], now=utcnow(), settings=settings)
    except _DryRun:
        pass
    finally:
        engine.dispose()
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{file}: read {total.fetched}, {verb} {total.new} new, {total.duplicate} duplicate(s), "
        f"{total.unmatched} matching no brand, {len(parsed.problems)} invalid line(s) skipped; "
        f"detection replayed over the imported period: {opened} incident change(s)"
    )


def _detect_imported(conn: Any, workspace: dict[str, Any], times: list) -> int:
    """Replay detection over the imported period, as live polling would have seen it."""
    if not times:
        return 0
    end = min(max(times), utcnow())
    brands = list_brands(conn, workspace_id=workspace["id"])
    return replay(conn, workspace=workspace, brands=brands, start=min(times), end=end)


@click.command("score")
@click.argument("text", required=False)
@click.option("--lang", help="Language of the text(s) when known (e.g. fr); detected otherwise.")
@click.option("--languages", default="fr,en", show_default=True, help="Languages to detect among (comma list).")
@click.option("--crisis-term", "crisis_terms", multiple=True, help="An extra crisis term (repeatable).")
def score_cmd(text: str | None, lang: str | None, languages: str, crisis_terms: tuple[str, ...]) -> None:
    """Score TEXT, or JSON lines {"text": ..., "lang"?: ...} on stdin, one JSON object out per line.

    Each output has `lang`, `sentiment` (`compound`, `label`), `complaint`, `risk` (0-100), `crisis` and `reasons`.
    Stdin is streamed: each line is written (and flushed) as soon as it is scored.
    """
    context = ScoringContext(
        languages=tuple(x.strip() for x in languages.split(",") if x.strip()), crisis_terms=crisis_terms
    )
    scorer = Scorer(context)
    if text is not None:
        click.echo(json.dumps(_score(scorer, text, lang), ensure_ascii=False))
        return
    for number, line in enumerate(sys.stdin, start=1):
        if line.strip():
            click.echo(json.dumps(_score_line(scorer, line, number, lang), ensure_ascii=False))
            sys.stdout.flush()


def _score_line(scorer: Scorer, line: str, number: int, lang: str | None) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"line": number, "error": f"not valid JSON ({exc.msg})"}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return {"line": number, "error": 'expected {"text": "...", "lang"?: "fr"}'}
    out = _score(scorer, item["text"], item.get("lang") or lang)
    return {"id": item["id"], **out} if "id" in item else out


def _score(scorer: Scorer, text: str, lang: str | None) -> dict[str, Any]:
    s = scorer.score(text, lang=lang)
    return {
        "lang": s.lang,
        "sentiment": {"compound": s.sentiment_compound, "label": s.sentiment_label},
        "complaint": s.complaint,
        "risk": s.risk,
        "crisis": s.crisis,
        "reasons": s.reasons,
    }


@click.command("collect")
@click.option("--once", is_flag=True, required=True, help="Collect every due source once, then exit.")
def collect_cmd(once: bool) -> None:
    """Collect every source that is due now, once, and print what each run did."""
    from app.collect import CollectWorker

    settings = load_settings()
    engine = migrated_engine(settings)
    worker = CollectWorker(engine, settings)
    try:
        reports = worker.run_once()
    finally:
        worker.close()
        engine.dispose()
    for r in reports:
        click.echo(
            f"{r.status}: fetched {r.fetched}, new {r.new}, duplicate {r.duplicate}"
            + (f" — {r.error}" if r.error else "")
        )
    click.echo(f"{len(reports)} source(s) collected")
