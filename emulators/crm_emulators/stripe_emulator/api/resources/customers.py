"""``/v1/customers``."""

from __future__ import annotations

from crm_emulators.stripe_emulator import customers
from crm_emulators.stripe_emulator.api.lists import ListQuery, paginate
from crm_emulators.stripe_emulator.api.routing import Call, Route
from crm_emulators.stripe_emulator.customers import CustomerFields
from crm_emulators.stripe_emulator.params import UNSET, IntRange, Opt, Params, or_default
from crm_emulators.stripe_emulator.records import Address, Customer, Json

ADDRESS_PARTS = ("line1", "line2", "city", "state", "postal_code", "country")


def _fields(params: Params) -> CustomerFields:
    settings = params.child("invoice_settings")
    return CustomerFields(
        email=params.text("email"), name=params.text("name"),
        description=params.text("description"), phone=params.text("phone"),
        address=_address(params), balance=_balance(params),
        preferred_locales=params.texts("preferred_locales"), metadata=params.metadata(),
        default_payment_method=(settings.text("default_payment_method")
                                if settings is not None else UNSET))


def _address(params: Params) -> Opt[Address | None]:
    if not params.has("address"):
        return UNSET
    part = params.child("address")
    if part is None:
        return None
    return Address(**{name: or_default(part.text(name), None) for name in ADDRESS_PARTS})


def _balance(params: Params) -> Opt[int]:
    value = params.integer("balance")
    return 0 if value is None else value


def create(call: Call) -> Json:
    """``POST /v1/customers``."""
    fields = _fields(call.params)
    method = or_default(call.params.text("payment_method"), None)
    clock = or_default(call.params.text("test_clock"), None)
    call.params.finish()
    return call.backend.render(customers.create(call.backend, fields, method, clock))


def retrieve(call: Call) -> Json:
    """``GET /v1/customers/{id}`` (a deleted customer answers its ``deleted`` stub)."""
    call.params.finish()
    found = call.backend.store.find(Customer, call.path["id"])
    return call.backend.render(found or call.backend.store.get(Customer, call.path["id"]))


def update(call: Call) -> Json:
    """``POST /v1/customers/{id}``."""
    customer = call.backend.store.get(Customer, call.path["id"])
    fields = _fields(call.params)
    call.params.finish()
    return call.backend.render(customers.update(call.backend, customer, fields))


def delete(call: Call) -> Json:
    """``DELETE /v1/customers/{id}``."""
    customer = call.backend.store.get(Customer, call.path["id"])
    call.params.finish()
    customers.delete(call.backend, customer)
    return call.backend.render(customer)


def list_(call: Call) -> Json:
    """``GET /v1/customers`` filtered by ``email``, ``created`` and ``test_clock``."""
    email = or_default(call.params.text("email"), None)
    created = or_default(call.params.range("created"), IntRange())
    clock = or_default(call.params.text("test_clock"), None)
    query = ListQuery.read(call.params)
    call.params.finish()
    rows = call.backend.store.newest_first(
        Customer, lambda c: (email is None or c.email == email) and created.contains(c.created)
        and (clock is None or c.test_clock == clock))
    return paginate(rows, query, call.url, call.backend.render)


ROUTES = [
    Route("POST", "/v1/customers", create),
    Route("GET", "/v1/customers", list_),
    Route("GET", "/v1/customers/{id}", retrieve),
    Route("POST", "/v1/customers/{id}", update),
    Route("DELETE", "/v1/customers/{id}", delete),
]
