"""Typed inputs of the subscription operations, parsed from the API's form parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_emulators.stripe_emulator.params import UNSET, Opt

Metadata = dict[str, str | None] | None


@dataclass(frozen=True)
class ItemInput:
    """One ``items[n]`` entry: an existing item by ``id``, or a new one by ``price``."""

    id: str | None = None
    price: str | None = None
    quantity: int | None = None
    deleted: bool = False
    metadata: Opt[Metadata] = UNSET


@dataclass(frozen=True)
class NewSubscription:
    """``POST /v1/subscriptions``."""

    customer: str
    items: list[ItemInput]
    collection_method: str = "charge_automatically"
    days_until_due: int | None = None
    trial_end: int | None = None
    trial_period_days: int | None = None
    trial_from_plan: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    proration_behavior: str = "create_prorations"
    billing_cycle_anchor: int | None = None
    backdate_start_date: int | None = None
    cancel_at_period_end: bool = False
    cancel_at: int | None = None
    default_payment_method: str | None = None
    payment_behavior: str = "allow_incomplete"
    coupons: list[str] = field(default_factory=list)
    description: str | None = None


@dataclass(frozen=True)
class SubscriptionChange:
    """``POST /v1/subscriptions/{id}``; UNSET fields are left as they are."""

    items: Opt[list[ItemInput]] = UNSET
    proration_behavior: str = "create_prorations"
    proration_date: int | None = None
    cancel_at_period_end: Opt[bool] = UNSET
    cancel_at: Opt[int | None] = UNSET
    metadata: Opt[Metadata] = UNSET
    collection_method: Opt[str] = UNSET
    days_until_due: Opt[int | None] = UNSET
    default_payment_method: Opt[str | None] = UNSET
    description: Opt[str | None] = UNSET
    trial_end: Opt[int | str] = UNSET
    coupons: Opt[list[str]] = UNSET
    billing_cycle_anchor: Opt[str] = UNSET
    cancellation_comment: Opt[str | None] = UNSET
    cancellation_feedback: Opt[str | None] = UNSET

    def only_bookkeeping(self) -> bool:
        """Whether only metadata and cancellation details change (all a canceled
        subscription accepts)."""
        touched = {name for name, value in vars(self).items() if value is not UNSET}
        defaults = {"proration_behavior", "proration_date"}
        return touched - defaults <= {"metadata", "cancellation_comment",
                                      "cancellation_feedback"}


@dataclass(frozen=True)
class Cancellation:
    """``DELETE /v1/subscriptions/{id}``."""

    prorate: bool = False
    invoice_now: bool = False
    comment: str | None = None
    feedback: str | None = None
