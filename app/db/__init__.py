"""Database access: engine, schema, transactions and migrations."""

from app.db.engine import make_engine, reading, writing, writing_nowait

__all__ = ["make_engine", "reading", "writing", "writing_nowait"]
