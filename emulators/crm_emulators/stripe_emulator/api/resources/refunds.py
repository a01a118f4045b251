"""``/v1/refunds`` and ``/v1/credit_notes`` (credit notes on paid invoices)."""

from __future__ import annotations

from crm_emulators.stripe_emulator import refunds
from crm_emulators.stripe_emulator.api.lists import ListQuery, paginate
from crm_emulators.stripe_emulator.api.routing import Call, Route
from crm_emulators.stripe_emulator.errors import invalid
from crm_emulators.stripe_emulator.params import IntRange, or_default
from crm_emulators.stripe_emulator.records import (
    Charge,
    CreditNote,
    Invoice,
    Json,
    PaymentIntent,
    Refund,
)


def create_refund(call: Call) -> Json:
    """``POST /v1/refunds`` of a ``charge`` or a ``payment_intent``'s latest charge."""
    p, store = call.params, call.backend.store
    charge_id = or_default(p.text("charge"), None)
    intent_id = or_default(p.text("payment_intent"), None)
    amount = or_default(p.integer("amount"), None)
    reason = or_default(p.choice("reason", refunds.REASONS), None)
    metadata = or_default(p.metadata(), None) or {}
    p.finish()
    if intent_id is not None and charge_id is None:
        charge_id = store.get(PaymentIntent, intent_id, "payment_intent").latest_charge
    if charge_id is None:
        raise invalid("One of the following params should be provided for this request: "
                      "payment_intent or charge.")
    created = refunds.refund(call.backend, store.get(Charge, charge_id, "charge"), amount,
                             reason)
    created.metadata = {k: v for k, v in metadata.items() if v}
    return call.backend.render(created)


def retrieve_refund(call: Call) -> Json:
    """``GET /v1/refunds/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(Refund, call.path["id"]))


def list_refunds(call: Call) -> Json:
    """``GET /v1/refunds`` by ``charge``, ``payment_intent`` and ``created``."""
    charge = or_default(call.params.text("charge"), None)
    intent = or_default(call.params.text("payment_intent"), None)
    created = or_default(call.params.range("created"), IntRange())
    query = ListQuery.read(call.params)
    call.params.finish()
    rows = call.backend.store.newest_first(
        Refund, lambda r: (charge is None or r.charge == charge)
        and (intent is None or r.payment_intent == intent) and created.contains(r.created))
    return paginate(rows, query, call.url, call.backend.render)


def create_credit_note(call: Call) -> Json:
    """``POST /v1/credit_notes`` with ``invoice`` and ``amount``."""
    p, store = call.params, call.backend.store
    invoice = store.get(Invoice, p.required_text("invoice"), "invoice")
    amount = p.required_integer("amount")
    allocation = refunds.Allocation(
        refund_amount=or_default(p.integer("refund_amount"), None) or 0,
        out_of_band_amount=or_default(p.integer("out_of_band_amount"), None) or 0)
    credit = or_default(p.integer("credit_amount"), None)
    reason = or_default(p.choice("reason", ("duplicate", "fraudulent", "order_change",
                                            "product_unsatisfactory")), None)
    memo = or_default(p.text("memo"), None)
    p.finish()
    if credit is not None and credit != amount - allocation.refund_amount \
            - allocation.out_of_band_amount:
        raise invalid("credit_amount, refund_amount and out_of_band_amount must add up to "
                      "amount.", param="credit_amount")
    return call.backend.render(refunds.credit_note(call.backend, invoice, amount, allocation,
                                                   reason=reason, memo=memo))


def retrieve_credit_note(call: Call) -> Json:
    """``GET /v1/credit_notes/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(CreditNote, call.path["id"]))


def list_credit_notes(call: Call) -> Json:
    """``GET /v1/credit_notes`` by ``invoice``, ``customer`` and ``created``."""
    invoice = or_default(call.params.text("invoice"), None)
    customer = or_default(call.params.text("customer"), None)
    created = or_default(call.params.range("created"), IntRange())
    query = ListQuery.read(call.params)
    call.params.finish()
    rows = call.backend.store.newest_first(
        CreditNote, lambda n: (invoice is None or n.invoice == invoice)
        and (customer is None or n.customer == customer) and created.contains(n.created))
    return paginate(rows, query, call.url, call.backend.render)


ROUTES = [
    Route("POST", "/v1/refunds", create_refund),
    Route("GET", "/v1/refunds", list_refunds),
    Route("GET", "/v1/refunds/{id}", retrieve_refund),
    Route("POST", "/v1/credit_notes", create_credit_note),
    Route("GET", "/v1/credit_notes", list_credit_notes),
    Route("GET", "/v1/credit_notes/{id}", retrieve_credit_note),
]
