"""What the reports need: opportunity probability, invoice coupons, a money-by-month index.

Revision ID: 0007_reports
Revises: 0006_licences
Create Date: 2026-12-07

``opportunities.probability`` (Salesforce ``Probability``, percent) weights the pipeline;
``invoices.coupon`` names the coupons of an invoice's discounts for coupon revenue.

On SQLite, which aggregates by sorting, an expression index on ``money_entries (kind,
currency, substr(occurred_at, 1, 7), amount_minor)`` hands revenue by month its rows already
grouped, so a million payments are summed without a sort (bench/README.md: 5.8 s -> 0.2 s).
PostgreSQL hash-aggregates and needs none (``to_char`` cannot be indexed anyway).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_reports"
down_revision = "0006_licences"
branch_labels = None
depends_on = None

MONEY_INDEX = "ix_money_entries_kind_currency_month_amount"


def upgrade() -> None:
    """Add the columns and, on SQLite, the index."""
    with op.batch_alter_table("opportunities") as batch:
        batch.add_column(sa.Column("probability", sa.Numeric(5, 2), nullable=True))
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("coupon", sa.String(255), nullable=True))
    if op.get_context().dialect.name == "sqlite":
        op.execute(f"CREATE INDEX {MONEY_INDEX} ON money_entries "
                   "(kind, currency, substr(occurred_at, 1, 7), amount_minor)")


def downgrade() -> None:
    """Drop them again."""
    if op.get_context().dialect.name == "sqlite":
        op.execute(f"DROP INDEX IF EXISTS {MONEY_INDEX}")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("coupon")
    with op.batch_alter_table("opportunities") as batch:
        batch.drop_column("probability")
