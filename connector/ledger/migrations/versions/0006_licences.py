"""Licences, the per-account customer summary and licence facts.

Revision ID: 0006_licences
Revises: 0005_connection_states
Create Date: 2026-12-07

``licences`` holds each licence as read from the licence object (``license.toml``);
``account_summaries`` what the Account page shows, journaled as ``account_summary``;
``licence_facts`` each licence change and discrepancy, once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_licences"
down_revision = "0005_connection_states"
branch_labels = None
depends_on = None

STATUSES = "'Active', 'Trial', 'Expired', 'Suspended'"


def _ts(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                   name=op.f(f"fk_{table}_account_id_accounts"))


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "licences",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("source_object", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expiration", sa.Date(), nullable=True),
        sa.Column("seats", sa.BigInteger(), nullable=False),
        sa.Column("used_seats", sa.BigInteger(), nullable=False),
        sa.Column("active_users", sa.BigInteger(), nullable=True),
        _ts("created_at", nullable=False), _ts("updated_at", nullable=False), _ts("deleted_at"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_licences_status")),
        sa.CheckConstraint("seats >= -1", name=op.f("ck_licences_seats_site_or_count")),
        sa.CheckConstraint("used_seats >= 0",
                           name=op.f("ck_licences_used_seats_non_negative")),
        _account_fk("licences"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licences")),
    )
    op.create_index(op.f("ix_licences_account_id"), "licences", ["account_id"])
    op.create_table(
        "account_summaries",
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("utilisation", sa.Numeric(9, 1), nullable=True),
        sa.Column("discrepancies", sa.JSON(), nullable=False),
        _ts("updated_at", nullable=False),
        _account_fk("account_summaries"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_summaries")),
    )
    op.create_table(
        "licence_facts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _ts("occurred_at", nullable=False),
        sa.CheckConstraint("kind IN ('license_changes', 'license_discrepancy')",
                           name=op.f("ck_licence_facts_kind")),
        _account_fk("licence_facts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_facts")),
        sa.UniqueConstraint("key", name=op.f("uq_licence_facts_key")),
    )
    op.create_index(op.f("ix_licence_facts_account_id"), "licence_facts", ["account_id"])
    op.create_index(op.f("ix_licence_facts_occurred_at"), "licence_facts", ["occurred_at"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("licence_facts")
    op.drop_table("account_summaries")
    op.drop_table("licences")
