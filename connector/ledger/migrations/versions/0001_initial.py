"""Initial ledger schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Frozen: the value lists and helpers below are copies, not imports from the models, so this
revision keeps meaning what it meant when later models change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SOURCES = ("salesforce", "stripe", "ledger", "admin")
SUBSCRIPTION_STATUSES = (
    "potential", "active", "trialing", "past_due", "canceled", "expired",
    "incomplete", "incomplete_expired", "unpaid", "paused",
)  # fmt: skip

# Dropped children first.
TABLES = (
    "money_entries", "subscription_items", "invoices", "subscriptions", "line_items",
    "prices", "opportunities", "customers", "products", "accounts", "api_usage",
    "stripe_inbox", "conflicts", "notifications", "dead_letters", "outbox", "cursors",
    "journal", "links",
)  # fmt: skip


def _ts(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _key() -> sa.Column[object]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def _ledger_id() -> sa.Column[object]:
    return sa.Column("id", sa.String(64), nullable=False)


def _ref(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.String(64), nullable=nullable)


def _str(name: str, length: int, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _money(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _flag(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _entity_times() -> list[sa.Column[object]]:
    return [_ts("created_at", nullable=False), _ts("updated_at", nullable=False), _ts("deleted_at")]


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _ix(table: str, *columns: str) -> sa.Index:
    return sa.Index(op.f(f"ix_{table}_{'_'.join(columns)}"), *columns)


def _uq(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}"))


def _currency(table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        "length(currency) = 3 AND currency = lower(currency)", name=op.f(f"ck_{table}_currency")
    )


def _non_negative(table: str, column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{column} >= 0", name=op.f(f"ck_{table}_{column}_non_negative")
    )


def _positive(table: str, column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} > 0", name=op.f(f"ck_{table}_{column}_positive"))


def upgrade() -> None:
    """Create every ledger table."""
    _catalog()
    _sales()
    _billing()
    _bookkeeping()
    _delivery()


def downgrade() -> None:
    """Drop every ledger table."""
    for table in TABLES:
        op.drop_table(table)


def _catalog() -> None:
    op.create_table(
        "accounts",
        _ledger_id(),
        _str("name", 255),
        _str("csm_user_id", 64, nullable=True),
        _str("owner_user_id", 64, nullable=True),
        *_entity_times(),
        _pk("accounts"),
    )
    op.create_table(
        "products",
        _ledger_id(),
        _str("name", 255),
        _str("product_code", 255, nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        _flag("active"),
        *_entity_times(),
        _pk("products"),
        _ix("products", "product_code"),
    )
    op.create_table(
        "prices",
        _ledger_id(),
        _ref("product_id", nullable=False),
        _str("lookup_key", 255, nullable=True),
        _str("currency", 3),
        _money("unit_amount_minor", nullable=True),
        _str("interval", 8, nullable=True),
        sa.Column("interval_count", sa.Integer(), nullable=True),
        _flag("active"),
        *_entity_times(),
        _pk("prices"),
        _fk("prices", "product_id", "products"),
        _uq("prices", "lookup_key"),
        _currency("prices"),
        _non_negative("prices", "unit_amount_minor"),
        _one_of("prices", "interval", ("day", "week", "month", "year")),
        _positive("prices", "interval_count"),
        _ix("prices", "product_id"),
    )


def _sales() -> None:
    op.create_table(
        "opportunities",
        _ledger_id(),
        _ref("account_id"),
        _str("name", 255),
        _str("stage", 255),
        _flag("is_won"),
        _flag("is_closed"),
        sa.Column("close_date", sa.Date(), nullable=True),
        _str("currency", 3, nullable=True),
        _money("amount_minor", nullable=True),
        _flag("create_potential_subscription"),
        *_entity_times(),
        _pk("opportunities"),
        _fk("opportunities", "account_id", "accounts"),
        _currency("opportunities"),
        _non_negative("opportunities", "amount_minor"),
        _ix("opportunities", "account_id"),
    )
    op.create_table(
        "line_items",
        _ledger_id(),
        _ref("opportunity_id", nullable=False),
        _ref("product_id"),
        sa.Column("quantity", sa.Numeric(18, 6), nullable=False),
        _money("unit_price_minor", nullable=True),
        _str("currency", 3, nullable=True),
        sa.Column("service_date", sa.Date(), nullable=True),
        *_entity_times(),
        _pk("line_items"),
        _fk("line_items", "opportunity_id", "opportunities"),
        _fk("line_items", "product_id", "products"),
        _currency("line_items"),
        _non_negative("line_items", "quantity"),
        _non_negative("line_items", "unit_price_minor"),
        _ix("line_items", "opportunity_id"),
        _ix("line_items", "product_id"),
    )


def _billing() -> None:
    _customers()
    _subscriptions()
    _subscription_items()
    _invoices()


def _customers() -> None:
    op.create_table(
        "customers",
        _ledger_id(),
        _ref("account_id"),
        _str("email", 320, nullable=True),
        _str("name", 255, nullable=True),
        *_entity_times(),
        _pk("customers"),
        _fk("customers", "account_id", "accounts"),
        _ix("customers", "account_id"),
    )


def _subscriptions() -> None:
    op.create_table(
        "subscriptions",
        _ledger_id(),
        _ref("account_id"),
        _ref("opportunity_id"),
        _ref("line_item_id"),
        _ref("customer_id"),
        _str("status", 32),
        _str("currency", 3, nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        _str("csm_user_id", 64, nullable=True),
        _ts("trial_end"),
        _flag("cancel_at_period_end"),
        _ts("current_period_start"),
        _ts("current_period_end"),
        _ts("canceled_at"),
        _str("last_payment_status", 64, nullable=True),
        _money("mrr_minor", nullable=True),
        _money("arr_minor", nullable=True),
        *_entity_times(),
        _pk("subscriptions"),
        _fk("subscriptions", "account_id", "accounts"),
        _fk("subscriptions", "opportunity_id", "opportunities"),
        _fk("subscriptions", "line_item_id", "line_items"),
        _fk("subscriptions", "customer_id", "customers"),
        _uq("subscriptions", "line_item_id"),
        _one_of("subscriptions", "status", SUBSCRIPTION_STATUSES),
        _currency("subscriptions"),
        _positive("subscriptions", "term_months"),
        _non_negative("subscriptions", "mrr_minor"),
        _non_negative("subscriptions", "arr_minor"),
        _ix("subscriptions", "account_id"),
        _ix("subscriptions", "opportunity_id"),
        _ix("subscriptions", "customer_id"),
    )


def _subscription_items() -> None:
    op.create_table(
        "subscription_items",
        _ledger_id(),
        _ref("subscription_id", nullable=False),
        _ref("price_id"),
        _ref("product_id"),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        _money("unit_amount_minor", nullable=True),
        _str("currency", 3, nullable=True),
        *_entity_times(),
        _pk("subscription_items"),
        _fk("subscription_items", "subscription_id", "subscriptions"),
        _fk("subscription_items", "price_id", "prices"),
        _fk("subscription_items", "product_id", "products"),
        _currency("subscription_items"),
        _non_negative("subscription_items", "quantity"),
        _non_negative("subscription_items", "unit_amount_minor"),
        _ix("subscription_items", "subscription_id"),
        _ix("subscription_items", "price_id"),
        _ix("subscription_items", "product_id"),
    )


def _invoices() -> None:
    amounts = ("amount_due_minor", "amount_paid_minor", "amount_remaining_minor", "discount_minor")
    op.create_table(
        "invoices",
        _ledger_id(),
        _ref("customer_id"),
        _ref("subscription_id"),
        _str("status", 16),
        _str("currency", 3),
        *(_money(name) for name in amounts),
        _ts("period_start"),
        _ts("period_end"),
        _ts("invoiced_at"),
        _str("number", 64, nullable=True),
        sa.Column("hosted_invoice_url", sa.Text(), nullable=True),
        *_entity_times(),
        _pk("invoices"),
        _fk("invoices", "customer_id", "customers"),
        _fk("invoices", "subscription_id", "subscriptions"),
        _one_of("invoices", "status", ("draft", "open", "paid", "uncollectible", "void")),
        _currency("invoices"),
        *(_non_negative("invoices", name) for name in amounts),
        _ix("invoices", "customer_id"),
        _ix("invoices", "subscription_id"),
    )


def _bookkeeping() -> None:
    _money_entries()
    _links_and_journal()
    op.create_table(
        "cursors",
        _str("stream", 128),
        sa.Column("value", sa.Text(), nullable=False),
        _ts("updated_at", nullable=False),
        _pk("cursors", "stream"),
    )
    op.create_table(
        "api_usage",
        _str("system", 16),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("call_limit", sa.Integer(), nullable=True),
        _pk("api_usage", "system", "day"),
        _non_negative("api_usage", "calls"),
    )


def _money_entries() -> None:
    kinds = ("payment", "failed_payment", "refund", "credit_note", "discount")
    op.create_table(
        "money_entries",
        _ledger_id(),
        _str("kind", 16),
        _ref("invoice_id"),
        _ref("subscription_id"),
        _ref("account_id"),
        _money("amount_minor"),
        _str("currency", 3),
        _ts("occurred_at", nullable=False),
        _str("external_id", 255, nullable=True),
        _ts("created_at", nullable=False),
        _pk("money_entries"),
        _fk("money_entries", "invoice_id", "invoices"),
        _fk("money_entries", "subscription_id", "subscriptions"),
        _fk("money_entries", "account_id", "accounts"),
        _uq("money_entries", "kind", "external_id"),
        _one_of("money_entries", "kind", kinds),
        _currency("money_entries"),
        _non_negative("money_entries", "amount_minor"),
        _ix("money_entries", "invoice_id"),
        _ix("money_entries", "subscription_id"),
        _ix("money_entries", "account_id"),
        _ix("money_entries", "occurred_at"),
    )


def _links_and_journal() -> None:
    op.create_table(
        "links",
        _key(),
        _str("entity_type", 32),
        _ref("entity_id", nullable=False),
        _str("system", 16),
        _str("object_type", 64),
        _str("external_id", 255),
        _pk("links"),
        _uq("links", "system", "object_type", "external_id"),
        _uq("links", "entity_type", "entity_id", "system", "object_type"),
        _one_of("links", "system", ("salesforce", "stripe")),
    )
    op.create_table(
        "journal",
        _key(),
        _str("entity_type", 32),
        _ref("entity_id", nullable=False),
        _str("source", 16),
        _ts("source_ts"),
        _ts("recorded_at", nullable=False),
        _str("kind", 8),
        sa.Column("diff", sa.JSON(), nullable=False),
        _str("run_id", 64, nullable=True),
        _pk("journal"),
        _one_of("journal", "source", SOURCES),
        _one_of("journal", "kind", ("create", "update", "delete")),
        _ix("journal", "entity_type", "entity_id"),
        _ix("journal", "recorded_at"),
        _ix("journal", "run_id"),
    )


def _delivery() -> None:
    _outbox()
    _dead_letters()
    _notifications()
    _conflicts()
    _stripe_inbox()


def _outbox() -> None:
    op.create_table(
        "outbox",
        _key(),
        _str("key", 255),
        _str("target", 16),
        _str("operation", 64),
        _str("entity_type", 32, nullable=True),
        _ref("entity_id"),
        sa.Column("payload", sa.JSON(), nullable=False),
        _str("status", 16),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at", nullable=False),
        _ts("claimed_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at", nullable=False),
        _ts("done_at"),
        sa.Column("result", sa.JSON(), nullable=True),
        _pk("outbox"),
        _uq("outbox", "key"),
        _one_of("outbox", "target", ("salesforce", "stripe", "email", "webhook")),
        _one_of("outbox", "status", ("pending", "in_flight", "done", "failed", "dead")),
        _non_negative("outbox", "attempts"),
        _ix("outbox", "status", "next_attempt_at"),
    )


def _dead_letters() -> None:
    op.create_table(
        "dead_letters",
        _key(),
        _str("source", 64),
        _str("record_key", 255),
        sa.Column("reason", sa.Text(), nullable=False),
        _str("error_code", 64, nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        _str("status", 16),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("retried_at"),
        _pk("dead_letters"),
        _one_of("dead_letters", "status", ("open", "retried", "resolved", "dropped")),
        _non_negative("dead_letters", "attempts"),
        _ix("dead_letters", "status"),
    )


def _notifications() -> None:
    op.create_table(
        "notifications",
        _key(),
        _str("key", 255),
        _str("kind", 64),
        _str("recipient", 320),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        _str("status", 16),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at", nullable=False),
        _ts("sent_at"),
        _pk("notifications"),
        _uq("notifications", "key"),
        _one_of("notifications", "status", ("pending", "sent", "failed")),
        _non_negative("notifications", "attempts"),
        _ix("notifications", "status"),
    )


def _conflicts() -> None:
    op.create_table(
        "conflicts",
        _key(),
        _str("entity_type", 32),
        _ref("entity_id", nullable=False),
        _str("field", 128),
        _str("owner", 16),
        sa.Column("ours", sa.JSON(), nullable=False),
        sa.Column("theirs", sa.JSON(), nullable=False),
        _str("their_source", 16),
        _ts("their_ts"),
        _str("status", 16),
        _ts("created_at", nullable=False),
        _ts("resolved_at"),
        _pk("conflicts"),
        _one_of("conflicts", "owner", ("salesforce", "stripe", "ledger", "latest")),
        _one_of("conflicts", "their_source", SOURCES),
        _one_of("conflicts", "status", ("open", "resolved")),
        _ix("conflicts", "status"),
    )


def _stripe_inbox() -> None:
    op.create_table(
        "stripe_inbox",
        _str("event_id", 255),
        _str("type", 128),
        _ts("created", nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _str("status", 16),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("received_at", nullable=False),
        _ts("processed_at"),
        _pk("stripe_inbox", "event_id"),
        _one_of("stripe_inbox", "status", ("pending", "processed", "failed", "ignored")),
        _ix("stripe_inbox", "status"),
    )
