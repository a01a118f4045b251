"""What the reports need: opportunity probability, invoice coupons, a covering money index.

Revision ID: 0005_reports
Revises: 0004_generation
Create Date: 2026-12-07

``opportunities.probability`` (Salesforce ``Probability``, percent) weights the pipeline;
``invoices.coupon`` names the coupons of an invoice's discounts for coupon revenue; the
index on ``money_entries (kind, occurred_at, currency, amount_minor)`` lets revenue by month
aggregate a million payments from the index alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_reports"
down_revision = "0004_generation"
branch_labels = None
depends_on = None

MONEY_INDEX = "ix_money_entries_kind_occurred_at_currency_amount_minor"


def upgrade() -> None:
    """Add the columns and the index."""
    with op.batch_alter_table("opportunities") as batch:
        batch.add_column(sa.Column("probability", sa.Numeric(5, 2), nullable=True))
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("coupon", sa.String(255), nullable=True))
    op.create_index(MONEY_INDEX, "money_entries",
                    ["kind", "occurred_at", "currency", "amount_minor"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index(MONEY_INDEX, table_name="money_entries")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("coupon")
    with op.batch_alter_table("opportunities") as batch:
        batch.drop_column("probability")
