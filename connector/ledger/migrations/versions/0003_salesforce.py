"""Salesforce API usage: the org's reported usage and when it was read.

Revision ID: 0003_salesforce
Revises: 0001
Create Date: 2026-12-02

``api_usage`` kept our own calls per day and the allocation; ``status`` also shows how much
of the org's allocation is used (``Sforce-Limit-Info``), so it is stored next to them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_salesforce"
down_revision = "0002_daemon_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``org_used`` and ``updated_at`` to ``api_usage``."""
    with op.batch_alter_table("api_usage") as batch:
        batch.add_column(sa.Column("org_used", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the two columns again."""
    with op.batch_alter_table("api_usage") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("org_used")
