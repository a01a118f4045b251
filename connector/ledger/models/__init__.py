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

The tables live in modules by what they hold: :mod:`.entities` (the synced business
entities), :mod:`.tracking` (links, journal, cursors, API usage, daemon and connection state),
:mod:`.queues` (outbox, dead letters, notifications, conflicts, the Stripe inbox), on the
column types and base of :mod:`.columns` and the vocabularies of :mod:`.vocabularies`. Import
them from here.
"""

from __future__ import annotations

from connector.ledger.models.columns import (
    EXTERNAL_ID_LENGTH,
    ID_LENGTH,
    NAMING_CONVENTION,
    Base,
    BigIntegerKey,
    EntityTimestamps,
    UTCDateTime,
    currency_check,
    foreign_key,
    ledger_id_column,
    metadata,
    new_ledger_id,
    non_negative,
    one_of,
)
from connector.ledger.models.entities import (
    Account,
    Customer,
    Invoice,
    LineItem,
    MoneyEntry,
    Opportunity,
    Price,
    Product,
    Subscription,
    SubscriptionItem,
)
from connector.ledger.models.queues import (
    Conflict,
    DeadLetter,
    Notification,
    OutboxOperation,
    StripeInboxEvent,
)
from connector.ledger.models.tracking import (
    ApiUsage,
    AppendOnlyError,
    ConnectionStateEvent,
    ConnectionStatus,
    Cursor,
    DaemonState,
    JournalEntry,
    Link,
)
from connector.ledger.models.vocabularies import (
    ChangeKind,
    ConflictStatus,
    ConnectionState,
    DeadLetterStatus,
    FieldOwner,
    Generation,
    InboxStatus,
    InvoiceStatus,
    MoneyKind,
    NotificationStatus,
    OutboxStatus,
    OutboxTarget,
    PriceInterval,
    Source,
    SubscriptionStatus,
    System,
)

__all__ = [
    "EXTERNAL_ID_LENGTH",
    "ID_LENGTH",
    "NAMING_CONVENTION",
    "Account",
    "ApiUsage",
    "AppendOnlyError",
    "Base",
    "BigIntegerKey",
    "ChangeKind",
    "Conflict",
    "ConflictStatus",
    "ConnectionState",
    "ConnectionStateEvent",
    "ConnectionStatus",
    "Cursor",
    "Customer",
    "DaemonState",
    "DeadLetter",
    "DeadLetterStatus",
    "EntityTimestamps",
    "FieldOwner",
    "Generation",
    "InboxStatus",
    "Invoice",
    "InvoiceStatus",
    "JournalEntry",
    "LineItem",
    "Link",
    "MoneyEntry",
    "MoneyKind",
    "Notification",
    "NotificationStatus",
    "Opportunity",
    "OutboxOperation",
    "OutboxStatus",
    "OutboxTarget",
    "Price",
    "PriceInterval",
    "Product",
    "Source",
    "StripeInboxEvent",
    "Subscription",
    "SubscriptionItem",
    "SubscriptionStatus",
    "System",
    "UTCDateTime",
    "currency_check",
    "foreign_key",
    "ledger_id_column",
    "metadata",
    "new_ledger_id",
    "non_negative",
    "one_of",
]
