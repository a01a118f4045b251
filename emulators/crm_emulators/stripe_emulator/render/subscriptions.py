"""Subscriptions and their items (periods live on the items since API 2025-03-31)."""

from __future__ import annotations

from crm_emulators.stripe_emulator.records import Json, Price, Subscription, SubscriptionItem
from crm_emulators.stripe_emulator.render.catalog import plan
from crm_emulators.stripe_emulator.render.dispatch import list_object, render, render_live
from crm_emulators.stripe_emulator.store import Store


@render_live.register
def _item(item: SubscriptionItem, store: Store) -> Json:
    price = store.get(Price, item.price)
    return {
        "id": item.id, "object": "subscription_item", "billing_thresholds": None,
        "created": item.created, "current_period_end": item.current_period_end,
        "current_period_start": item.current_period_start, "discounts": [],
        "metadata": dict(item.metadata), "plan": plan(price), "price": render(price, store),
        "quantity": item.quantity, "subscription": item.subscription, "tax_rates": [],
    }


def _items(sub: Subscription, store: Store) -> Json:
    rows = [render(store.get(SubscriptionItem, ident), store) for ident in sub.items]
    listing = list_object(rows, f"/v1/subscription_items?subscription={sub.id}")
    listing["total_count"] = len(rows)
    return listing


@render_live.register
def _subscription(sub: Subscription, store: Store) -> Json:
    return {
        "id": sub.id, "object": "subscription", **_settings(sub), **_lifecycle(sub),
        "created": sub.created, "currency": sub.currency, "customer": sub.customer,
        "description": sub.description, "discounts": list(sub.discounts),
        "items": _items(sub, store), "latest_invoice": sub.latest_invoice, "livemode": False,
        "metadata": dict(sub.metadata), "test_clock": sub.test_clock,
    }


def _lifecycle(sub: Subscription) -> Json:
    return {
        "billing_cycle_anchor": sub.billing_cycle_anchor, "billing_cycle_anchor_config": None,
        "cancel_at": sub.cancel_at, "cancel_at_period_end": sub.cancel_at_period_end,
        "canceled_at": sub.canceled_at,
        "cancellation_details": {"comment": sub.cancellation_comment,
                                 "feedback": sub.cancellation_feedback,
                                 "reason": sub.cancellation_reason},
        "ended_at": sub.ended_at, "start_date": sub.start_date, "status": sub.status,
        "trial_end": sub.trial_end, "trial_start": sub.trial_start, "pause_collection": None,
    }


def _settings(sub: Subscription) -> Json:
    return {
        "application": None, "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_mode": {"flexible": None, "type": "classic"}, "billing_schedules": [],
        "billing_thresholds": None, "collection_method": sub.collection_method,
        "customer_account": None, "days_until_due": sub.days_until_due,
        "default_payment_method": sub.default_payment_method, "default_source": None,
        "default_tax_rates": [],
        "invoice_settings": {"account_tax_ids": None, "custom_fields": None,
                             "description": None, "footer": None, "issuer": {"type": "self"}},
        "managed_payments": {"enabled": False}, "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                             "save_default_payment_method": "off"},
        "pending_invoice_item_interval": None, "pending_setup_intent": None,
        "pending_update": None, "schedule": None, "transfer_data": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
    }
