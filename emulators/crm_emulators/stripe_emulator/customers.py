"""Customers: creating, changing and deleting them, with their default payment method."""

from __future__ import annotations

from dataclasses import dataclass

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing import cards, status, updates
from crm_emulators.stripe_emulator.billing.requests import Cancellation
from crm_emulators.stripe_emulator.errors import invalid
from crm_emulators.stripe_emulator.params import UNSET, Opt, Unset, merge_metadata
from crm_emulators.stripe_emulator.records import (
    Address,
    Customer,
    PaymentMethod,
    Subscription,
    TestClock,
)

DEFAULT_METHOD = "invoice_settings[default_payment_method]"


@dataclass(frozen=True)
class CustomerFields:
    """The settable fields of a customer; UNSET ones are left alone (or default)."""

    email: Opt[str | None] = UNSET
    name: Opt[str | None] = UNSET
    description: Opt[str | None] = UNSET
    phone: Opt[str | None] = UNSET
    address: Opt[Address | None] = UNSET
    balance: Opt[int] = UNSET
    preferred_locales: Opt[list[str]] = UNSET
    metadata: Opt[dict[str, str | None] | None] = UNSET
    default_payment_method: Opt[str | None] = UNSET


def create(backend: Backend, fields: CustomerFields, payment_method: str | None = None,
           test_clock: str | None = None) -> Customer:
    """Add a customer (on ``test_clock``'s time when given), attaching ``payment_method``;
    emits ``customer.created``.

    Raises:
        ApiError: unknown test clock or payment method, or a card that declines.
    """
    if test_clock is not None:
        backend.store.get(TestClock, test_clock, "test_clock")
    customer = Customer(id=backend.ids.new("cus"), created=backend.now(test_clock),
                        invoice_prefix=backend.ids.hex(8), test_clock=test_clock)
    if payment_method is not None:
        cards.resolve(backend, payment_method, customer, "payment_method")
    _assign(backend, customer, fields)
    return backend.add(customer)


def update(backend: Backend, customer: Customer, fields: CustomerFields) -> Customer:
    """Apply ``fields``; emits ``customer.updated`` when something moved."""
    with backend.changes(customer):
        _assign(backend, customer, fields)
    return customer


def delete(backend: Backend, customer: Customer) -> None:
    """Cancel the customer's subscriptions and delete it; emits ``customer.deleted``."""
    for sub in backend.store.all(Subscription, lambda s: s.customer == customer.id
                                 and s.status not in status.ENDED):
        updates.cancel(backend, sub, Cancellation())
    snapshot = backend.render(customer)
    customer.deleted = True
    backend.events.emit("customer.deleted", snapshot, backend.now_for(customer))


def _assign(backend: Backend, customer: Customer, fields: CustomerFields) -> None:
    _check_default_method(backend, customer, fields.default_payment_method)
    for name, value in vars(fields).items():
        if name != "metadata" and not isinstance(value, Unset):
            setattr(customer, name, value)
    customer.metadata = merge_metadata(customer.metadata, fields.metadata)


def _check_default_method(backend: Backend, customer: Customer,
                          method_id: Opt[str | None]) -> None:
    if isinstance(method_id, Unset) or method_id is None:
        return
    method = backend.store.get(PaymentMethod, method_id, DEFAULT_METHOD)
    if method.customer != customer.id:
        raise invalid(f"The customer does not have a payment method with the ID {method_id}. "
                      "The payment method must be attached to the customer.",
                      param=DEFAULT_METHOD)
