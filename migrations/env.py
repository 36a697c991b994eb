"""Alembic environment: runs migrations on the URL given by app.db.migrate (SQLite or PostgreSQL)."""

from __future__ import annotations

from alembic import context

from app.db.engine import make_engine
from app.db.schema import metadata

config = context.config


def run_migrations_online() -> None:
    """Run every pending migration in one transaction per migration."""
    engine = make_engine(config.get_main_option("sqlalchemy.url"), pool_size=1)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `vigie migrate` on the database")
run_migrations_online()
