"""What the running daemon reports about itself, for ``status`` in another process.

Revision ID: 0002_daemon_state
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_daemon_state"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``daemon_state``: small JSON values by key (the mapping set in use, ...)."""
    op.create_table(
        "daemon_state",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_daemon_state")),
    )


def downgrade() -> None:
    """Drop ``daemon_state``."""
    op.drop_table("daemon_state")
