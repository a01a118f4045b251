"""``/v1/subscriptions`` and ``/v1/subscription_items``."""

from __future__ import annotations

from crm_emulators.stripe_emulator.api.lists import ListQuery, paginate
from crm_emulators.stripe_emulator.api.routing import Call, Route
from crm_emulators.stripe_emulator.billing import status, subscribe, updates
from crm_emulators.stripe_emulator.billing.requests import (
    Cancellation,
    ItemInput,
    NewSubscription,
    SubscriptionChange,
)
from crm_emulators.stripe_emulator.errors import missing
from crm_emulators.stripe_emulator.params import (
    UNSET,
    IntRange,
    Opt,
    Params,
    Unset,
    or_default,
)
from crm_emulators.stripe_emulator.records import Json, Subscription, SubscriptionItem

COLLECTION = ("charge_automatically", "send_invoice")
PRORATION = ("create_prorations", "always_invoice", "none")
PAYMENT_BEHAVIOR = ("allow_incomplete", "default_incomplete", "error_if_incomplete")
STATUSES = ("active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired",
            "trialing", "paused", "all", "ended")


def _items(params: Params) -> Opt[list[ItemInput]]:
    entries = params.children("items")
    if isinstance(entries, Unset):
        return UNSET
    return [ItemInput(id=or_default(entry.text("id"), None),
                      price=or_default(entry.text("price"), None),
                      quantity=or_default(entry.integer("quantity"), None),
                      deleted=or_default(entry.boolean("deleted"), False),
                      metadata=entry.metadata())
            for entry in entries]


def _coupons(params: Params) -> Opt[list[str]]:
    entries = params.children("discounts")
    if isinstance(entries, Unset):
        return UNSET
    return [entry.required_text("coupon") for entry in entries]


def _metadata(params: Params) -> dict[str, str]:
    given = or_default(params.metadata(), None) or {}
    return {key: value for key, value in given.items() if value is not None}


def _new(params: Params) -> NewSubscription:
    collection = or_default(params.choice("collection_method", COLLECTION),
                            "charge_automatically")
    days = or_default(params.integer("days_until_due"), None)
    if collection == "send_invoice" and days is None:
        raise missing("days_until_due")
    trial_end = or_default(params.timestamp("trial_end", allow_now=True), None)
    return NewSubscription(
        customer=params.required_text("customer"), items=or_default(_items(params), []),
        collection_method=collection, days_until_due=days,
        trial_end=trial_end if isinstance(trial_end, int) else None,
        trial_period_days=or_default(params.integer("trial_period_days"), None),
        trial_from_plan=or_default(params.boolean("trial_from_plan"), False),
        metadata=_metadata(params),
        proration_behavior=or_default(params.choice("proration_behavior", PRORATION),
                                      "create_prorations"),
        billing_cycle_anchor=or_default(params.integer("billing_cycle_anchor"), None),
        backdate_start_date=or_default(params.integer("backdate_start_date"), None),
        cancel_at_period_end=or_default(params.boolean("cancel_at_period_end"), False),
        cancel_at=or_default(params.integer("cancel_at"), None),
        default_payment_method=or_default(params.text("default_payment_method"), None),
        payment_behavior=or_default(params.choice("payment_behavior", PAYMENT_BEHAVIOR),
                                    "allow_incomplete"),
        coupons=or_default(_coupons(params), []),
        description=or_default(params.text("description"), None))


def _change(params: Params) -> SubscriptionChange:
    details = params.child("cancellation_details")
    trial_end = params.timestamp("trial_end", allow_now=True)
    return SubscriptionChange(
        items=_items(params),
        proration_behavior=or_default(params.choice("proration_behavior", PRORATION),
                                      "create_prorations"),
        proration_date=or_default(params.integer("proration_date"), None),
        cancel_at_period_end=params.boolean("cancel_at_period_end"),
        cancel_at=params.integer("cancel_at"), metadata=params.metadata(),
        collection_method=params.choice("collection_method", COLLECTION),
        days_until_due=params.integer("days_until_due"),
        default_payment_method=params.text("default_payment_method"),
        description=params.text("description"),
        trial_end=UNSET if trial_end is None else trial_end,
        coupons=_coupons(params),
        billing_cycle_anchor=params.choice("billing_cycle_anchor", ("now", "unchanged")),
        cancellation_comment=details.text("comment") if details else UNSET,
        cancellation_feedback=details.text("feedback") if details else UNSET)


def create(call: Call) -> Json:
    """``POST /v1/subscriptions``."""
    req = _new(call.params)
    call.params.finish()
    return call.backend.render(subscribe.create(call.backend, req))


def retrieve(call: Call) -> Json:
    """``GET /v1/subscriptions/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(Subscription, call.path["id"]))


def update(call: Call) -> Json:
    """``POST /v1/subscriptions/{id}``."""
    sub = call.backend.store.get(Subscription, call.path["id"])
    change = _change(call.params)
    call.params.finish()
    return call.backend.render(updates.update(call.backend, sub, change))


def cancel(call: Call) -> Json:
    """``DELETE /v1/subscriptions/{id}``: cancel now."""
    sub = call.backend.store.get(Subscription, call.path["id"])
    p = call.params
    details = p.child("cancellation_details")
    req = Cancellation(prorate=or_default(p.boolean("prorate"), False),
                       invoice_now=or_default(p.boolean("invoice_now"), False),
                       comment=or_default(details.text("comment"), None) if details else None,
                       feedback=or_default(details.text("feedback"), None) if details else None)
    p.finish()
    return call.backend.render(updates.cancel(call.backend, sub, req))


def list_(call: Call) -> Json:
    """``GET /v1/subscriptions`` by ``customer``, ``price``, ``status`` (default: not
    ended), ``collection_method``, ``created`` and ``test_clock``."""
    p = call.params
    customer = or_default(p.text("customer"), None)
    price = or_default(p.text("price"), None)
    wanted_status = or_default(p.choice("status", STATUSES), None)
    collection = or_default(p.choice("collection_method", COLLECTION), None)
    created = or_default(p.range("created"), IntRange())
    clock = or_default(p.text("test_clock"), None)
    query = ListQuery.read(p)
    p.finish()

    def wanted(sub: Subscription) -> bool:
        prices = {call.backend.store.get(SubscriptionItem, ident).price for ident in sub.items}
        return ((customer is None or sub.customer == customer)
                and (price is None or price in prices)
                and _status_matches(sub.status, wanted_status)
                and (collection is None or sub.collection_method == collection)
                and created.contains(sub.created)
                and (clock is None or sub.test_clock == clock))

    rows = call.backend.store.newest_first(Subscription, wanted)
    return paginate(rows, query, call.url, call.backend.render)


def _status_matches(actual: str, wanted: str | None) -> bool:
    if wanted is None:
        return actual not in status.ENDED
    if wanted == "ended":
        return actual in status.ENDED
    return wanted in ("all", actual)


def list_items(call: Call) -> Json:
    """``GET /v1/subscription_items?subscription=...``."""
    sub = call.backend.store.get(Subscription, call.params.required_text("subscription"),
                                 "subscription")
    query = ListQuery.read(call.params)
    call.params.finish()
    rows = list(reversed([call.backend.store.get(SubscriptionItem, i) for i in sub.items]))
    return paginate(rows, query, call.url, call.backend.render)


def retrieve_item(call: Call) -> Json:
    """``GET /v1/subscription_items/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(SubscriptionItem, call.path["id"]))


def update_item(call: Call) -> Json:
    """``POST /v1/subscription_items/{id}``: price, quantity or metadata, prorated as the
    subscription update would be."""
    item = call.backend.store.get(SubscriptionItem, call.path["id"])
    p = call.params
    entry = ItemInput(id=item.id, price=or_default(p.text("price"), None),
                      quantity=or_default(p.integer("quantity"), None), metadata=p.metadata())
    change = SubscriptionChange(
        items=[entry], proration_behavior=or_default(p.choice("proration_behavior", PRORATION),
                                                     "create_prorations"),
        proration_date=or_default(p.integer("proration_date"), None))
    p.finish()
    sub = call.backend.store.get(Subscription, item.subscription)
    updates.update(call.backend, sub, change)
    return call.backend.render(item)


ROUTES = [
    Route("POST", "/v1/subscriptions", create),
    Route("GET", "/v1/subscriptions", list_),
    Route("GET", "/v1/subscriptions/{id}", retrieve),
    Route("POST", "/v1/subscriptions/{id}", update),
    Route("DELETE", "/v1/subscriptions/{id}", cancel),
    Route("GET", "/v1/subscription_items", list_items),
    Route("GET", "/v1/subscription_items/{id}", retrieve_item),
    Route("POST", "/v1/subscription_items/{id}", update_item),
]
