"""Opportunities and line items keep the record as read; opportunities a generation state.

Revision ID: 0004_generation
Revises: 0003_salesforce
Create Date: 2026-12-07

Line items are read as their own stream, so an opportunity won later is generated from the
ledger's copies of its line items (``record``), and ``generation`` says whether it still has
potential subscriptions to generate (``pending``), has them (``done``) or is history (won
before ``[sync] generate_since``). Opportunities that already have subscriptions are ``done``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_generation"
down_revision = "0003_salesforce"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns; mark opportunities with subscriptions as generated."""
    with op.batch_alter_table("opportunities") as batch:
        batch.add_column(sa.Column("generation", sa.String(16), nullable=True))
        batch.add_column(sa.Column("record", sa.JSON(none_as_null=True), nullable=True))
        batch.create_index("ix_opportunities_generation", ["generation"])
    with op.batch_alter_table("line_items") as batch:
        batch.add_column(sa.Column("record", sa.JSON(none_as_null=True), nullable=True))
    op.execute("UPDATE opportunities SET generation = 'done' WHERE id IN "
               "(SELECT opportunity_id FROM subscriptions WHERE opportunity_id IS NOT NULL)")


def downgrade() -> None:
    """Drop the columns again."""
    with op.batch_alter_table("line_items") as batch:
        batch.drop_column("record")
    with op.batch_alter_table("opportunities") as batch:
        batch.drop_index("ix_opportunities_generation")
        batch.drop_column("record")
        batch.drop_column("generation")
