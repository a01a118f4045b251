"""The emulated account's objects as typed records; JSON exists only in :mod:`.render`.

Timestamps are Unix seconds, as on Stripe's wire, so records and responses agree without
conversion; :mod:`.billing.periods` does calendar arithmetic. Money is integer minor units.
Each record class names its Stripe ``object`` type, id prefix, event prefix and the label
used in "No such …" errors. The money records (invoices, payments, refunds) live in
:mod:`.money_records` and are listed here too, so one import finds every kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from crm_emulators.stripe_emulator.money_records import (
    Charge,
    CreditNote,
    DiscountAmount,
    Invoice,
    InvoiceItem,
    InvoiceLine,
    InvoicePayment,
    PaymentError,
    PaymentIntent,
    PaymentMethod,
    Refund,
)
from crm_emulators.stripe_emulator.record_base import Json, Record

__all__ = [
    "KINDS",
    "Address",
    "Charge",
    "Coupon",
    "CreditNote",
    "Customer",
    "Discount",
    "DiscountAmount",
    "Event",
    "Invoice",
    "InvoiceItem",
    "InvoiceLine",
    "InvoicePayment",
    "Json",
    "PaymentError",
    "PaymentIntent",
    "PaymentMethod",
    "Price",
    "Product",
    "Record",
    "Recurring",
    "Refund",
    "Subscription",
    "SubscriptionItem",
    "TestClock",
    "WebhookEndpoint",
]


@dataclass(kw_only=True)
class Address:
    """A postal address; every part optional."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(kw_only=True)
class Customer(Record):
    """A customer; ``balance`` is negative when the customer holds credit."""

    OBJECT: ClassVar[str] = "customer"
    PREFIX: ClassVar[str] = "cus"
    EVENTS: ClassVar[str] = "customer"

    email: str | None = None
    name: str | None = None
    description: str | None = None
    phone: str | None = None
    address: Address | None = None
    currency: str | None = None
    balance: int = 0
    invoice_prefix: str = ""
    next_invoice_sequence: int = 1
    default_payment_method: str | None = None
    preferred_locales: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Product(Record):
    """A product in the catalog."""

    OBJECT: ClassVar[str] = "product"
    PREFIX: ClassVar[str] = "prod"
    EVENTS: ClassVar[str] = "product"

    name: str
    active: bool = True
    description: str | None = None
    default_price: str | None = None
    unit_label: str | None = None
    statement_descriptor: str | None = None
    tax_code: str | None = None
    url: str | None = None
    updated: int = 0


@dataclass(frozen=True)
class Recurring:
    """How often a recurring price bills."""

    interval: str
    interval_count: int = 1
    trial_period_days: int | None = None


@dataclass(kw_only=True)
class Price(Record):
    """A price of a product; ``recurring`` is None for one-time prices."""

    OBJECT: ClassVar[str] = "price"
    PREFIX: ClassVar[str] = "price"
    EVENTS: ClassVar[str] = "price"

    product: str
    currency: str
    unit_amount: int
    active: bool = True
    lookup_key: str | None = None
    nickname: str | None = None
    recurring: Recurring | None = None
    tax_behavior: str = "unspecified"


@dataclass(kw_only=True)
class Coupon(Record):
    """A coupon: ``percent_off`` or ``amount_off`` for once, repeating or forever."""

    OBJECT: ClassVar[str] = "coupon"
    EVENTS: ClassVar[str] = "coupon"

    percent_off: float | None = None
    amount_off: int | None = None
    currency: str | None = None
    duration: str = "once"
    duration_in_months: int | None = None
    name: str | None = None
    max_redemptions: int | None = None
    redeem_by: int | None = None
    times_redeemed: int = 0


@dataclass(kw_only=True)
class Discount(Record):
    """A coupon applied to a subscription; ``end`` None means until removed."""

    OBJECT: ClassVar[str] = "discount"
    PREFIX: ClassVar[str] = "di"

    coupon: str
    customer: str
    subscription: str | None = None
    start: int = 0
    end: int | None = None


@dataclass(kw_only=True)
class Subscription(Record):
    """A subscription; periods live on its items.

    Attributes:
        trial_will_end_sent: whether ``customer.subscription.trial_will_end`` was sent.
        expires_at: when an ``incomplete`` subscription becomes ``incomplete_expired``.
    """

    OBJECT: ClassVar[str] = "subscription"
    PREFIX: ClassVar[str] = "sub"
    EVENTS: ClassVar[str] = "customer.subscription"

    customer: str
    status: str
    currency: str
    items: list[str] = field(default_factory=list)
    collection_method: str = "charge_automatically"
    days_until_due: int | None = None
    default_payment_method: str | None = None
    description: str | None = None
    cancel_at_period_end: bool = False
    cancel_at: int | None = None
    canceled_at: int | None = None
    ended_at: int | None = None
    cancellation_reason: str | None = None
    cancellation_comment: str | None = None
    cancellation_feedback: str | None = None
    trial_start: int | None = None
    trial_end: int | None = None
    start_date: int = 0
    billing_cycle_anchor: int = 0
    latest_invoice: str | None = None
    discounts: list[str] = field(default_factory=list)
    trial_will_end_sent: bool = False
    expires_at: int | None = None


@dataclass(kw_only=True)
class SubscriptionItem(Record):
    """One price and quantity on a subscription, with its current period."""

    OBJECT: ClassVar[str] = "subscription_item"
    PREFIX: ClassVar[str] = "si"

    subscription: str
    price: str
    quantity: int = 1
    current_period_start: int = 0
    current_period_end: int = 0


@dataclass(kw_only=True)
class TestClock(Record):
    """A test clock; customers on it live at ``frozen_time``."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    OBJECT: ClassVar[str] = "test_helpers.test_clock"
    PREFIX: ClassVar[str] = "clock"
    EVENTS: ClassVar[str] = "test_helpers.test_clock"
    LABEL: ClassVar[str] = "test_clock"

    frozen_time: int
    name: str | None = None
    status: str = "ready"
    deletes_after: int = 0


@dataclass(kw_only=True)
class Event(Record):
    """A notification of a change, with a snapshot of the object after it."""

    OBJECT: ClassVar[str] = "event"
    PREFIX: ClassVar[str] = "evt"

    type: str
    data_object: Json
    previous_attributes: Json | None = None
    request_id: str | None = None
    idempotency_key: str | None = None
    pending_webhooks: int = 0
    api_version: str = ""


@dataclass(kw_only=True)
class WebhookEndpoint(Record):
    """Where events are POSTed, signed with ``secret``."""

    OBJECT: ClassVar[str] = "webhook_endpoint"
    PREFIX: ClassVar[str] = "we"

    url: str
    secret: str
    enabled_events: list[str] = field(default_factory=lambda: ["*"])
    description: str | None = None
    status: str = "enabled"
    api_version: str | None = None

    def wants(self, event_type: str) -> bool:
        """Whether this endpoint subscribed to ``event_type``."""
        return "*" in self.enabled_events or event_type in self.enabled_events


KINDS: tuple[type[Record], ...] = (
    Customer, Product, Price, Coupon, Discount, Subscription, SubscriptionItem, InvoiceItem,
    InvoiceLine, Invoice, PaymentMethod, PaymentIntent, Charge, Refund, CreditNote,
    InvoicePayment, TestClock, Event, WebhookEndpoint,
)
"""Every record kind, for lookups by ``object`` name or id prefix."""
