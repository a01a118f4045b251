"""Outbound webhooks: endpoints, events and deliveries.

Revision ID: 0009_outbound_webhooks
Revises: 0007_reports
Create Date: 2026-12-08

``webhook_endpoints`` mirrors ``[[webhooks.endpoints]]`` with each endpoint's state (disabled
by a 410 Gone, when and why); ``webhook_events`` one row per fact, its ``id`` the
``webhook-id`` and its ``body`` the bytes signed; ``webhook_deliveries`` one per event and
endpoint, with its attempts and the next one's time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_outbound_webhooks"
down_revision = "0007_reports"
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", KEY, nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("configured", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _ts("disabled_at"),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("last_attempt_at"),
        _ts("last_success_at"),
        _ts("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        sa.UniqueConstraint("url", name=op.f("uq_webhook_endpoints_url")),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _ts("occurred_at", nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("key", name=op.f("uq_webhook_events_key")),
    )
    op.create_index(op.f("ix_webhook_events_occurred_at"), "webhook_events", ["occurred_at"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", KEY, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("endpoint_id", KEY, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at", nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("delivered_at"),
        _ts("created_at", nullable=False),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed', 'skipped')",
                           name=op.f("ck_webhook_deliveries_status")),
        sa.ForeignKeyConstraint(["event_id"], ["webhook_events.id"],
                                name=op.f("fk_webhook_deliveries_event_id_webhook_events")),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoints.id"],
                                name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("event_id", "endpoint_id",
                            name=op.f("uq_webhook_deliveries_event_id_endpoint_id")),
    )
    for column in ("event_id", "endpoint_id", "next_attempt_at"):
        op.create_index(op.f(f"ix_webhook_deliveries_{column}"), "webhook_deliveries", [column])


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_events")
    op.drop_table("webhook_endpoints")
