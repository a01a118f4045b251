"""The ledger schema: the hub every system is reconciled against.

Conventions every table follows (the migrations in ``migrations/versions`` mirror them):

* **Identity.** Each business entity (account, subscription, invoice, ...) has one string
  primary key, its *ledger id*: a type prefix, a hyphen and 32 hex digits
  (``sub-3f9c...``). It is the value written to Salesforce ``Ledger_Id__c`` and used by
  :class:`Link` and :class:`JournalEntry`. The hyphen keeps it visually distinct from
  Stripe ids (``sub_...``) and Salesforce ids. Operational tables (journal, outbox, ...)
  use integer surrogate keys instead.
* **Money** is an integer amount in minor units (``BigInteger``) next to a lowercase ISO
  4217 ``currency``; never a float.
* **Time** is timezone-aware UTC (:class:`UTCDateTime`); naive datetimes are refused.
  Nothing here reads a clock: callers pass every timestamp in.
* **Vocabularies** (statuses, kinds) are plain strings guarded by CHECK constraints; the
  ``StrEnum`` classes below list the allowed values.
* **Deletion** of a synced entity is soft (``deleted_at``) so history and links survive.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    MappedColumn,
    Mapper,
    mapped_column,
    relationship,
)
from sqlalchemy.types import TypeDecorator

ID_LENGTH = 64
EXTERNAL_ID_LENGTH = 255

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# An auto-incrementing 64-bit key; SQLite only auto-increments a column typed INTEGER.
BigIntegerKey = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that always comes back as an aware UTC ``datetime``.

    Writing a naive ``datetime`` raises ``ValueError`` (wrapped by SQLAlchemy in a
    ``StatementError``). SQLite, which has no time zone support, stores naive UTC text.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC; refuse a naive one."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} refused: the ledger stores aware UTC")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored moment as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def new_ledger_id(prefix: str) -> str:
    """Return a fresh ledger id such as ``sub-3f9c0c1e...`` (prefix, hyphen, uuid4 hex)."""
    return f"{prefix}-{uuid.uuid4().hex}"


class System(StrEnum):
    """External systems an entity can be linked to."""

    SALESFORCE = "salesforce"
    STRIPE = "stripe"


class Source(StrEnum):
    """Who made a change recorded in the journal."""

    SALESFORCE = "salesforce"
    STRIPE = "stripe"
    LEDGER = "ledger"
    ADMIN = "admin"


class ChangeKind(StrEnum):
    """What a journal entry did to its entity."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class FieldOwner(StrEnum):
    """Which side owns a mapped field (``latest`` = last writer by source timestamp)."""

    SALESFORCE = "salesforce"
    STRIPE = "stripe"
    LEDGER = "ledger"
    LATEST = "latest"


class SubscriptionStatus(StrEnum):
    """Salesforce ``Status__c`` values and Stripe subscription statuses, snake_case."""

    POTENTIAL = "potential"
    ACTIVE = "active"
    TRIALING = "trialing"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    EXPIRED = "expired"
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    UNPAID = "unpaid"
    PAUSED = "paused"


class PriceInterval(StrEnum):
    """Billing interval of a recurring price."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class InvoiceStatus(StrEnum):
    """Stripe invoice statuses."""

    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    UNCOLLECTIBLE = "uncollectible"
    VOID = "void"


class MoneyKind(StrEnum):
    """What a money entry records; its ``amount_minor`` is always the non-negative size."""

    PAYMENT = "payment"
    FAILED_PAYMENT = "failed_payment"
    REFUND = "refund"
    CREDIT_NOTE = "credit_note"
    DISCOUNT = "discount"


class Generation(StrEnum):
    """An opportunity's potential subscriptions: to generate, generated, or history.

    ``history``: it was won (or ticked) before ``[sync] generate_since``; it is in the ledger
    for the reports but generates nothing unless ``backfill --generate-since`` says so.
    """

    PENDING = "pending"
    DONE = "done"
    HISTORY = "history"


class OutboxTarget(StrEnum):
    """Where an outbox operation is delivered."""

    SALESFORCE = "salesforce"
    STRIPE = "stripe"
    EMAIL = "email"
    WEBHOOK = "webhook"


class OutboxStatus(StrEnum):
    """Delivery state of an outbox operation."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    FAILED = "failed"
    DEAD = "dead"


class DeadLetterStatus(StrEnum):
    """Life cycle of a dead letter: open until retried successfully, resolved or dropped."""

    OPEN = "open"
    RETRIED = "retried"
    RESOLVED = "resolved"
    DROPPED = "dropped"


class NotificationStatus(StrEnum):
    """Delivery state of a notification."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ConflictStatus(StrEnum):
    """Whether an admin still has to look at a conflict."""

    OPEN = "open"
    RESOLVED = "resolved"


class InboxStatus(StrEnum):
    """Processing state of a received Stripe event."""

    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"
    IGNORED = "ignored"


def _one_of(column: str, values: type[StrEnum], name: str | None = None) -> CheckConstraint:
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or column)


def _currency(column: str = "currency") -> CheckConstraint:
    return CheckConstraint(
        f"length({column}) = 3 AND {column} = lower({column})", name=column
    )


def _non_negative(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0", name=f"{column}_non_negative")


def _ledger_id(prefix: str) -> MappedColumn[str]:
    return mapped_column(
        String(ID_LENGTH), primary_key=True, default=partial(new_ledger_id, prefix)
    )


def _fk(target: str, *, nullable: bool = True) -> MappedColumn[Any]:
    return mapped_column(String(ID_LENGTH), ForeignKey(target), nullable=nullable, index=True)


class ConnectionState(StrEnum):
    """A system's connection state (Heroku Connect's set), kept per system in the ledger."""

    IDLE = "IDLE"
    POLLING = "POLLING"
    PAUSED = "PAUSED"
    SYSTEM_ERROR = "SYSTEM_ERROR"
    DB_UNAVAILABLE = "DB_UNAVAILABLE"
    UNAUTHORIZED = "UNAUTHORIZED"


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention Alembic relies on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        Decimal: Numeric(18, 6),
        int: Integer(),
        bool: Boolean(),
        date: Date(),
    }


class _Entity:
    """Timestamps of a synced entity; callers set them from their clock."""

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class Account(_Entity, Base):
    """A Salesforce account (the customer organisation)."""

    __tablename__ = "accounts"

    id: Mapped[str] = _ledger_id("acc")
    name: Mapped[str] = mapped_column(String(255))
    csm_user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    owner_user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class Opportunity(_Entity, Base):
    """A Salesforce opportunity (deal)."""

    __tablename__ = "opportunities"
    __table_args__ = (_currency(), _non_negative("amount_minor"))

    id: Mapped[str] = _ledger_id("opp")
    account_id: Mapped[str | None] = _fk("accounts.id")
    name: Mapped[str] = mapped_column(String(255))
    stage: Mapped[str] = mapped_column(String(255))
    is_won: Mapped[bool] = mapped_column(default=False)
    is_closed: Mapped[bool] = mapped_column(default=False)
    close_date: Mapped[date | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    probability: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    """Salesforce ``Probability`` (percent, 0-100): weights the pipeline report."""
    create_potential_subscription: Mapped[bool] = mapped_column(default=False)
    generation: Mapped[str | None] = mapped_column(String(16), index=True)
    """Where the opportunity stands with potential subscriptions (:class:`Generation`)."""
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    """The opportunity as Salesforce last returned it: what the generation mapping reads."""

    line_items: Mapped[list[LineItem]] = relationship(back_populates="opportunity")


class Product(_Entity, Base):
    """A catalog product (Salesforce ``Product2``, Stripe product)."""

    __tablename__ = "products"

    id: Mapped[str] = _ledger_id("prod")
    name: Mapped[str] = mapped_column(String(255))
    product_code: Mapped[str | None] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    prices: Mapped[list[Price]] = relationship(back_populates="product")


class Price(_Entity, Base):
    """A Stripe price of a product; ``interval`` is None for one-time prices."""

    __tablename__ = "prices"
    __table_args__ = (
        _currency(),
        _non_negative("unit_amount_minor"),
        _one_of("interval", PriceInterval),
        CheckConstraint("interval_count > 0", name="interval_count_positive"),
    )

    id: Mapped[str] = _ledger_id("price")
    product_id: Mapped[str] = _fk("products.id", nullable=False)
    lookup_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    unit_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    interval: Mapped[str | None] = mapped_column(String(8))
    interval_count: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship(back_populates="prices")


class LineItem(_Entity, Base):
    """A Salesforce opportunity line item."""

    __tablename__ = "line_items"
    __table_args__ = (
        _currency(),
        _non_negative("quantity"),
        _non_negative("unit_price_minor"),
    )

    id: Mapped[str] = _ledger_id("oli")
    opportunity_id: Mapped[str] = _fk("opportunities.id", nullable=False)
    product_id: Mapped[str | None] = _fk("products.id")
    quantity: Mapped[Decimal]
    unit_price_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    service_date: Mapped[date | None]
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    """The line item as Salesforce last returned it: what the generation mapping reads."""

    opportunity: Mapped[Opportunity] = relationship(back_populates="line_items")


class Customer(_Entity, Base):
    """A Stripe customer, normally belonging to an account."""

    __tablename__ = "customers"

    id: Mapped[str] = _ledger_id("cust")
    account_id: Mapped[str | None] = _fk("accounts.id")
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(255))


class Subscription(_Entity, Base):
    """A subscription: potential (Salesforce only) until activated, then billed by Stripe.

    At most one subscription exists per opportunity line item (unique ``line_item_id``).
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        _one_of("status", SubscriptionStatus),
        _currency(),
        CheckConstraint("term_months > 0", name="term_months_positive"),
        _non_negative("mrr_minor"),
        _non_negative("arr_minor"),
    )

    id: Mapped[str] = _ledger_id("sub")
    account_id: Mapped[str | None] = _fk("accounts.id")
    opportunity_id: Mapped[str | None] = _fk("opportunities.id")
    line_item_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("line_items.id"), unique=True
    )
    customer_id: Mapped[str | None] = _fk("customers.id")
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(3))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    term_months: Mapped[int | None]
    csm_user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    trial_end: Mapped[datetime | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    current_period_start: Mapped[datetime | None]
    current_period_end: Mapped[datetime | None]
    canceled_at: Mapped[datetime | None]
    last_payment_status: Mapped[str | None] = mapped_column(String(64))
    mrr_minor: Mapped[int | None] = mapped_column(BigInteger)
    arr_minor: Mapped[int | None] = mapped_column(BigInteger)

    items: Mapped[list[SubscriptionItem]] = relationship(back_populates="subscription")


class SubscriptionItem(_Entity, Base):
    """One priced line of a subscription (a Stripe subscription item)."""

    __tablename__ = "subscription_items"
    __table_args__ = (
        _currency(),
        _non_negative("quantity"),
        _non_negative("unit_amount_minor"),
    )

    id: Mapped[str] = _ledger_id("si")
    subscription_id: Mapped[str] = _fk("subscriptions.id", nullable=False)
    price_id: Mapped[str | None] = _fk("prices.id")
    product_id: Mapped[str | None] = _fk("products.id")
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))

    subscription: Mapped[Subscription] = relationship(back_populates="items")


class Invoice(_Entity, Base):
    """A Stripe invoice."""

    __tablename__ = "invoices"
    __table_args__ = (
        _one_of("status", InvoiceStatus),
        _currency(),
        _non_negative("amount_due_minor"),
        _non_negative("amount_paid_minor"),
        _non_negative("amount_remaining_minor"),
        _non_negative("discount_minor"),
    )

    id: Mapped[str] = _ledger_id("inv")
    customer_id: Mapped[str | None] = _fk("customers.id")
    subscription_id: Mapped[str | None] = _fk("subscriptions.id")
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    amount_due_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_remaining_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    invoiced_at: Mapped[datetime | None]
    number: Mapped[str | None] = mapped_column(String(64))
    hosted_invoice_url: Mapped[str | None] = mapped_column(Text)
    coupon: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))
    """The Stripe coupons of its discounts, comma-separated (a discount's id where Stripe
    did not expand it); None without a discount."""


class MoneyEntry(Base):
    """One movement of money; ``kind`` gives the direction, ``amount_minor`` the size.

    ``(kind, external_id)`` is unique, so re-applying the same Stripe object is a no-op.
    """

    __tablename__ = "money_entries"
    __table_args__ = (
        _one_of("kind", MoneyKind),
        _currency(),
        _non_negative("amount_minor"),
        UniqueConstraint("kind", "external_id"),
    )
    # On SQLite, migration 0005 adds an expression index for the revenue reports,
    # ``(kind, currency, substr(occurred_at, 1, 7), amount_minor)``; it is not declared
    # here because autogenerate cannot compare expression indexes.

    id: Mapped[str] = _ledger_id("money")
    kind: Mapped[str] = mapped_column(String(16))
    invoice_id: Mapped[str | None] = _fk("invoices.id")
    subscription_id: Mapped[str | None] = _fk("subscriptions.id")
    account_id: Mapped[str | None] = _fk("accounts.id")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))
    created_at: Mapped[datetime]


class Link(Base):
    """Ties a ledger entity to its id in an external system; one per entity and object type."""

    __tablename__ = "links"
    __table_args__ = (
        _one_of("system", System),
        UniqueConstraint("system", "object_type", "external_id"),
        UniqueConstraint("entity_type", "entity_id", "system", "object_type"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    system: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_LENGTH))


class JournalEntry(Base):
    """One change to one entity; append-only.

    ``diff`` maps each changed field to ``[old, new]``. Rows are never updated or deleted:
    :mod:`connector.ledger.journal` offers only :func:`~connector.ledger.journal.record_change`,
    and the ORM refuses to flush an update or delete of an entry.
    """

    __tablename__ = "journal"
    __table_args__ = (
        _one_of("source", Source),
        _one_of("kind", ChangeKind),
        Index(None, "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    source: Mapped[str] = mapped_column(String(16))
    source_ts: Mapped[datetime | None]
    recorded_at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(8))
    diff: Mapped[dict[str, list[Any]]] = mapped_column(JSON)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to update or delete a journal entry."""


@event.listens_for(JournalEntry, "before_update")
@event.listens_for(JournalEntry, "before_delete")
def _refuse_journal_rewrite(mapper: Mapper[Any], connection: Any, target: JournalEntry) -> None:
    raise AppendOnlyError(f"journal entry {target.id} is append-only")


class Cursor(Base):
    """How far a stream has been read (e.g. a Salesforce SystemModstamp)."""

    __tablename__ = "cursors"

    stream: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class OutboxOperation(Base):
    """An effect to deliver at least once; ``key`` is its idempotency key."""

    __tablename__ = "outbox"
    __table_args__ = (
        _one_of("target", OutboxTarget),
        _one_of("status", OutboxStatus),
        _non_negative("attempts"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    target: Mapped[str] = mapped_column(String(16))
    operation: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class DeadLetter(Base):
    """A record that could not be mapped or written, kept with its reason for an admin."""

    __tablename__ = "dead_letters"
    __table_args__ = (
        _one_of("status", DeadLetterStatus),
        _non_negative("attempts"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(EXTERNAL_ID_LENGTH))
    reason: Mapped[str] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(String(16), default=DeadLetterStatus.OPEN, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    retried_at: Mapped[datetime | None]


class Notification(Base):
    """A message to a person; ``key`` makes sure it is sent at most once."""

    __tablename__ = "notifications"
    __table_args__ = (
        _one_of("status", NotificationStatus),
        _non_negative("attempts"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(
        String(16), default=NotificationStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Conflict(Base):
    """A change from a non-owner of a field, held for an admin instead of being applied.

    ``ours`` and ``theirs`` are JSON values; ``None`` is stored as JSON ``null``.
    """

    __tablename__ = "conflicts"
    __table_args__ = (
        _one_of("owner", FieldOwner),
        _one_of("their_source", Source),
        _one_of("status", ConflictStatus),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    field: Mapped[str] = mapped_column(String(128))
    owner: Mapped[str] = mapped_column(String(16))
    ours: Mapped[Any] = mapped_column(JSON)
    theirs: Mapped[Any] = mapped_column(JSON)
    their_source: Mapped[str] = mapped_column(String(16))
    their_ts: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=ConflictStatus.OPEN, index=True)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class StripeInboxEvent(Base):
    """A received Stripe event; its id as primary key deduplicates redeliveries."""

    __tablename__ = "stripe_inbox"
    __table_args__ = (_one_of("status", InboxStatus),)

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(128))
    created: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.PENDING, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]


class ApiUsage(Base):
    """API calls spent per system and UTC day: ours (``calls``), and the org's usage and
    allocation as last reported that day (``org_used``, ``call_limit``)."""

    __tablename__ = "api_usage"
    __table_args__ = (_non_negative("calls"),)

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    calls: Mapped[int] = mapped_column(default=0)
    call_limit: Mapped[int | None]
    org_used: Mapped[int | None]
    updated_at: Mapped[datetime | None]


class DaemonState(Base):
    """What the running daemon reports about itself, by key, for other processes (``status``).

    Values are small JSON objects, e.g. ``mappings.in_use`` → ``{"digest": …, "since": …}``.
    """

    __tablename__ = "daemon_state"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class ConnectionStatus(Base):
    """Each system's connection state now, and whether an admin paused it.

    ``paused`` is set by ``pause`` and cleared by ``resume``; it survives restarts.
    """

    __tablename__ = "connection_states"
    __table_args__ = (_one_of("state", ConnectionState),)

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(default=False)
    since: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConnectionStateEvent(Base):
    """A system entered or left an error state (the fact partner notifications are built
    from: ``stripe_unreachable``, ``salesforce_unreachable``); ``notified_at`` is for them."""

    __tablename__ = "connection_state_changes"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    system: Mapped[str] = mapped_column(String(16), index=True)
    old_state: Mapped[str] = mapped_column(String(16))
    new_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
    notified_at: Mapped[datetime | None] = mapped_column(index=True)


metadata = Base.metadata
