"""Database access: engine, schema, transactions and migrations."""

from app.db import retention_schema  # noqa: F401  (its tables join app.db.schema's metadata)
from app.db.engine import make_engine, reading, writing, writing_nowait

__all__ = ["make_engine", "reading", "writing", "writing_nowait"]
