"""``/v1/invoices`` (creating one-off drafts, reading, lines, finalize, pay, void, mark
uncollectible) and ``/v1/invoiceitems`` (creating and reading)."""

from __future__ import annotations

from crm_emulators.stripe_emulator.api.lists import ListQuery, paginate
from crm_emulators.stripe_emulator.api.routing import Call, Route
from crm_emulators.stripe_emulator.billing import cards, collection, invoicing
from crm_emulators.stripe_emulator.errors import invalid
from crm_emulators.stripe_emulator.params import IntRange, or_default
from crm_emulators.stripe_emulator.records import (
    Customer,
    Invoice,
    InvoiceItem,
    InvoiceLine,
    Json,
)

STATUSES = ("draft", "open", "paid", "uncollectible", "void")
PENDING_BEHAVIORS = ("include", "exclude")


def create(call: Call) -> Json:
    """``POST /v1/invoices``: a draft for ``customer`` that bills no subscription, charged
    automatically.

    As documented: ``auto_advance`` defaults to false for invoices made through the API
    (finalize and pay them explicitly), and ``pending_invoice_items_behavior`` defaults to
    ``exclude`` (pending items stay pending unless ``include``)."""
    p = call.params
    customer = call.backend.store.get(Customer, p.required_text("customer"))
    auto_advance = or_default(p.boolean("auto_advance"), False)
    behavior = or_default(p.choice("pending_invoice_items_behavior", PENDING_BEHAVIORS),
                          "exclude")
    p.finish()
    now = call.backend.now(customer.test_clock)
    invoice = invoicing.draft(call.backend, customer, sub=None, reason="manual", specs=[],
                              period=(now, now), pending=behavior == "include",
                              auto_advance=auto_advance)
    return call.backend.render(invoice)


def retrieve(call: Call) -> Json:
    """``GET /v1/invoices/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(Invoice, call.path["id"]))


def list_(call: Call) -> Json:
    """``GET /v1/invoices`` by ``customer``, ``subscription``, ``status``,
    ``collection_method`` and ``created``."""
    p = call.params
    customer = or_default(p.text("customer"), None)
    sub = or_default(p.text("subscription"), None)
    wanted_status = or_default(p.choice("status", STATUSES), None)
    collection_method = or_default(
        p.choice("collection_method", ("charge_automatically", "send_invoice")), None)
    created = or_default(p.range("created"), IntRange())
    query = ListQuery.read(p)
    p.finish()

    def wanted(invoice: Invoice) -> bool:
        return ((customer is None or invoice.customer == customer)
                and (sub is None or invoice.subscription == sub)
                and (wanted_status is None or invoice.status == wanted_status)
                and (collection_method is None
                     or invoice.collection_method == collection_method)
                and created.contains(invoice.created))

    rows = call.backend.store.newest_first(Invoice, wanted)
    return paginate(rows, query, call.url, call.backend.render)


def lines(call: Call) -> Json:
    """``GET /v1/invoices/{id}/lines``, in the invoice's order."""
    invoice = call.backend.store.get(Invoice, call.path["id"])
    query = ListQuery.read(call.params)
    call.params.finish()
    rows = [call.backend.store.get(InvoiceLine, ident) for ident in invoice.lines]
    return paginate(rows, query, call.url, call.backend.render)


def finalize(call: Call) -> Json:
    """``POST /v1/invoices/{id}/finalize``; collects at once when ``auto_advance``."""
    invoice = call.backend.store.get(Invoice, call.path["id"])
    auto_advance = or_default(call.params.boolean("auto_advance"), invoice.auto_advance)
    call.params.finish()
    invoicing.finalize(call.backend, invoice)
    invoice.auto_advance = auto_advance
    collection.settle_new(call.backend, invoice, charge=auto_advance)
    return call.backend.render(invoice)


def pay(call: Call) -> Json:
    """``POST /v1/invoices/{id}/pay`` with an optional ``payment_method`` or
    ``paid_out_of_band``."""
    invoice = call.backend.store.get(Invoice, call.path["id"])
    reference = or_default(call.params.text("payment_method"), None)
    out_of_band = or_default(call.params.boolean("paid_out_of_band"), False)
    call.params.finish()
    customer = call.backend.store.get(Customer, invoice.customer)
    method = (cards.resolve(call.backend, reference, customer, "payment_method")
              if reference else None)
    collection.pay(call.backend, invoice, method, out_of_band)
    return call.backend.render(invoice)


def void(call: Call) -> Json:
    """``POST /v1/invoices/{id}/void``."""
    invoice = call.backend.store.get(Invoice, call.path["id"])
    call.params.finish()
    invoicing.void(call.backend, invoice)
    collection.settle_owner(call.backend, invoice)
    return call.backend.render(invoice)


def mark_uncollectible(call: Call) -> Json:
    """``POST /v1/invoices/{id}/mark_uncollectible``."""
    invoice = call.backend.store.get(Invoice, call.path["id"])
    call.params.finish()
    invoicing.mark_uncollectible(call.backend, invoice)
    collection.settle_owner(call.backend, invoice)
    return call.backend.render(invoice)


def retrieve_item(call: Call) -> Json:
    """``GET /v1/invoiceitems/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(InvoiceItem, call.path["id"]))


def create_item(call: Call) -> Json:
    """``POST /v1/invoiceitems``: ``amount`` (minor units, in ``currency``, default the
    customer's) for ``customer``, pending until an invoice takes it, or put at once on the
    draft ``invoice``."""
    p = call.params
    customer = call.backend.store.get(Customer, p.required_text("customer"))
    amount = p.required_integer("amount")
    currency = str(or_default(p.text("currency"), None) or customer.currency or "usd").lower()
    description = or_default(p.text("description"), None)
    invoice_id = or_default(p.text("invoice"), None)
    p.finish()
    invoice = call.backend.store.get(Invoice, invoice_id) if invoice_id else None
    if invoice is not None and (invoice.status != "draft" or invoice.customer != customer.id):
        raise invalid("Invoice items can only be added to a draft invoice of the same "
                      "customer.", param="invoice")
    now = call.backend.now(customer.test_clock)
    item = call.backend.add(InvoiceItem(
        id=call.backend.ids.new("ii"), created=now, customer=customer.id, amount=amount,
        currency=currency, description=description, period_start=now, period_end=now,
        test_clock=customer.test_clock))
    if invoice is not None:
        invoicing.attach_item(call.backend, invoice, item)
    return call.backend.render(item)


def list_items(call: Call) -> Json:
    """``GET /v1/invoiceitems`` by ``customer``, ``invoice`` and ``pending`` (not yet on
    an invoice)."""
    p = call.params
    customer = or_default(p.text("customer"), None)
    invoice = or_default(p.text("invoice"), None)
    pending = or_default(p.boolean("pending"), None)
    query = ListQuery.read(p)
    p.finish()

    def wanted(item: InvoiceItem) -> bool:
        return ((customer is None or item.customer == customer)
                and (invoice is None or item.invoice == invoice)
                and (pending is None or (item.invoice is None) == pending))

    rows = call.backend.store.newest_first(InvoiceItem, wanted)
    return paginate(rows, query, call.url, call.backend.render)


ROUTES = [
    Route("POST", "/v1/invoices", create),
    Route("GET", "/v1/invoices", list_),
    Route("GET", "/v1/invoices/{id}", retrieve),
    Route("GET", "/v1/invoices/{id}/lines", lines),
    Route("POST", "/v1/invoices/{id}/finalize", finalize),
    Route("POST", "/v1/invoices/{id}/pay", pay),
    Route("POST", "/v1/invoices/{id}/void", void),
    Route("POST", "/v1/invoices/{id}/mark_uncollectible", mark_uncollectible),
    Route("POST", "/v1/invoiceitems", create_item),
    Route("GET", "/v1/invoiceitems", list_items),
    Route("GET", "/v1/invoiceitems/{id}", retrieve_item),
]
