"""A Stripe account with history from before the daemon: what ``import stripe`` reads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import stripe

from connector.commands.import_command import build_import
from connector.config import load_config
from connector.inbound.stripe.importer import StripeImport
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from e2e.world import World

HOOLI_EMAIL = "billing@hooli.example"


@dataclass(frozen=True)
class History:
    """The Stripe ids of the pre-existing objects."""

    by_metadata: str
    """A customer whose ``metadata.salesforce_account_id`` names the Acme account."""
    by_email: str
    """A customer whose email is the Hooli account's ``Billing_Email__c``."""
    unmatched: str
    """A customer no Account matches."""
    subscriptions: dict[str, str]
    """Customer id -> its subscription."""
    hooli: str
    """The Hooli Account's Salesforce Id."""
    one_off: str
    """A paid invoice of the Hooli customer that bills no subscription, partly refunded."""


def seed_history(world: World) -> History:
    """Three customers (one per way of matching), a subscription each, a month of renewals,
    a refund and a credit note, and a one-off invoice (250.00, 40.00 of it refunded), all
    made directly in Stripe."""
    client = world.stack.stripe.client()
    hooli = world.stack.salesforce.insert("Account", {
        "Name": "Hooli", "Billing_Email__c": HOOLI_EMAIL})
    made = [
        client.v1.customers.create({"name": "Acme self-serve", "metadata": {
            "salesforce_account_id": world.org.accounts["acme"]}}),
        client.v1.customers.create({"name": "Hooli", "email": HOOLI_EMAIL}),
        client.v1.customers.create({"name": "Walk-in", "email": "nobody@example.com"}),
    ]
    prices = [world.prices["PLATFORM-MONTHLY"], world.prices["SUPPORT-PREMIUM"],
              world.prices["PLATFORM-MONTHLY"]]
    subscriptions = {}
    for customer, price, quantity in zip(made, prices, (2, 1, 1), strict=True):
        subscriptions[customer.id] = client.v1.subscriptions.create({
            "customer": customer.id, "items": [{"price": price, "quantity": quantity}]}).id
    world.stack.stripe.advance(timedelta(days=31))  # a renewal invoice each, paid
    _refund_and_credit(client, subscriptions[made[0].id], subscriptions[made[2].id])
    one_off = one_off_invoice(client, made[1].id, 25000)
    refund_part(client, one_off, 4000)
    return History(made[0].id, made[1].id, made[2].id, subscriptions, hooli, one_off)


def one_off_invoice(client: stripe.StripeClient, customer: str, amount: int) -> str:
    """A paid invoice for ``customer`` that bills no subscription (one invoice item of
    ``amount`` minor units, USD; a credit balance of the customer pays part of it, as in
    Stripe); returns its id."""
    invoice = client.v1.invoices.create({"customer": customer})
    client.v1.invoice_items.create({"customer": customer, "invoice": str(invoice.id),
                                    "amount": amount, "currency": "usd",
                                    "description": "Onboarding workshop"})
    client.v1.invoices.finalize_invoice(str(invoice.id))
    paid = client.v1.invoices.pay(str(invoice.id))
    assert (paid.status, paid.total, paid.parent) == ("paid", amount, None)
    return str(invoice.id)


def refund_part(client: stripe.StripeClient, invoice_id: str, amount: int) -> None:
    """Refund ``amount`` of the charge that paid ``invoice_id``."""
    [payment] = client.v1.invoice_payments.list({"invoice": invoice_id}).data
    intent = client.v1.payment_intents.retrieve(str(payment.payment.payment_intent))
    client.v1.refunds.create({"charge": str(intent.latest_charge), "amount": amount})


def _refund_and_credit(client: stripe.StripeClient, refunded: str, credited: str) -> None:
    invoice = client.v1.invoices.list({"subscription": refunded}).data[-1]
    refund_part(client, str(invoice.id), 1550)
    invoice = client.v1.invoices.list({"subscription": credited}).data[-1]
    client.v1.credit_notes.create({"invoice": invoice.id, "amount": 1025})


def collected(world: World) -> dict[str, Decimal]:
    """What Stripe collected over the whole account, per currency: paid invoices less
    refunds and issued credit notes, in major units."""
    stripe_emu = world.stack.stripe
    totals: Counter[str] = Counter()
    for invoice in stripe_emu.objects("invoice"):
        if invoice["status"] == "paid":
            totals[invoice["currency"]] += invoice["amount_paid"]
    for refund in stripe_emu.objects("refund"):
        if refund["status"] == "succeeded":
            totals[refund["currency"]] -= refund["amount"]
    for note in stripe_emu.objects("credit_note"):
        if note["status"] == "issued":  # seeded without a refund part
            totals[note["currency"]] -= note["total"]
    return {currency: Decimal(amount) / 100 for currency, amount in totals.items()}


def importer(world: World, *, mirror: bool = False) -> StripeImport:
    """``import stripe`` for the world's config (with ``[stripe] mirror_unlinked``)."""
    config_path = world.folder / "config.toml"
    if mirror:
        _mirror_on(config_path)
    config = load_config(config_path)
    return build_import(config, Secrets(world.stack.environment()), clock=world.clock,
                        retry=NO_WAIT)


def _mirror_on(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if "\nmirror_unlinked = " not in text:
        path.write_text(text.replace("[stripe]\n", "[stripe]\nmirror_unlinked = true\n"),
                        encoding="utf-8")
