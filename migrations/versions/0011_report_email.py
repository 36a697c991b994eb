"""Weekly reports: e-mail sending state (due time, lease, attempts, last error, channels already sent to).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reports", sa.Column("email_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("reports", sa.Column("email_lease_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("reports", sa.Column("email_attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("reports", sa.Column("email_error", sa.Text(), nullable=True))
    op.add_column(
        "reports", sa.Column("emailed_channels", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
    )
    op.create_index("ix_reports_email_due", "reports", ["email_due_at"])


def downgrade() -> None:
    op.drop_index("ix_reports_email_due", table_name="reports")
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL), as in 0009.
    for name in ("emailed_channels", "email_error", "email_attempts", "email_lease_until", "email_due_at"):
        op.execute(f"ALTER TABLE reports DROP COLUMN {name}")
