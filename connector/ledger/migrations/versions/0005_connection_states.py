"""Connection states per system, admin pauses, and the changes into and out of errors.

Revision ID: 0005_connection_states
Revises: 0004_generation
Create Date: 2026-12-07

``connection_states`` holds each system's state (IDLE, POLLING, PAUSED, SYSTEM_ERROR,
DB_UNAVAILABLE, UNAUTHORIZED) and the admin's ``pause`` flag, which survives restarts;
``connection_state_changes`` records every entry into and exit from an error state, for
the partner notifications (``notified_at`` is theirs to set).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_connection_states"
down_revision = "0004_generation"
branch_labels = None
depends_on = None

STATES = ("IDLE", "POLLING", "PAUSED", "SYSTEM_ERROR", "DB_UNAVAILABLE", "UNAUTHORIZED")


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create both tables."""
    allowed = ", ".join(f"'{state}'" for state in STATES)
    op.create_table(
        "connection_states",
        sa.Column("system", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        _ts("since"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("system", name=op.f("pk_connection_states")),
        sa.CheckConstraint(f"state IN ({allowed})", name=op.f("ck_connection_states_state")),
    )
    op.create_table(
        "connection_state_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("system", sa.String(16), nullable=False),
        sa.Column("old_state", sa.String(16), nullable=False),
        sa.Column("new_state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _ts("at"),
        _ts("notified_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_state_changes")),
    )
    op.create_index(op.f("ix_connection_state_changes_system"), "connection_state_changes",
                    ["system"])
    op.create_index(op.f("ix_connection_state_changes_notified_at"),
                    "connection_state_changes", ["notified_at"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("connection_state_changes")
    op.drop_table("connection_states")
