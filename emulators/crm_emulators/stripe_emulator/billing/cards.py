"""Payment methods: Stripe's test card tokens, attaching, and which card an invoice uses.

``pm_card_visa`` and friends create a fresh ``pm_…`` on use, as on Stripe. Cards that
decline do so when attached, except ``pm_card_chargeCustomerFail``, which attaches and then
fails every charge.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.errors import ApiError, card_declined, invalid
from crm_emulators.stripe_emulator.records import (
    Customer,
    Invoice,
    PaymentMethod,
    Subscription,
)


@dataclass(frozen=True)
class TestCard:
    """What a test token stands for."""

    __test__ = False  # not a pytest test class

    brand: str
    last4: str
    funding: str = "credit"
    declines_on_attach: str | None = None
    declines_charges: bool = False


TEST_CARDS = {
    "pm_card_visa": TestCard("visa", "4242"),
    "pm_card_visa_debit": TestCard("visa", "5556", funding="debit"),
    "pm_card_mastercard": TestCard("mastercard", "4444"),
    "pm_card_amex": TestCard("amex", "8431"),
    "pm_card_chargeCustomerFail": TestCard("visa", "0341", declines_charges=True),
    "pm_card_chargeDeclined": TestCard("visa", "0002", declines_on_attach="generic_decline"),
    "pm_card_visa_chargeDeclined": TestCard("visa", "0002",
                                            declines_on_attach="generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard(
        "visa", "9995", declines_on_attach="insufficient_funds"),
}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
}


def resolve(backend: Backend, reference: str, customer: Customer | None,
            param: str) -> PaymentMethod:
    """The payment method ``reference`` names, attached to ``customer`` when given.

    Raises:
        ApiError: 404 for an unknown id, 402 for a card that declines on attach, 400 for
            a card attached to another customer.
    """
    card = TEST_CARDS.get(reference)
    if card is not None:
        return _from_test_card(backend, card, customer)
    method = backend.store.get(PaymentMethod, reference, param)
    if customer is not None:
        attach(backend, method, customer)
    return method


def attach(backend: Backend, method: PaymentMethod, customer: Customer) -> None:
    """Attach ``method`` to ``customer`` (no-op when already attached to it)."""
    if method.customer == customer.id:
        return
    if method.customer is not None:
        raise invalid("The payment method you provided has already been attached to a "
                      "customer.", param="payment_method")
    with backend.changes(method, "payment_method.attached"):
        method.customer = customer.id


def _from_test_card(backend: Backend, card: TestCard, customer: Customer | None
                    ) -> PaymentMethod:
    if card.declines_on_attach is not None:
        raise _decline(card.declines_on_attach)
    clock = customer.test_clock if customer else None
    method = backend.add(PaymentMethod(
        id=backend.ids.new("pm"), created=backend.now(clock), brand=card.brand,
        last4=card.last4, funding=card.funding, declines_charges=card.declines_charges,
        test_clock=clock), announce=False)
    if customer is not None:
        attach(backend, method, customer)
    return method


def _decline(code: str) -> ApiError:
    return card_declined(code, DECLINE_MESSAGES.get(code, "Your card was declined."))


def for_invoice(backend: Backend, invoice: Invoice) -> PaymentMethod | None:
    """The card an invoice is charged to: its subscription's, else the customer's default."""
    sub = backend.store.find(Subscription, invoice.subscription or "")
    customer = backend.store.get(Customer, invoice.customer)
    for ident in (sub.default_payment_method if sub else None,
                  customer.default_payment_method):
        if ident is not None:
            return backend.store.find(PaymentMethod, ident)
    return None
