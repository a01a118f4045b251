"""``/v1/products``, ``/v1/prices`` and ``/v1/coupons``."""

from __future__ import annotations

from dataclasses import replace

from crm_emulators.stripe_emulator import catalog
from crm_emulators.stripe_emulator.api.lists import ListQuery, paginate
from crm_emulators.stripe_emulator.api.routing import Call, Route
from crm_emulators.stripe_emulator.catalog import (
    DURATIONS,
    NewCoupon,
    NewPrice,
    NewProduct,
    PriceChange,
    ProductChange,
)
from crm_emulators.stripe_emulator.errors import invalid
from crm_emulators.stripe_emulator.params import IntRange, Params, or_default
from crm_emulators.stripe_emulator.records import Coupon, Json, Price, Product, Recurring

TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")


def _metadata(params: Params) -> dict[str, str]:
    given = or_default(params.metadata(), None) or {}
    return {key: value for key, value in given.items() if value is not None}


def create_product(call: Call) -> Json:
    """``POST /v1/products``."""
    p = call.params
    req = NewProduct(
        name=p.required_text("name"), active=or_default(p.boolean("active"), True),
        description=or_default(p.text("description"), None),
        unit_label=or_default(p.text("unit_label"), None),
        statement_descriptor=or_default(p.text("statement_descriptor"), None),
        tax_code=or_default(p.text("tax_code"), None), url=or_default(p.text("url"), None),
        metadata=_metadata(p))
    p.finish()
    return call.backend.render(catalog.create_product(call.backend, req))


def update_product(call: Call) -> Json:
    """``POST /v1/products/{id}``."""
    product = call.backend.store.get(Product, call.path["id"])
    p = call.params
    name = p.text("name")
    if name is None:
        raise invalid("You cannot unset the name of a product.", param="name")
    change = ProductChange(
        name=name, active=p.boolean("active"), description=p.text("description"),
        unit_label=p.text("unit_label"), statement_descriptor=p.text("statement_descriptor"),
        tax_code=p.text("tax_code"), url=p.text("url"), metadata=p.metadata())
    p.finish()
    return call.backend.render(catalog.update_product(call.backend, product, change))


def retrieve_product(call: Call) -> Json:
    """``GET /v1/products/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(Product, call.path["id"]))


def list_products(call: Call) -> Json:
    """``GET /v1/products`` filtered by ``active`` and ``ids``."""
    active = or_default(call.params.boolean("active"), None)
    ids = or_default(call.params.texts("ids"), None)
    query = ListQuery.read(call.params)
    call.params.finish()
    rows = call.backend.store.newest_first(
        Product, lambda r: (active is None or r.active == active) and (ids is None or r.id in ids))
    return paginate(rows, query, call.url, call.backend.render)


def create_price(call: Call) -> Json:
    """``POST /v1/prices`` (``product`` or ``product_data[name]``)."""
    p = call.params
    product = or_default(p.text("product"), None)
    product_data = p.child("product_data")
    new_product = None
    if product_data is not None:
        new_product = NewProduct(name=product_data.required_text("name"))
    elif product is None:
        raise invalid("Missing required param: product.", param="product",
                      code="parameter_missing")
    req = NewPrice(
        product=product or "", currency=p.required_text("currency"),
        unit_amount=p.required_integer("unit_amount"), recurring=_recurring(p),
        lookup_key=or_default(p.text("lookup_key"), None),
        transfer_lookup_key=or_default(p.boolean("transfer_lookup_key"), False),
        nickname=or_default(p.text("nickname"), None),
        active=or_default(p.boolean("active"), True),
        tax_behavior=or_default(p.choice("tax_behavior", TAX_BEHAVIORS), "unspecified"),
        metadata=_metadata(p))
    p.finish()
    if new_product is not None:
        created = catalog.create_product(call.backend, new_product)
        req = replace(req, product=created.id)
    return call.backend.render(catalog.create_price(call.backend, req))


def _recurring(params: Params) -> Recurring | None:
    part = params.child("recurring")
    if part is None:
        return None
    return Recurring(interval=part.required_text("interval"),
                     interval_count=or_default(part.integer("interval_count"), None) or 1,
                     trial_period_days=or_default(part.integer("trial_period_days"), None))


def update_price(call: Call) -> Json:
    """``POST /v1/prices/{id}``."""
    price = call.backend.store.get(Price, call.path["id"])
    p = call.params
    change = PriceChange(
        active=p.boolean("active"), nickname=p.text("nickname"),
        lookup_key=p.text("lookup_key"),
        transfer_lookup_key=or_default(p.boolean("transfer_lookup_key"), False),
        metadata=p.metadata())
    p.finish()
    return call.backend.render(catalog.update_price(call.backend, price, change))


def retrieve_price(call: Call) -> Json:
    """``GET /v1/prices/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(Price, call.path["id"]))


def list_prices(call: Call) -> Json:
    """``GET /v1/prices`` filtered by ``active``, ``currency``, ``product``, ``type``,
    ``lookup_keys`` and ``created``."""
    p = call.params
    active = or_default(p.boolean("active"), None)
    currency = or_default(p.text("currency"), None)
    product = or_default(p.text("product"), None)
    kind = or_default(p.choice("type", ("one_time", "recurring")), None)
    keys = or_default(p.texts("lookup_keys"), None)
    created = or_default(p.range("created"), IntRange())
    query = ListQuery.read(p)
    p.finish()

    def wanted(price: Price) -> bool:
        price_type = "one_time" if price.recurring is None else "recurring"
        return ((active is None or price.active == active)
                and (currency is None or price.currency == currency.lower())
                and (product is None or price.product == product)
                and (kind is None or price_type == kind)
                and (keys is None or price.lookup_key in keys)
                and created.contains(price.created))

    rows = call.backend.store.newest_first(Price, wanted)
    return paginate(rows, query, call.url, call.backend.render)


def create_coupon(call: Call) -> Json:
    """``POST /v1/coupons``."""
    p = call.params
    req = NewCoupon(
        id=or_default(p.text("id"), None),
        percent_off=or_default(p.number("percent_off"), None),
        amount_off=or_default(p.integer("amount_off"), None),
        currency=or_default(p.text("currency"), None),
        duration=or_default(p.choice("duration", DURATIONS), "once"),
        duration_in_months=or_default(p.integer("duration_in_months"), None),
        name=or_default(p.text("name"), None),
        max_redemptions=or_default(p.integer("max_redemptions"), None),
        redeem_by=or_default(p.integer("redeem_by"), None), metadata=_metadata(p))
    p.finish()
    return call.backend.render(catalog.create_coupon(call.backend, req))


def retrieve_coupon(call: Call) -> Json:
    """``GET /v1/coupons/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(Coupon, call.path["id"]))


ROUTES = [
    Route("POST", "/v1/products", create_product),
    Route("GET", "/v1/products", list_products),
    Route("GET", "/v1/products/{id}", retrieve_product),
    Route("POST", "/v1/products/{id}", update_product),
    Route("POST", "/v1/prices", create_price),
    Route("GET", "/v1/prices", list_prices),
    Route("GET", "/v1/prices/{id}", retrieve_price),
    Route("POST", "/v1/prices/{id}", update_price),
    Route("POST", "/v1/coupons", create_coupon),
    Route("GET", "/v1/coupons/{id}", retrieve_coupon),
]
