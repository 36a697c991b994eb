"""What every command shares: settings built at the entry point, and an engine over them."""

from __future__ import annotations

import click
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from app.db import make_engine
from app.db.migrate import current_revision, head_revision
from app.settings import Settings


def load_settings(**overrides: object) -> Settings:
    """Build the settings; exit with the list of bad variables if any is invalid."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        lines = [f"  VIGIE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
        raise click.ClickException("invalid settings:\n" + "\n".join(lines)) from None


def migrated_engine(settings: Settings) -> Engine:
    """An engine on a database at the latest migration; otherwise exit saying to run `vigie migrate`."""
    engine = make_engine(settings.database_url)
    try:
        current = current_revision(engine)
    except Exception as exc:
        raise click.ClickException(f"cannot reach the database ({type(exc).__name__}: {exc})") from None
    head = head_revision()
    if current != head:
        engine.dispose()
        raise click.ClickException(
            f"the database is at migration {current or 'none'}, this Vigie needs {head}: run `vigie migrate` first"
        )
    return engine
