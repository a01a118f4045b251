"""One Stripe object's current copy applied to the ledger, if the ledger bills it.

Shared by the inbox (:mod:`connector.inbound.stripe.apply_inbox`), which re-fetches what its events
are about, and by reconciliation (:mod:`connector.inbound.stripe.reconcile`), which lists
objects. Each method works inside the caller's transaction and returns whether it applied
anything; objects the ledger does not bill (other integrations' subscriptions, invoices of
customers it does not know) are skipped. A one-off invoice (no subscription) of a known
customer is billed: its money is revenue like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.billing import shapes
from connector.billing.client import StripeGateway
from connector.inbound.stripe import imported, money_facts
from connector.inbound.stripe.invoice_facts import (
    FailedAttempt,
    apply_invoice,
    update_payment_status,
)
from connector.inbound.stripe.money_facts import MoneyFact
from connector.inbound.stripe.subscription_facts import apply_stripe_subscription
from connector.ledger import outbox_commands as commands
from connector.ledger import stripe_import
from connector.ledger.models import ChangeKind, Customer, Invoice, Subscription, System
from connector.ledger.unit_of_work import UnitOfWork
from connector.mapping import MappingSet

Json = dict[str, Any]


@dataclass(frozen=True)
class Origin:
    """What told us about the object, for journal timestamps and Salesforce write keys.

    Attributes:
        tag: ``event:<evt id>`` or ``reconciled:<run id>``; part of each write's outbox key.
        at: when Stripe reported it (None: now).
        listed: a copy listed by reconciliation (``at`` is when we learned of it, not
            when it changed).
    """

    tag: str
    at: datetime | None = None
    listed: bool = False

    @classmethod
    def reconciled(cls, uow: UnitOfWork) -> Origin:
        """A copy listed by reconciliation in this run."""
        return cls(f"reconciled:{uow.run_id}", uow.now, listed=True)


class StripeObjects:
    """Applies current copies of subscriptions, invoices, refunds, credit notes, customers.

    Args:
        gateway: Stripe, for the one lookup an object needs (a charge's invoice).
        mappings: ``stripe_to_subscription.toml`` for subscription facts.
    """

    def __init__(self, gateway: StripeGateway, mappings: MappingSet) -> None:
        self._gateway = gateway
        self._mappings = mappings

    def subscription(self, uow: UnitOfWork, current: Json, origin: Origin) -> bool:
        """Apply a subscription; queue its Salesforce update when facts changed.

        An imported one (:mod:`connector.ledger.stripe_import`) is Stripe's: its items
        follow Stripe, and Salesforce hears of it only when it is mirrored.
        """
        subscription = _billed(uow, current["id"])
        if subscription is None:
            return False
        record = stripe_import.imported(uow.session, "subscription", subscription.id)
        if record is None:
            return apply_stripe_subscription(
                uow, subscription, current, self._mappings, source_ts=origin.at or uow.now,
                listed=origin.listed, write_reason=origin.tag)
        items = imported.sync_items(uow, subscription, current, self._mappings)
        first = record.mirrored and commands.enqueue(uow, imported.mirror_write(uow, subscription))
        facts = apply_stripe_subscription(
            uow, subscription, current, self._mappings, source_ts=origin.at or uow.now,
            listed=origin.listed, write_reason=origin.tag, stripe_owned=True,
            write=record.mirrored, always_write=first)
        return facts or items

    def invoice(self, uow: UnitOfWork, invoice: Json, failures: list[FailedAttempt],
                origin: Origin) -> bool:
        """Apply an invoice and its money; update the subscription's payment status.

        A one-off invoice (billing no subscription) of a customer the ledger knows is
        applied without a subscription: its money counts in revenue, and no payment status
        or ``Subscription__c`` follows from it.

        Returns:
            Whether anything changed (False too when the ledger does not bill it: another
            integration's subscription, or a customer the ledger does not know).
        """
        stripe_sub = shapes.invoice_subscription(invoice)
        if stripe_sub is None:
            if known_customer(uow, shapes.customer_of(invoice)) is None:
                return False
            return apply_invoice(uow, None, invoice, failures, source_ts=origin.at)
        subscription = _billed(uow, stripe_sub)
        if subscription is None:
            return False
        changed = apply_invoice(uow, subscription, invoice, failures, source_ts=origin.at)
        self._payment_status(uow, subscription, origin)
        return changed

    def money(self, uow: UnitOfWork, invoice_id: str | None, facts: list[MoneyFact],
              origin: Origin) -> bool:
        """Record refunds or credit notes against the ledger's copy of ``invoice_id`` (a
        one-off invoice's too; only a subscription's payment status follows from them).

        Returns:
            Whether the ledger bills that invoice (False: nothing recorded).
        """
        ledger_id = uow.entity_for(System.STRIPE, "invoice", invoice_id or "")
        invoice = uow.session.get(Invoice, ledger_id) if ledger_id else None
        if invoice is None:
            return False
        subscription = (uow.session.get(Subscription, invoice.subscription_id)
                        if invoice.subscription_id else None)
        for fact in facts:
            money_facts.record_money(uow, fact, invoice, subscription)
        if subscription is not None:
            self._payment_status(uow, subscription, origin)
        return True

    def refunds(self, uow: UnitOfWork, charge: Json, origin: Origin) -> bool:
        """Record a charge's refunds against the invoice it paid."""
        return self.money(uow, self.invoice_of_charge(charge), money_facts.refunds_of(charge),
                          origin)

    def credit_note(self, uow: UnitOfWork, note: Json, origin: Origin) -> bool:
        """Record an issued credit note against its invoice."""
        fact = money_facts.credit_note_fact(note)
        return self.money(uow, shapes.invoice_of(note), [fact] if fact else [], origin)

    def invoice_of_charge(self, charge: Json) -> str | None:
        """The invoice a charge paid, asked of Stripe through its payment intent.

        Call it outside a transaction when you can: it is a Stripe request.
        """
        intent = charge.get("payment_intent")
        return self._gateway.invoice_paid_by(str(intent)) if intent else None

    @staticmethod
    def _payment_status(uow: UnitOfWork, subscription: Subscription, origin: Origin) -> None:
        record = stripe_import.imported(uow.session, "subscription", subscription.id)
        update_payment_status(uow, subscription, f"payment:{origin.tag}",
                              write=record is None or record.mirrored)


def apply_customer(uow: UnitOfWork, current: Json, source_ts: datetime) -> bool:
    """Bring a linked ledger customer in line with Stripe's copy (name, email, deletion)."""
    ledger_id = uow.entity_for(System.STRIPE, "customer", current["id"])
    customer = uow.session.get(Customer, ledger_id) if ledger_id else None
    if customer is None:
        return False
    deleted = bool(current.get("deleted"))
    name: str | None = customer.name if deleted else current.get("name")
    email: str | None = customer.email if deleted else current.get("email")
    before = {"name": customer.name, "email": customer.email,
              "deleted": customer.deleted_at is not None}
    after = {"name": name, "email": email, "deleted": deleted}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changes:
        return False
    customer.name, customer.email = name, email
    customer.deleted_at = customer.deleted_at or (uow.now if deleted else None)
    customer.updated_at = uow.now
    uow.record("customer", customer.id, "stripe", ChangeKind.UPDATE, changes,
               source_ts=source_ts)
    return True


def known_customer(uow: UnitOfWork, stripe_customer: str | None) -> Customer | None:
    """The ledger customer of a Stripe customer (linked or imported), if any."""
    ledger_id = uow.entity_for(System.STRIPE, "customer", stripe_customer or "")
    return uow.session.get(Customer, ledger_id) if ledger_id else None


def _billed(uow: UnitOfWork, stripe_subscription: str | None) -> Subscription | None:
    ledger_id = uow.entity_for(System.STRIPE, "subscription", stripe_subscription or "")
    return uow.session.get(Subscription, ledger_id) if ledger_id else None
