"""Products, prices (and the legacy ``plan`` view of them), coupons and discounts."""

from __future__ import annotations

from crm_emulators.stripe_emulator.records import Coupon, Discount, Json, Price, Product
from crm_emulators.stripe_emulator.render.dispatch import render_live
from crm_emulators.stripe_emulator.store import Store


@render_live.register
def _product(product: Product, store: Store) -> Json:
    return {
        "id": product.id, "object": "product", "active": product.active,
        "created": product.created, "default_price": product.default_price,
        "description": product.description, "images": [], "livemode": False,
        "marketing_features": [], "metadata": dict(product.metadata), "name": product.name,
        "package_dimensions": None, "shippable": None,
        "statement_descriptor": product.statement_descriptor, "tax_code": product.tax_code,
        "type": "service", "unit_label": product.unit_label, "updated": product.updated,
        "url": product.url,
    }


@render_live.register
def _price(price: Price, store: Store) -> Json:
    recurring = price.recurring
    return {
        "id": price.id, "object": "price", "active": price.active,
        "billing_scheme": "per_unit", "created": price.created, "currency": price.currency,
        "custom_unit_amount": None, "livemode": False, "lookup_key": price.lookup_key,
        "metadata": dict(price.metadata), "nickname": price.nickname, "product": price.product,
        "recurring": None if recurring is None else {
            "interval": recurring.interval, "interval_count": recurring.interval_count,
            "meter": None, "trial_period_days": recurring.trial_period_days,
            "usage_type": "licensed",
        },
        "tax_behavior": price.tax_behavior, "tiers_mode": None, "transform_quantity": None,
        "type": "one_time" if recurring is None else "recurring",
        "unit_amount": price.unit_amount, "unit_amount_decimal": str(price.unit_amount),
    }


def plan(price: Price) -> Json:
    """The legacy ``plan`` object subscription items still carry for a recurring price."""
    recurring = price.recurring
    return {
        "id": price.id, "object": "plan", "active": price.active,
        "amount": price.unit_amount, "amount_decimal": str(price.unit_amount),
        "billing_scheme": "per_unit", "created": price.created, "currency": price.currency,
        "interval": recurring.interval if recurring else None,
        "interval_count": recurring.interval_count if recurring else None,
        "livemode": False, "metadata": dict(price.metadata), "meter": None,
        "nickname": price.nickname, "product": price.product, "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": recurring.trial_period_days if recurring else None,
        "usage_type": "licensed",
    }


@render_live.register
def _coupon(coupon: Coupon, store: Store) -> Json:
    return {
        "id": coupon.id, "object": "coupon", "amount_off": coupon.amount_off,
        "created": coupon.created, "currency": coupon.currency, "duration": coupon.duration,
        "duration_in_months": coupon.duration_in_months, "livemode": False,
        "max_redemptions": coupon.max_redemptions, "metadata": dict(coupon.metadata),
        "name": coupon.name, "percent_off": coupon.percent_off, "redeem_by": coupon.redeem_by,
        "times_redeemed": coupon.times_redeemed, "valid": coupon_valid(coupon),
    }


def coupon_valid(coupon: Coupon, at: int | None = None) -> bool:
    """Whether the coupon can still be redeemed (at time ``at``, when given)."""
    used_up = coupon.max_redemptions is not None and (
        coupon.times_redeemed >= coupon.max_redemptions)
    expired = coupon.redeem_by is not None and at is not None and at > coupon.redeem_by
    return not (used_up or expired or coupon.deleted)


@render_live.register
def _discount(discount: Discount, store: Store) -> Json:
    return {
        "id": discount.id, "object": "discount", "checkout_session": None,
        "customer": discount.customer, "customer_account": None, "end": discount.end,
        "invoice": None, "invoice_item": None, "promotion_code": None,
        "source": {"coupon": discount.coupon, "type": "coupon"}, "start": discount.start,
        "subscription": discount.subscription, "subscription_item": None,
    }
