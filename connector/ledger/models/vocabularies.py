"""The ledger's vocabularies: each a ``StrEnum`` whose values a CHECK constraint allows."""

from __future__ import annotations

from enum import StrEnum


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



class ConnectionState(StrEnum):
    """A system's connection state (Heroku Connect's set), kept per system in the ledger."""

    IDLE = "IDLE"
    POLLING = "POLLING"
    PAUSED = "PAUSED"
    SYSTEM_ERROR = "SYSTEM_ERROR"
    DB_UNAVAILABLE = "DB_UNAVAILABLE"
    UNAUTHORIZED = "UNAUTHORIZED"
