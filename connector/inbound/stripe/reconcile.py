"""Closing a gap longer than Stripe's 30-day event window by listing the objects themselves.

Used when the events cursor is older than the window (the daemon was down, or webhooks and
the backstop both failed for that long): the events in between are gone, so the customers,
every subscription, and the invoices, refunds and credit notes of the gap are listed and
applied as Stripe holds them now. Applying current state is idempotent, so a reconciliation
interrupted half way is simply run again (the cursor advances only once it finished).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connector.billing.client import StripeGateway
from connector.inbound.stripe import money_facts
from connector.inbound.stripe.invoice_facts import FailedAttempt
from connector.inbound.stripe.objects import Origin, StripeObjects, apply_customer
from connector.ledger.unit_of_work import Ledger


class Reconciliation:
    """Lists customers, subscriptions, invoices, refunds and credit notes; applies each.

    Args:
        ledger: the ledger of this run.
        gateway: Stripe.
        objects: applies one object's current copy (shared with the inbox).
    """

    def __init__(self, ledger: Ledger, gateway: StripeGateway, objects: StripeObjects) -> None:
        self._ledger = ledger
        self._gateway = gateway
        self._objects = objects

    def run(self, since: int) -> int:
        """Apply every object listed; return how many the ledger bills.

        Args:
            since: Unix seconds; invoices, refunds and credit notes created before are not
                listed (customers and subscriptions are, whatever their age).
        """
        applied = 0
        for customer in self._gateway.all_customers():
            with self._ledger.unit() as uow:
                applied += apply_customer(uow, customer, uow.now)
        for subscription in self._gateway.all_subscriptions():
            with self._ledger.unit() as uow:
                applied += self._objects.subscription(uow, subscription, Origin.reconciled(uow))
        for invoice in self._gateway.invoices_since(since):
            with self._ledger.unit() as uow:
                applied += self._objects.invoice(uow, invoice, failures_of(invoice, uow.now),
                                                 Origin.reconciled(uow))
        return applied + self._refunds(since) + self._credit_notes(since)

    def _refunds(self, since: int) -> int:
        charges = {str(r["charge"]) for r in self._gateway.refunds_since(since) if r.get("charge")}
        applied = 0
        for charge_id in sorted(charges):
            charge = self._gateway.fetch("charge", charge_id)
            invoice_id = self._objects.invoice_of_charge(charge)
            with self._ledger.unit() as uow:
                applied += self._objects.money(uow, invoice_id, money_facts.refunds_of(charge),
                                               Origin.reconciled(uow))
        return applied

    def _credit_notes(self, since: int) -> int:
        applied = 0
        for note in self._gateway.credit_notes_since(since):
            with self._ledger.unit() as uow:
                applied += self._objects.credit_note(uow, note, Origin.reconciled(uow))
        return applied


def failures_of(invoice: dict[str, Any], now: datetime) -> list[FailedAttempt]:
    """A still-open invoice that was attempted failed at least once while we were away."""
    attempts = int(invoice.get("attempt_count") or 0)
    if invoice.get("status") != "open" or not attempts:
        return []
    return [FailedAttempt(attempts, int(invoice.get("amount_due") or 0), now)]
