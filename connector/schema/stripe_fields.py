"""The Stripe object fields we read and the create/update parameters we write.

Small on purpose: what the shipped mappings use and what an admin is likely to add, so a
misspelt Stripe key is caught with a "did you mean". A schema node is a dict of keys to
nodes, or a leaf :data:`~connector.schema.kinds.Kind`; the key ``"[]"`` stands for any list
index and ``"*"`` for any key (``metadata``).
"""

from __future__ import annotations

from typing import Any

from connector.schema.kinds import Kind

Node = dict[str, Any] | Kind

_TEXT_MAP: dict[str, Node] = {"*": "text"}
_PARAM_MAP: dict[str, Node] = {"*": "any"}

_ADDRESS: dict[str, Node] = {
    key: "text" for key in ("line1", "line2", "city", "state", "postal_code", "country")
}

_COUPON: dict[str, Node] = {
    "id": "text", "object": "text", "name": "text", "amount_off": "number",
    "percent_off": "number", "currency": "text", "duration": "text",
    "duration_in_months": "number", "valid": "bool", "metadata": _TEXT_MAP,
}

_DISCOUNT: dict[str, Node] = {
    "id": "text", "object": "text", "customer": "text", "subscription": "text",
    "subscription_item": "text", "start": "number", "end": "number", "promotion_code": "text",
    "source": {"type": "text", "coupon": _COUPON},
}

PRICE: dict[str, Node] = {
    "id": "text", "object": "text", "active": "bool", "currency": "text", "lookup_key": "text",
    "nickname": "text", "product": "text", "type": "text", "unit_amount": "number",
    "unit_amount_decimal": "text", "billing_scheme": "text", "created": "number",
    "livemode": "bool", "tax_behavior": "text", "metadata": _TEXT_MAP,
    "recurring": {
        "interval": "text", "interval_count": "number", "usage_type": "text",
        "trial_period_days": "number", "meter": "text",
    },
}

_SUBSCRIPTION_ITEM: dict[str, Node] = {
    "id": "text", "object": "text", "quantity": "number", "created": "number",
    "current_period_start": "number", "current_period_end": "number", "subscription": "text",
    "metadata": _TEXT_MAP, "discounts": {"[]": _DISCOUNT}, "price": PRICE,
}

SUBSCRIPTION: dict[str, Node] = {
    "id": "text", "object": "text", "customer": "text", "status": "text", "currency": "text",
    "description": "text", "collection_method": "text", "days_until_due": "number",
    "cancel_at": "number", "cancel_at_period_end": "bool", "canceled_at": "number",
    "ended_at": "number", "created": "number", "start_date": "number",
    "trial_start": "number", "trial_end": "number", "billing_cycle_anchor": "number",
    "latest_invoice": "text", "default_payment_method": "text", "test_clock": "text",
    "livemode": "bool", "schedule": "text", "metadata": _TEXT_MAP,
    "cancellation_details": {"comment": "text", "feedback": "text", "reason": "text"},
    "pause_collection": {"behavior": "text", "resumes_at": "number"},
    "discounts": {"[]": _DISCOUNT},
    "items": {
        "object": "text", "has_more": "bool", "url": "text",
        "data": {"[]": _SUBSCRIPTION_ITEM},
    },
}

CUSTOMER: dict[str, Node] = {
    "id": "text", "object": "text", "name": "text", "email": "text", "description": "text",
    "phone": "text", "currency": "text", "balance": "number", "created": "number",
    "delinquent": "bool", "invoice_prefix": "text", "livemode": "bool", "tax_exempt": "text",
    "metadata": _TEXT_MAP, "address": _ADDRESS, "preferred_locales": {"[]": "text"},
    "shipping": {"name": "text", "phone": "text", "address": _ADDRESS},
    "invoice_settings": {"default_payment_method": "text", "footer": "text"},
}

SUBSCRIPTION_PARAMS: dict[str, Node] = {
    "customer": "text", "description": "text", "currency": "text", "metadata": _PARAM_MAP,
    "items": {"[]": {
        "id": "text", "price": "text", "quantity": "number", "deleted": "bool",
        "metadata": _PARAM_MAP, "discounts": {"[]": {"coupon": "text", "promotion_code": "text"}},
    }},
    "trial_end": "number", "trial_period_days": "number", "trial_from_plan": "bool",
    "cancel_at_period_end": "bool", "cancel_at": "number", "collection_method": "text",
    "days_until_due": "number", "proration_behavior": "text", "payment_behavior": "text",
    "default_payment_method": "text", "billing_cycle_anchor": "number",
    "backdate_start_date": "number", "off_session": "bool",
    "discounts": {"[]": {"coupon": "text", "promotion_code": "text", "discount": "text"}},
}

CUSTOMER_PARAMS: dict[str, Node] = {
    "name": "text", "email": "text", "description": "text", "phone": "text",
    "metadata": _PARAM_MAP, "address": _ADDRESS, "preferred_locales": {"[]": "text"},
    "tax_exempt": "text", "invoice_prefix": "text",
    "shipping": {"name": "text", "phone": "text", "address": _ADDRESS},
    "invoice_settings": {"default_payment_method": "text", "footer": "text"},
}

OBJECTS: dict[str, dict[str, Node]] = {
    "subscription": SUBSCRIPTION,
    "customer": CUSTOMER,
    "price": PRICE,
}
"""Stripe objects as read (webhook payloads, retrieve responses), by object type."""

PARAMS: dict[str, dict[str, Node]] = {
    "subscription": SUBSCRIPTION_PARAMS,
    "customer": CUSTOMER_PARAMS,
}
"""Stripe create/update parameters, by object type."""
