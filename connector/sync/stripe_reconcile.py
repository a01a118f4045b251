"""Closing a gap longer than Stripe's 30-day event window by listing the objects themselves.

Used when the events cursor is older than the window (the daemon was down, or webhooks and
the backstop both failed for that long): the events in between are gone, so the customers,
every subscription, and the invoices, refunds and credit notes of the gap are listed and
applied as Stripe holds them now. Applying current state is idempotent, so a reconciliation
interrupted half way is simply run again (the cursor advances only once it finished).
"""

from __future__ import annotations

from datetime import datetime

from connector.billing import shapes
from connector.billing.client import StripeGateway
from connector.sync import money_facts
from connector.sync.invoice_facts import FailedAttempt
from connector.sync.stripe_apply import InboxApplier, apply_customer
from connector.sync.unit_of_work import Ledger


class Reconciliation:
    """Lists customers, subscriptions and invoices and applies each to the ledger.

    Args:
        ledger: the ledger of this run.
        gateway: Stripe.
        applier: applies one object's current copy (shared with the inbox).
    """

    def __init__(self, ledger: Ledger, gateway: StripeGateway, applier: InboxApplier) -> None:
        self._ledger = ledger
        self._gateway = gateway
        self._applier = applier

    def run(self, invoices_since: int) -> int:
        """Apply every object listed; return how many changed the ledger.

        Args:
            invoices_since: Unix seconds; invoices created before are not listed.
        """
        changed = 0
        for customer in self._gateway.all_customers():
            with self._ledger.unit() as uow:
                changed += apply_customer(uow, customer, uow.now)
        for subscription in self._gateway.all_subscriptions():
            with self._ledger.unit() as uow:
                changed += self._applier.apply_subscription(uow, subscription, None)
        for invoice in self._gateway.invoices_since(invoices_since):
            with self._ledger.unit() as uow:
                changed += self._applier.apply_invoice(uow, invoice,
                                                       _failures(invoice, uow.now), None)
        return changed + self._money(invoices_since)

    def _money(self, since: int) -> int:
        """Refunds (through their charges) and credit notes created since ``since``."""
        applied = 0
        charges = {str(r["charge"]) for r in self._gateway.refunds_since(since) if r.get("charge")}
        for charge_id in sorted(charges):
            charge = self._gateway.fetch("charge", charge_id)
            invoice = self._applier.invoice_of_charge(charge)
            with self._ledger.unit() as uow:
                applied += self._applier.apply_money(uow, invoice, money_facts.refunds_of(charge),
                                                     f"reconciled:{uow.run_id}")
        for note in self._gateway.credit_notes_since(since):
            fact = money_facts.credit_note_fact(note)
            with self._ledger.unit() as uow:
                applied += self._applier.apply_money(uow, shapes.invoice_of(note),
                                                     [fact] if fact else [],
                                                     f"reconciled:{uow.run_id}")
        return applied


def _failures(invoice: dict[str, object], now: datetime) -> list[FailedAttempt]:
    """A still-open invoice that was attempted failed at least once while we were away."""
    attempts = int(str(invoice.get("attempt_count") or 0))
    if invoice.get("status") != "open" or not attempts:
        return []
    return [FailedAttempt(attempts, int(str(invoice.get("amount_due") or 0)), now)]
