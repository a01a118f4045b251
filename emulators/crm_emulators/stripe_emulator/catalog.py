"""The catalog: products, their prices (found by ``lookup_key``), and coupons."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.errors import invalid
from crm_emulators.stripe_emulator.params import UNSET, Opt, Unset, merge_metadata
from crm_emulators.stripe_emulator.records import Coupon, Price, Product, Recurring

Metadata = dict[str, str | None] | None
INTERVALS = ("day", "week", "month", "year")
DURATIONS = ("once", "repeating", "forever")


@dataclass(frozen=True)
class NewProduct:
    """``POST /v1/products``."""

    name: str
    active: bool = True
    description: str | None = None
    unit_label: str | None = None
    statement_descriptor: str | None = None
    tax_code: str | None = None
    url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProductChange:
    """``POST /v1/products/{id}``; UNSET fields stay as they are."""

    name: Opt[str] = UNSET
    active: Opt[bool] = UNSET
    description: Opt[str | None] = UNSET
    unit_label: Opt[str | None] = UNSET
    statement_descriptor: Opt[str | None] = UNSET
    tax_code: Opt[str | None] = UNSET
    url: Opt[str | None] = UNSET
    metadata: Opt[Metadata] = UNSET


@dataclass(frozen=True)
class NewPrice:
    """``POST /v1/prices``; ``recurring`` None makes a one-time price."""

    product: str
    currency: str
    unit_amount: int
    recurring: Recurring | None = None
    lookup_key: str | None = None
    transfer_lookup_key: bool = False
    nickname: str | None = None
    active: bool = True
    tax_behavior: str = "unspecified"
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PriceChange:
    """``POST /v1/prices/{id}``; UNSET fields stay as they are."""

    active: Opt[bool] = UNSET
    nickname: Opt[str | None] = UNSET
    lookup_key: Opt[str | None] = UNSET
    transfer_lookup_key: bool = False
    metadata: Opt[Metadata] = UNSET


@dataclass(frozen=True)
class NewCoupon:
    """``POST /v1/coupons``: exactly one of ``percent_off`` and ``amount_off``."""

    id: str | None = None
    percent_off: float | None = None
    amount_off: int | None = None
    currency: str | None = None
    duration: str = "once"
    duration_in_months: int | None = None
    name: str | None = None
    max_redemptions: int | None = None
    redeem_by: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def create_product(backend: Backend, req: NewProduct) -> Product:
    """Add a product; emits ``product.created``."""
    now = backend.now()
    return backend.add(Product(
        id=backend.ids.new("prod"), created=now, updated=now, name=req.name,
        active=req.active, description=req.description, unit_label=req.unit_label,
        statement_descriptor=req.statement_descriptor, tax_code=req.tax_code, url=req.url,
        metadata=dict(req.metadata)))


def update_product(backend: Backend, product: Product, change: ProductChange) -> Product:
    """Apply ``change``; emits ``product.updated`` when something moved."""
    with backend.changes(product):
        _assign(product, change)
        product.metadata = merge_metadata(product.metadata, change.metadata)
        product.updated = backend.now()
    return product


def create_price(backend: Backend, req: NewPrice) -> Price:
    """Add a price to an existing product; emits ``price.created``.

    Raises:
        ApiError: unknown product, bad interval, or a lookup key another price holds
            (unless ``transfer_lookup_key``).
    """
    product = backend.store.get(Product, req.product, "product")
    if req.recurring is not None and req.recurring.interval not in INTERVALS:
        raise invalid(f"Invalid recurring[interval]: must be one of {', '.join(INTERVALS)}",
                      param="recurring[interval]")
    _claim_lookup_key(backend, req.lookup_key, req.transfer_lookup_key, None)
    return backend.add(Price(
        id=backend.ids.new("price"), created=backend.now(), product=product.id,
        currency=req.currency.lower(), unit_amount=req.unit_amount, active=req.active,
        lookup_key=req.lookup_key, nickname=req.nickname, recurring=req.recurring,
        tax_behavior=req.tax_behavior, metadata=dict(req.metadata)))


def update_price(backend: Backend, price: Price, change: PriceChange) -> Price:
    """Apply ``change``; emits ``price.updated`` when something moved."""
    if isinstance(change.lookup_key, str):
        _claim_lookup_key(backend, change.lookup_key, change.transfer_lookup_key, price)
    with backend.changes(price):
        for name in ("active", "nickname", "lookup_key"):
            value = getattr(change, name)
            if not isinstance(value, Unset):
                setattr(price, name, value)
        price.metadata = merge_metadata(price.metadata, change.metadata)
    return price


def _claim_lookup_key(backend: Backend, key: str | None, transfer: bool,
                      claimant: Price | None) -> None:
    if key is None:
        return
    for holder in backend.store.all(Price, lambda p: p.lookup_key == key and p is not claimant):
        if not transfer:
            raise invalid(f"A price (`{holder.id}`) already uses that lookup key.",
                          param="lookup_key")
        with backend.changes(holder):
            holder.lookup_key = None


def create_coupon(backend: Backend, req: NewCoupon) -> Coupon:
    """Add a coupon; emits ``coupon.created``.

    Raises:
        ApiError: not exactly one kind of discount, ``amount_off`` without a currency,
            ``repeating`` without ``duration_in_months``, or an id already taken.
    """
    if (req.percent_off is None) == (req.amount_off is None):
        raise invalid("You must pass exactly one of `percent_off` or `amount_off`.",
                      param="percent_off")
    if req.amount_off is not None and req.currency is None:
        raise invalid("You must pass currency when passing amount_off.", param="currency")
    if req.duration == "repeating" and req.duration_in_months is None:
        raise invalid("You must pass duration_in_months when duration is repeating.",
                      param="duration_in_months")
    ident = req.id or backend.ids.token(8)
    if backend.store.find(Coupon, ident) is not None:
        raise invalid("Coupon already exists.", param="id", code="resource_already_exists")
    return backend.add(Coupon(
        id=ident, created=backend.now(), percent_off=req.percent_off,
        amount_off=req.amount_off, currency=req.currency, duration=req.duration,
        duration_in_months=req.duration_in_months, name=req.name,
        max_redemptions=req.max_redemptions, redeem_by=req.redeem_by,
        metadata=dict(req.metadata)))


def _assign(record: Product, change: ProductChange) -> None:
    for name, value in vars(change).items():
        if name != "metadata" and not isinstance(value, Unset):
            setattr(record, name, value)
