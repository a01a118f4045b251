"""The notification catalog: announced facts and the notification retry schedule.

Revision ID: 0011_notification_catalog
Revises: 0010_stripe_import
Create Date: 2026-12-08

``announcements`` holds each fact the catalog may announce, once by its key, until the catalog
step has expanded it into notifications; ``notification_retries`` when a notification that
met a temporary SMTP refusal may be tried again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_notification_catalog"
down_revision = "0010_stripe_import"
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the two tables."""
    op.create_table(
        "announcements",
        sa.Column("id", KEY, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fact", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("address", sa.String(320), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        _ts("moment"), _ts("occurred_at", nullable=False), _ts("expanded_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
        sa.UniqueConstraint("key", name=op.f("uq_announcements_key")),
    )
    op.create_index(op.f("ix_announcements_account_id"), "announcements", ["account_id"])
    op.create_index(op.f("ix_announcements_expanded_at"), "announcements", ["expanded_at"])
    op.create_table(
        "notification_retries",
        sa.Column("notification_id", KEY, nullable=False),
        _ts("next_attempt_at", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"],
                                name=op.f("fk_notification_retries_notification_id_"
                                          "notifications")),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_notification_retries")),
    )
    op.create_index(op.f("ix_notification_retries_next_attempt_at"), "notification_retries",
                    ["next_attempt_at"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("notification_retries")
    op.drop_table("announcements")
