"""List endpoints page as Stripe documents: ``limit``, ``starting_after``, ``has_more``,
newest first, ``created`` filters; subscriptions in every status with ``status=all``.

What ``import stripe`` relies on for customers, subscriptions, invoices, refunds and credit
notes (https://docs.stripe.com/api/pagination).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import stripe
from stripe_emu_helpers import Subscribe

from crm_emulators.stripe_emulator import StripeEmulator

Lister = Callable[[dict[str, Any]], Any]


def _walk(lister: Lister, params: dict[str, Any]) -> tuple[list[str], list[bool]]:
    """Every id, page after page, and each page's ``has_more``."""
    ids: list[str] = []
    more: list[bool] = []
    while True:
        page = lister(params)
        ids += [obj.id for obj in page.data]
        more.append(page.has_more)
        if not page.has_more:
            return ids, more
        params = {**params, "starting_after": page.data[-1].id}


def _history(emulator: StripeEmulator, client: stripe.StripeClient,
             subscribe: Subscribe) -> list[stripe.Subscription]:
    """Three subscriptions a second apart, each paid, refunded in part and credited in part
    a second apart; the first canceled."""
    subscriptions = []
    for _ in range(3):
        subscriptions.append(subscribe())
        emulator.advance(timedelta(seconds=1))
    for sub in subscriptions:
        invoice = client.v1.invoices.list({"subscription": sub.id}).data[0]
        [payment] = client.v1.invoice_payments.list({"invoice": invoice.id}).data
        intent = client.v1.payment_intents.retrieve(str(payment.payment.payment_intent))
        client.v1.refunds.create({"charge": str(intent.latest_charge), "amount": 100})
        client.v1.credit_notes.create({"invoice": invoice.id, "amount": 100})
        emulator.advance(timedelta(seconds=1))
    client.v1.subscriptions.cancel(subscriptions[0].id)
    return subscriptions


@pytest.mark.parametrize("service", ["customers", "subscriptions", "invoices", "refunds",
                                     "credit_notes"])
def test_every_page_is_limit_long_newest_first_and_the_pages_add_up(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe,
        service: str) -> None:
    _history(emulator, client, subscribe)
    lister = getattr(client.v1, service).list
    extra = {"status": "all"} if service == "subscriptions" else {}

    ids, more = _walk(lister, {"limit": 1, **extra})

    everything = lister({"limit": 100, **extra})
    assert ids == [obj.id for obj in everything.data]
    assert len(ids) == len(set(ids)) == 3
    assert more == [True, True, False]
    created = [obj.created for obj in everything.data]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize("service", ["customers", "subscriptions", "invoices", "refunds",
                                     "credit_notes"])
def test_created_gte_leaves_out_what_is_older(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe,
        service: str) -> None:
    _history(emulator, client, subscribe)
    lister = getattr(client.v1, service).list
    extra = {"status": "all"} if service == "subscriptions" else {}
    everything = lister({"limit": 100, **extra}).data
    second = sorted(obj.created for obj in everything)[1]  # each made a second apart

    newer, _ = _walk(lister, {"limit": 1, "created": {"gte": second}, **extra})

    assert newer == [obj.id for obj in everything[:2]]


def test_subscriptions_list_leaves_out_canceled_ones_unless_status_is_all(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    subscriptions = _history(emulator, client, subscribe)

    default = [s.id for s in client.v1.subscriptions.list({"limit": 100}).data]
    every = {s.id: s.status for s in client.v1.subscriptions.list(
        {"limit": 100, "status": "all"}).data}

    assert subscriptions[0].id not in default
    assert every[subscriptions[0].id] == "canceled"
    assert set(every) == {s.id for s in subscriptions}


def test_a_limit_over_100_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.customers.list({"limit": 101})
    assert refused.value.param == "limit"
