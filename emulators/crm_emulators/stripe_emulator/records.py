"""The emulated account's objects as typed records; JSON exists only in :mod:`.render`.

Timestamps are Unix seconds, as on Stripe's wire, so records and responses agree without
conversion; :mod:`.billing.periods` does calendar arithmetic. Money is integer minor units.
Each record class names its Stripe ``object`` type, id prefix, event prefix and the label
used in "No such …" errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

Json = dict[str, Any]


@dataclass(kw_only=True)
class Record:
    """Fields every stored object has.

    Attributes:
        id: the Stripe id.
        created: creation time (the object's own clock: its test clock's, when it has one).
        seq: insertion order in the store; lists sort on it, newest first.
        metadata: the user's key-value pairs.
        test_clock: the test clock whose time governs this object, if any.
        deleted: deleted objects stay retrievable as ``{"deleted": true}`` stubs.
    """

    OBJECT: ClassVar[str] = ""
    PREFIX: ClassVar[str] = ""
    EVENTS: ClassVar[str] = ""
    LABEL: ClassVar[str] = ""

    id: str
    created: int
    seq: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    test_clock: str | None = None
    deleted: bool = False

    @classmethod
    def label(cls) -> str:
        """How "No such …" errors name this kind."""
        return cls.LABEL or cls.OBJECT


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
class InvoiceItem(Record):
    """A pending charge or credit (prorations among them) awaiting an invoice."""

    OBJECT: ClassVar[str] = "invoiceitem"
    PREFIX: ClassVar[str] = "ii"
    EVENTS: ClassVar[str] = "invoiceitem"
    LABEL: ClassVar[str] = "invoiceitem"

    customer: str
    amount: int
    currency: str
    description: str | None = None
    period_start: int = 0
    period_end: int = 0
    price: str | None = None
    quantity: int = 1
    proration: bool = False
    subscription: str | None = None
    subscription_item: str | None = None
    invoice: str | None = None
    discountable: bool = True


@dataclass(frozen=True)
class DiscountAmount:
    """How much of a line (or invoice) one discount took off."""

    discount: str
    amount: int


@dataclass(kw_only=True)
class InvoiceLine(Record):
    """A line of an invoice: a subscription item's period, or an invoice item."""

    OBJECT: ClassVar[str] = "line_item"
    PREFIX: ClassVar[str] = "il"

    invoice: str
    amount: int
    currency: str
    description: str | None = None
    period_start: int = 0
    period_end: int = 0
    quantity: int = 1
    price: str | None = None
    subscription: str | None = None
    subscription_item: str | None = None
    invoice_item: str | None = None
    proration: bool = False
    discountable: bool = True
    discount_amounts: list[DiscountAmount] = field(default_factory=list)


@dataclass(kw_only=True)
class Invoice(Record):
    """An invoice: draft → open → paid | uncollectible | void.

    Attributes:
        overdue: a ``send_invoice`` invoice whose due date passed unpaid.
        subscription_metadata: the subscription's metadata when the invoice was made.
    """

    OBJECT: ClassVar[str] = "invoice"
    PREFIX: ClassVar[str] = "in"
    EVENTS: ClassVar[str] = "invoice"

    customer: str
    currency: str
    status: str = "draft"
    subscription: str | None = None
    subscription_metadata: dict[str, str] | None = None
    billing_reason: str = "manual"
    collection_method: str = "charge_automatically"
    description: str | None = None
    lines: list[str] = field(default_factory=list)
    discounts: list[str] = field(default_factory=list)
    auto_advance: bool = True
    automatically_finalizes_at: int | None = None
    attempt_count: int = 0
    attempted: bool = False
    next_payment_attempt: int | None = None
    days_until_due: int | None = None
    due_date: int | None = None
    number: str | None = None
    period_start: int = 0
    period_end: int = 0
    starting_balance: int = 0
    ending_balance: int | None = None
    applied_balance: int = 0
    amount_paid: int = 0
    post_payment_credit_notes_amount: int = 0
    credit_notes: int = 0
    finalized_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None
    payments: list[str] = field(default_factory=list)
    overdue: bool = False


@dataclass(kw_only=True)
class PaymentMethod(Record):
    """A card; ``declines_charges`` cards attach fine and fail when charged."""

    OBJECT: ClassVar[str] = "payment_method"
    PREFIX: ClassVar[str] = "pm"
    EVENTS: ClassVar[str] = "payment_method"
    LABEL: ClassVar[str] = "PaymentMethod"

    customer: str | None = None
    brand: str = "visa"
    last4: str = "4242"
    exp_month: int = 12
    exp_year: int = 2034
    funding: str = "credit"
    declines_charges: bool = False


@dataclass(frozen=True)
class PaymentError:
    """Why a payment attempt failed."""

    code: str
    decline_code: str
    message: str
    charge: str | None
    payment_method: str | None


@dataclass(kw_only=True)
class PaymentIntent(Record):
    """The payment of one invoice; each attempt is a charge."""

    OBJECT: ClassVar[str] = "payment_intent"
    PREFIX: ClassVar[str] = "pi"
    EVENTS: ClassVar[str] = "payment_intent"

    amount: int
    currency: str
    customer: str | None = None
    status: str = "requires_payment_method"
    payment_method: str | None = None
    latest_charge: str | None = None
    last_error: PaymentError | None = None
    description: str | None = None
    amount_received: int = 0


@dataclass(kw_only=True)
class Charge(Record):
    """One attempt to take money from a card."""

    OBJECT: ClassVar[str] = "charge"
    PREFIX: ClassVar[str] = "ch"
    EVENTS: ClassVar[str] = "charge"

    amount: int
    currency: str
    customer: str | None = None
    payment_intent: str | None = None
    payment_method: str | None = None
    status: str = "succeeded"
    failure_code: str | None = None
    failure_message: str | None = None
    decline_code: str | None = None
    brand: str = "visa"
    last4: str = "4242"
    description: str | None = None
    amount_refunded: int = 0


@dataclass(kw_only=True)
class Refund(Record):
    """Money given back from a charge."""

    OBJECT: ClassVar[str] = "refund"
    PREFIX: ClassVar[str] = "re"
    EVENTS: ClassVar[str] = "refund"

    amount: int
    currency: str
    charge: str
    payment_intent: str | None = None
    reason: str | None = None
    status: str = "succeeded"


@dataclass(kw_only=True)
class CreditNote(Record):
    """A reduction of a finalized invoice: before payment it lowers what is due, after it
    credits the customer's balance (or records money returned outside Stripe)."""

    OBJECT: ClassVar[str] = "credit_note"
    PREFIX: ClassVar[str] = "cn"
    EVENTS: ClassVar[str] = "credit_note"

    invoice: str
    customer: str
    amount: int
    currency: str
    number: str
    type: str
    effective_at: int
    reason: str | None = None
    memo: str | None = None
    out_of_band_amount: int | None = None
    status: str = "issued"


@dataclass(kw_only=True)
class InvoicePayment(Record):
    """Links an invoice to the payment intent that pays (or tried to pay) it."""

    OBJECT: ClassVar[str] = "invoice_payment"
    PREFIX: ClassVar[str] = "inpay"
    EVENTS: ClassVar[str] = "invoice_payment"

    invoice: str
    amount_requested: int
    currency: str
    payment_intent: str
    status: str = "open"
    amount_paid: int | None = None
    paid_at: int | None = None
    canceled_at: int | None = None


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
