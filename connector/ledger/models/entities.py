"""The synced business entities: accounts, opportunities, catalogue, customers,
subscriptions, invoices and money movements."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import (
    Mapped,
    mapped_column,
    relationship,
)

from connector.ledger.models.columns import (
    EXTERNAL_ID_LENGTH,
    ID_LENGTH,
    Base,
    EntityTimestamps,
    currency_check,
    foreign_key,
    ledger_id_column,
    non_negative,
    one_of,
)
from connector.ledger.models.vocabularies import (
    InvoiceStatus,
    MoneyKind,
    PriceInterval,
    SubscriptionStatus,
)


class Account(EntityTimestamps, Base):
    """A Salesforce account (the customer organisation)."""

    __tablename__ = "accounts"

    id: Mapped[str] = ledger_id_column("acc")
    name: Mapped[str] = mapped_column(String(255))
    csm_user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    owner_user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class Opportunity(EntityTimestamps, Base):
    """A Salesforce opportunity (deal)."""

    __tablename__ = "opportunities"
    __table_args__ = (currency_check(), non_negative("amount_minor"))

    id: Mapped[str] = ledger_id_column("opp")
    account_id: Mapped[str | None] = foreign_key("accounts.id")
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
    primary_contact_email: Mapped[str | None] = mapped_column(String(320))
    """``Contact.Email`` of its primary contact role (``OpportunityContactRole.IsPrimary``),
    as read with the opportunity; where customer notifications go without
    ``Account.Billing_Email__c``."""

    line_items: Mapped[list[LineItem]] = relationship(back_populates="opportunity")


class Product(EntityTimestamps, Base):
    """A catalog product (Salesforce ``Product2``, Stripe product)."""

    __tablename__ = "products"

    id: Mapped[str] = ledger_id_column("prod")
    name: Mapped[str] = mapped_column(String(255))
    product_code: Mapped[str | None] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    prices: Mapped[list[Price]] = relationship(back_populates="product")


class Price(EntityTimestamps, Base):
    """A Stripe price of a product; ``interval`` is None for one-time prices."""

    __tablename__ = "prices"
    __table_args__ = (
        currency_check(),
        non_negative("unit_amount_minor"),
        one_of("interval", PriceInterval),
        CheckConstraint("interval_count > 0", name="interval_count_positive"),
    )

    id: Mapped[str] = ledger_id_column("price")
    product_id: Mapped[str] = foreign_key("products.id", nullable=False)
    lookup_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    unit_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    interval: Mapped[str | None] = mapped_column(String(8))
    interval_count: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship(back_populates="prices")


class LineItem(EntityTimestamps, Base):
    """A Salesforce opportunity line item."""

    __tablename__ = "line_items"
    __table_args__ = (
        currency_check(),
        non_negative("quantity"),
        non_negative("unit_price_minor"),
    )

    id: Mapped[str] = ledger_id_column("oli")
    opportunity_id: Mapped[str] = foreign_key("opportunities.id", nullable=False)
    product_id: Mapped[str | None] = foreign_key("products.id")
    quantity: Mapped[Decimal]
    unit_price_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    service_date: Mapped[date | None]
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    """The line item as Salesforce last returned it: what the generation mapping reads."""

    opportunity: Mapped[Opportunity] = relationship(back_populates="line_items")


class Customer(EntityTimestamps, Base):
    """A Stripe customer, normally belonging to an account."""

    __tablename__ = "customers"

    id: Mapped[str] = ledger_id_column("cust")
    account_id: Mapped[str | None] = foreign_key("accounts.id")
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(255))


class Subscription(EntityTimestamps, Base):
    """A subscription: potential (Salesforce only) until activated, then billed by Stripe.

    At most one subscription exists per opportunity line item (unique ``line_item_id``).
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        one_of("status", SubscriptionStatus),
        currency_check(),
        CheckConstraint("term_months > 0", name="term_months_positive"),
        non_negative("mrr_minor"),
        non_negative("arr_minor"),
    )

    id: Mapped[str] = ledger_id_column("sub")
    account_id: Mapped[str | None] = foreign_key("accounts.id")
    opportunity_id: Mapped[str | None] = foreign_key("opportunities.id")
    line_item_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("line_items.id"), unique=True
    )
    customer_id: Mapped[str | None] = foreign_key("customers.id")
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


class SubscriptionItem(EntityTimestamps, Base):
    """One priced line of a subscription (a Stripe subscription item)."""

    __tablename__ = "subscription_items"
    __table_args__ = (
        currency_check(),
        non_negative("quantity"),
        non_negative("unit_amount_minor"),
    )

    id: Mapped[str] = ledger_id_column("si")
    subscription_id: Mapped[str] = foreign_key("subscriptions.id", nullable=False)
    price_id: Mapped[str | None] = foreign_key("prices.id")
    product_id: Mapped[str | None] = foreign_key("products.id")
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))

    subscription: Mapped[Subscription] = relationship(back_populates="items")


class Invoice(EntityTimestamps, Base):
    """A Stripe invoice."""

    __tablename__ = "invoices"
    __table_args__ = (
        one_of("status", InvoiceStatus),
        currency_check(),
        non_negative("amount_due_minor"),
        non_negative("amount_paid_minor"),
        non_negative("amount_remaining_minor"),
        non_negative("discount_minor"),
    )

    id: Mapped[str] = ledger_id_column("inv")
    customer_id: Mapped[str | None] = foreign_key("customers.id")
    subscription_id: Mapped[str | None] = foreign_key("subscriptions.id")
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
        one_of("kind", MoneyKind),
        currency_check(),
        non_negative("amount_minor"),
        UniqueConstraint("kind", "external_id"),
    )
    # On SQLite, migration 0005 adds an expression index for the revenue reports,
    # ``(kind, currency, substr(occurred_at, 1, 7), amount_minor)``; it is not declared
    # here because autogenerate cannot compare expression indexes.

    id: Mapped[str] = ledger_id_column("money")
    kind: Mapped[str] = mapped_column(String(16))
    invoice_id: Mapped[str | None] = foreign_key("invoices.id")
    subscription_id: Mapped[str | None] = foreign_key("subscriptions.id")
    account_id: Mapped[str | None] = foreign_key("accounts.id")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))
    created_at: Mapped[datetime]
