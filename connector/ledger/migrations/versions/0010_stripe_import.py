"""The record of Stripe objects brought in by ``import stripe``.

Revision ID: 0010_stripe_import
Revises: 0009_outbound_webhooks
Create Date: 2026-12-08

``stripe_imports`` names each ledger customer and subscription that existed in Stripe before
the daemon (see :mod:`connector.ledger.stripe_import`): how it found its Salesforce Account,
and whether it is mirrored to Salesforce. The import's cursors live in ``cursors``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_stripe_import"
down_revision = "0009_outbound_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``stripe_imports``."""
    op.create_table(
        "stripe_imports",
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("stripe_id", sa.String(255), nullable=False),
        sa.Column("account_match", sa.String(16), nullable=True),
        sa.Column("mirrored", sa.Boolean(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("account_match IN ('metadata', 'email')",
                           name=op.f("ck_stripe_imports_account_match")),
        sa.PrimaryKeyConstraint("entity_type", "entity_id", name=op.f("pk_stripe_imports")),
    )
    op.create_index(op.f("ix_stripe_imports_stripe_id"), "stripe_imports", ["stripe_id"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_stripe_imports_stripe_id", table_name="stripe_imports")
    op.drop_table("stripe_imports")
