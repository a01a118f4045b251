"""Outbox commands: one frozen dataclass per kind of outbox operation.

A command knows its target, its operation name, its outbox key and its payload;
:func:`enqueue` queues one, and each command's ``from_row`` parses a claimed row back for
its dispatcher. Kinds:

- :class:`ActivateSubscription` (Stripe): ``stripe:activate_subscription:<ledger id>``.
- :class:`UpdateSubscription` (Stripe): ``stripe:update_subscription:<ledger id>:<reason>``.
- :class:`CancelSubscription` (Stripe): ``stripe:cancel_subscription:<ledger id>:<reason>``.
- :class:`SubscriptionWrite` (Salesforce upsert by ``Ledger_Id__c``):
  ``salesforce:Subscription__c:<ledger id>:<reason>``.

The keys and the payload JSON are exactly those of rows already queued in a ledger's
outbox: Stripe idempotency keys are the outbox keys, so another spelling would create a
second Stripe object after an upgrade.

:func:`proration_behavior` is the one proration policy: a CSM's edit prorates as
``[stripe] proration_behavior`` says; a correction (re-sending what Salesforce owns after
an edit nobody asked for, or an admin's resolution) and a future start bill nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, cast

from connector.ledger.models import OutboxOperation, OutboxTarget

if TYPE_CHECKING:
    from connector.ledger.unit_of_work import UnitOfWork

ProrationBehavior = Literal["create_prorations", "always_invoice", "none"]
"""Stripe's ``proration_behavior`` values (``[stripe] proration_behavior``)."""

SUBSCRIPTION = "subscription"
"""The ledger entity type every command here is about."""


class ChangeOrigin(StrEnum):
    """Why a billing change is sent to Stripe; it decides the proration."""

    CSM_EDIT = "csm_edit"
    """A CSM's edit in Salesforce (upsell, downgrade, product change, cancellation)."""
    CORRECTION = "correction"
    """Salesforce's value sent again (a conflict re-asserted, an admin's resolution)."""
    FUTURE_START = "future_start"
    """An activation whose billing cycle is anchored at a later start date."""


def proration_behavior(origin: ChangeOrigin,
                       configured: ProrationBehavior | None = None) -> ProrationBehavior:
    """The proration behaviour of a change sent to Stripe.

    Args:
        origin: why the change is sent.
        configured: ``[stripe] proration_behavior``; required for :attr:`ChangeOrigin.CSM_EDIT`.

    Returns:
        ``configured`` for a CSM's edit; ``"none"`` otherwise (undoing an edit nobody asked
        for bills nothing; the days before a future start are not charged).

    Raises:
        ValueError: a CSM's edit without the configured behaviour.
    """
    if origin is not ChangeOrigin.CSM_EDIT:
        return "none"
    if configured is None:
        raise ValueError("a CSM's edit prorates as [stripe] proration_behavior says")
    return configured


class OutboxCommand(Protocol):
    """What :func:`enqueue` needs of a command."""

    TARGET: ClassVar[OutboxTarget]
    OPERATION: ClassVar[str]

    @property
    def ledger_id(self) -> str:
        """The ledger subscription the operation is about."""

    @property
    def key(self) -> str:
        """The outbox key (unique; the Stripe idempotency key)."""

    def payload(self) -> dict[str, Any]:
        """The JSON stored with the operation."""


def enqueue(uow: UnitOfWork, command: OutboxCommand, *, fresh: bool = False) -> bool:
    """Queue ``command`` unless an operation with its key exists; return whether it was added.

    ``fresh``: see :meth:`UnitOfWork.enqueue`.
    """
    return uow.enqueue(command.TARGET, command.OPERATION, command.key, command.payload(),
                       (SUBSCRIPTION, command.ledger_id), fresh=fresh)


def _reason(op: OutboxOperation, prefix: str) -> str:
    return op.key.removeprefix(f"{prefix}:{op.entity_id}:")


@dataclass(frozen=True)
class ActivateSubscription:
    """Create (or find) the Stripe customer and subscription of an activated subscription.

    Attributes:
        ledger_id: the ledger subscription.
        salesforce_id: its ``Subscription__c`` record id when activation was asked for.
    """

    TARGET: ClassVar[OutboxTarget] = OutboxTarget.STRIPE
    OPERATION: ClassVar[str] = "activate_subscription"
    ledger_id: str
    salesforce_id: str | None

    @property
    def key(self) -> str:
        """One activation per subscription, ever."""
        return activation_key(self.ledger_id)

    def payload(self) -> dict[str, Any]:
        """``{"salesforce_id": ...}``."""
        return {"salesforce_id": self.salesforce_id}

    @classmethod
    def from_row(cls, op: OutboxOperation) -> ActivateSubscription:
        """The command a queued row holds."""
        salesforce_id = op.payload.get("salesforce_id")
        return cls(str(op.entity_id), str(salesforce_id) if salesforce_id else None)


def activation_key(ledger_id: str) -> str:
    """The outbox key of a subscription's activation."""
    return f"stripe:{ActivateSubscription.OPERATION}:{ledger_id}"


@dataclass(frozen=True)
class UpdateSubscription:
    """Change a Stripe subscription's parameters.

    Attributes:
        ledger_id: the ledger subscription.
        stripe_subscription: its Stripe id.
        params: the changed parameters by dotted name (``items.0.quantity``,
            ``items.0.price`` as a lookup key, ``cancel_at_period_end``, ``cancel_at``;
            None clears a value).
        proration_behavior: see :func:`proration_behavior`.
        reason: what the key is unique for: the journal entry of a CSM's edit,
            ``conflict:<id>`` or ``resolve:<id>``.
    """

    TARGET: ClassVar[OutboxTarget] = OutboxTarget.STRIPE
    OPERATION: ClassVar[str] = "update_subscription"
    ledger_id: str
    stripe_subscription: str
    params: Mapping[str, Any]
    proration_behavior: ProrationBehavior
    reason: str

    @property
    def key(self) -> str:
        """``stripe:update_subscription:<ledger id>:<reason>``."""
        return f"stripe:{self.OPERATION}:{self.ledger_id}:{self.reason}"

    def payload(self) -> dict[str, Any]:
        """``{"stripe_subscription", "params", "proration_behavior"}``."""
        return {"stripe_subscription": self.stripe_subscription, "params": dict(self.params),
                "proration_behavior": self.proration_behavior}

    @classmethod
    def from_row(cls, op: OutboxOperation) -> UpdateSubscription:
        """The command a queued row holds."""
        return cls(str(op.entity_id), str(op.payload["stripe_subscription"]),
                   dict(op.payload.get("params") or {}),
                   cast(ProrationBehavior, op.payload["proration_behavior"]),
                   _reason(op, f"stripe:{cls.OPERATION}"))


@dataclass(frozen=True)
class CancelSubscription:
    """Cancel a Stripe subscription at once.

    Attributes:
        ledger_id: the ledger subscription.
        stripe_subscription: its Stripe id.
        proration_behavior: ``"none"`` cancels without a proration credit.
        reason: the journal entry of the CSM's edit.
    """

    TARGET: ClassVar[OutboxTarget] = OutboxTarget.STRIPE
    OPERATION: ClassVar[str] = "cancel_subscription"
    ledger_id: str
    stripe_subscription: str
    proration_behavior: ProrationBehavior
    reason: str

    @property
    def key(self) -> str:
        """``stripe:cancel_subscription:<ledger id>:<reason>``."""
        return f"stripe:{self.OPERATION}:{self.ledger_id}:{self.reason}"

    @property
    def prorate(self) -> bool:
        """Whether Stripe credits the unused time."""
        return self.proration_behavior != "none"

    def payload(self) -> dict[str, Any]:
        """``{"stripe_subscription", "params": {}, "proration_behavior"}``."""
        return {"stripe_subscription": self.stripe_subscription, "params": {},
                "proration_behavior": self.proration_behavior}

    @classmethod
    def from_row(cls, op: OutboxOperation) -> CancelSubscription:
        """The command a queued row holds."""
        return cls(str(op.entity_id), str(op.payload["stripe_subscription"]),
                   cast(ProrationBehavior, op.payload["proration_behavior"]),
                   _reason(op, f"stripe:{cls.OPERATION}"))


LifecycleCommand = UpdateSubscription | CancelSubscription
LIFECYCLE_OPERATIONS = (UpdateSubscription.OPERATION, CancelSubscription.OPERATION)


def lifecycle_command(op: OutboxOperation) -> LifecycleCommand:
    """The update or cancellation a queued row holds."""
    if op.operation == CancelSubscription.OPERATION:
        return CancelSubscription.from_row(op)
    return UpdateSubscription.from_row(op)


@dataclass(frozen=True)
class SubscriptionWrite:
    """Upsert ``Subscription__c`` values by ``Ledger_Id__c``.

    Attributes:
        ledger_id: the ledger subscription (the external id).
        fields: the values to write, by shipped field name (JSON values).
        reason: what the key is unique for (``generate``, ``activated``, ``error:<op id>``…).
    """

    TARGET: ClassVar[OutboxTarget] = OutboxTarget.SALESFORCE
    SOBJECT: ClassVar[str] = "Subscription__c"
    OPERATION: ClassVar[str] = "upsert:Subscription__c"
    EXTERNAL_ID: ClassVar[str] = "Ledger_Id__c"
    ledger_id: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""

    @property
    def key(self) -> str:
        """``salesforce:Subscription__c:<ledger id>:<reason>``."""
        return f"salesforce:{self.SOBJECT}:{self.ledger_id}:{self.reason}"

    def payload(self) -> dict[str, Any]:
        """The record: ``{"Ledger_Id__c": <ledger id>, **fields}``."""
        return {self.EXTERNAL_ID: self.ledger_id, **self.fields}

    @classmethod
    def from_row(cls, op: OutboxOperation) -> SubscriptionWrite:
        """The command a queued row holds."""
        ledger_id = str(op.payload.get(cls.EXTERNAL_ID, op.entity_id))
        values = {k: v for k, v in op.payload.items() if k != cls.EXTERNAL_ID}
        return cls(ledger_id, values, _reason(op, f"salesforce:{cls.SOBJECT}"))


def sync_error(ledger_id: str, reason: str, message: str) -> SubscriptionWrite:
    """The write that shows why Stripe rejected a change in ``Sync_Error__c``."""
    return SubscriptionWrite(ledger_id, {"Sync_Error__c": message[:32768]}, reason)
