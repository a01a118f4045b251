"""The account's money records: invoice items, invoices and their lines, payment methods,
payment intents, charges, refunds, credit notes and invoice payments.

Amounts are integer minor units of ``currency``; timestamps Unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from crm_emulators.stripe_emulator.record_base import Record


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
    refunds: list[tuple[str, int]] = field(default_factory=list)
    """The refunds it made: (refund id, amount refunded)."""
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
