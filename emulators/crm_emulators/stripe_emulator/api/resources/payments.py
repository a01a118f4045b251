"""``/v1/payment_methods``, ``/v1/payment_intents``, ``/v1/charges`` and
``/v1/invoice_payments`` (read-only but for attaching a card; payments happen when invoices
are collected)."""

from __future__ import annotations

from crm_emulators.stripe_emulator.api.lists import ListQuery, paginate
from crm_emulators.stripe_emulator.api.routing import Call, Route
from crm_emulators.stripe_emulator.billing import cards
from crm_emulators.stripe_emulator.params import or_default
from crm_emulators.stripe_emulator.records import (
    Charge,
    Customer,
    InvoicePayment,
    Json,
    PaymentIntent,
    PaymentMethod,
)


def retrieve_method(call: Call) -> Json:
    """``GET /v1/payment_methods/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(PaymentMethod, call.path["id"]))


def attach_method(call: Call) -> Json:
    """``POST /v1/payment_methods/{id}/attach`` (test tokens like ``pm_card_visa`` make a
    new card, as on Stripe)."""
    customer = call.backend.store.get(Customer, call.params.required_text("customer"),
                                      "customer")
    call.params.finish()
    return call.backend.render(cards.resolve(call.backend, call.path["id"], customer, "id"))


def list_methods(call: Call) -> Json:
    """``GET /v1/payment_methods?customer=...`` (cards only)."""
    customer = or_default(call.params.text("customer"), None)
    or_default(call.params.choice("type", ("card",)), "card")
    query = ListQuery.read(call.params)
    call.params.finish()
    rows = call.backend.store.newest_first(
        PaymentMethod, lambda m: customer is None or m.customer == customer)
    return paginate(rows, query, call.url, call.backend.render)


def retrieve_intent(call: Call) -> Json:
    """``GET /v1/payment_intents/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(PaymentIntent, call.path["id"]))


def list_intents(call: Call) -> Json:
    """``GET /v1/payment_intents`` by ``customer``."""
    customer = or_default(call.params.text("customer"), None)
    query = ListQuery.read(call.params)
    call.params.finish()
    rows = call.backend.store.newest_first(
        PaymentIntent, lambda i: customer is None or i.customer == customer)
    return paginate(rows, query, call.url, call.backend.render)


def retrieve_charge(call: Call) -> Json:
    """``GET /v1/charges/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(Charge, call.path["id"]))


def list_charges(call: Call) -> Json:
    """``GET /v1/charges`` by ``customer`` and ``payment_intent``."""
    customer = or_default(call.params.text("customer"), None)
    intent = or_default(call.params.text("payment_intent"), None)
    query = ListQuery.read(call.params)
    call.params.finish()
    rows = call.backend.store.newest_first(
        Charge, lambda c: (customer is None or c.customer == customer)
        and (intent is None or c.payment_intent == intent))
    return paginate(rows, query, call.url, call.backend.render)


def retrieve_invoice_payment(call: Call) -> Json:
    """``GET /v1/invoice_payments/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(InvoicePayment, call.path["id"]))


def list_invoice_payments(call: Call) -> Json:
    """``GET /v1/invoice_payments`` by ``invoice``, ``payment[payment_intent]``, ``status``."""
    p = call.params
    invoice = or_default(p.text("invoice"), None)
    status = or_default(p.choice("status", ("canceled", "open", "paid")), None)
    payment = p.child("payment")
    intent = None
    if payment is not None:
        or_default(payment.choice("type", ("payment_intent",)), "payment_intent")
        intent = or_default(payment.text("payment_intent"), None)
    query = ListQuery.read(p)
    p.finish()
    rows = call.backend.store.newest_first(
        InvoicePayment, lambda r: (invoice is None or r.invoice == invoice)
        and (status is None or r.status == status)
        and (intent is None or r.payment_intent == intent))
    return paginate(rows, query, call.url, call.backend.render)


ROUTES = [
    Route("GET", "/v1/invoice_payments", list_invoice_payments),
    Route("GET", "/v1/invoice_payments/{id}", retrieve_invoice_payment),
    Route("GET", "/v1/payment_methods", list_methods),
    Route("GET", "/v1/payment_methods/{id}", retrieve_method),
    Route("POST", "/v1/payment_methods/{id}/attach", attach_method),
    Route("GET", "/v1/payment_intents", list_intents),
    Route("GET", "/v1/payment_intents/{id}", retrieve_intent),
    Route("GET", "/v1/charges", list_charges),
    Route("GET", "/v1/charges/{id}", retrieve_charge),
]
