"""What Stripe Billing does with customers, prices and subscriptions, on the account's clock.

Creating a subscription opens its first period and invoices it (nothing for a trial or a
period before a future billing anchor); quantity changes create proration items according to
``proration_behavior``; :func:`advance` renews periods, ends trials, applies
``cancel_at_period_end`` and retries failed payments as time passes. Payments succeed unless
the customer was told to fail (:attr:`Account.failing_customers`).
"""

from __future__ import annotations

import calendar
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from connector.sandbox.stripe_billing.state import Account, Json, StripeError

RETRY_DAYS = (3, 5, 7)
"""Days between automatic payment retries; after the last one the subscription is canceled."""
LIVE = ("active", "trialing", "past_due")


def create_customer(account: Account, params: Json) -> Json:
    """A customer from create parameters."""
    customer: Json = {
        "id": account.new_id("customer"), "object": "customer", "address": None, "balance": 0,
        "created": account.now(), "currency": None, "default_source": None,
        "delinquent": False, "description": params.get("description"), "discount": None,
        "email": params.get("email"), "invoice_prefix": account.new_id("customer")[4:12].upper(),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                             "footer": None, "rendering_options": None},
        "livemode": False, "metadata": dict(params.get("metadata") or {}),
        "name": params.get("name"), "next_invoice_sequence": 1, "phone": params.get("phone"),
        "preferred_locales": [], "shipping": None, "tax_exempt": "none", "test_clock": None,
    }
    account.objects["customer"][str(customer["id"])] = customer
    account.emit("customer.created", customer)
    return customer


def update_customer(account: Account, customer: Json, params: Json) -> Json:
    """Change a customer's name, email, description, phone or metadata."""
    before = copy.deepcopy(customer)
    for key in ("name", "email", "description", "phone"):
        if key in params:
            customer[key] = params[key] or None
    customer["metadata"] = _merge_metadata(customer["metadata"], params.get("metadata"))
    _announce(account, "customer.updated", before, customer)
    return customer


def create_product(account: Account, params: Json) -> Json:
    """A product from create parameters."""
    if not params.get("name"):
        raise StripeError(400, "Missing required param: name.", code="parameter_missing",
                          param="name")
    now = account.now()
    product: Json = {"id": params.get("id") or account.new_id("product"), "object": "product",
               "active": _bool(params.get("active", True)), "created": now,
               "default_price": None, "description": params.get("description"), "images": [],
               "livemode": False, "marketing_features": [],
               "metadata": dict(params.get("metadata") or {}), "name": params["name"],
               "package_dimensions": None, "shippable": None, "statement_descriptor": None,
               "tax_code": None, "type": "service", "unit_label": None, "updated": now,
               "url": None}
    account.objects["product"][str(product["id"])] = product
    account.emit("product.created", product)
    return product


def create_price(account: Account, params: Json) -> Json:
    """A per-unit price, recurring when ``recurring[interval]`` is given."""
    product_id = params.get("product")
    if isinstance(product_id, str):
        account.get("product", product_id, "product")
    elif isinstance(params.get("product_data"), dict):
        product_id = create_product(account, params["product_data"])["id"]
    else:
        raise StripeError(400, "Missing required param: product.", code="parameter_missing",
                          param="product")
    lookup_key = params.get("lookup_key")
    if lookup_key:
        _release_lookup_key(account, str(lookup_key), _bool(params.get("transfer_lookup_key")))
    recurring = params.get("recurring")
    amount = _int(params.get("unit_amount"), "unit_amount")
    price: Json = {
        "id": account.new_id("price"), "object": "price",
        "active": _bool(params.get("active", True)), "billing_scheme": "per_unit",
        "created": account.now(), "currency": str(params.get("currency", "usd")).lower(),
        "custom_unit_amount": None, "livemode": False, "lookup_key": lookup_key,
        "metadata": dict(params.get("metadata") or {}), "nickname": params.get("nickname"),
        "product": product_id,
        "recurring": None if not recurring else {
            "interval": recurring.get("interval", "month"),
            "interval_count": int(recurring.get("interval_count", 1)), "meter": None,
            "trial_period_days": None, "usage_type": "licensed"},
        "tax_behavior": "unspecified", "tiers_mode": None, "transform_quantity": None,
        "type": "recurring" if recurring else "one_time", "unit_amount": amount,
        "unit_amount_decimal": str(amount),
    }
    account.objects["price"][str(price["id"])] = price
    account.emit("price.created", price)
    return price


def create_subscription(account: Account, params: Json) -> Json:
    """Start a subscription: first period, first invoice, events."""
    customer = account.get("customer", _required(params, "customer"), "customer")
    items = params.get("items") or []
    if not items:
        raise StripeError(400, "Missing required param: items.", code="parameter_missing",
                          param="items")
    now = account.now()
    start = _int(params.get("backdate_start_date"), "backdate_start_date") or now
    trial_end = _trial_end(params.get("trial_end"), now)
    anchor = _int(params.get("billing_cycle_anchor"), "billing_cycle_anchor")
    if anchor is not None and anchor <= now:
        raise StripeError(400, "billing_cycle_anchor must be in the future.",
                          param="billing_cycle_anchor")
    sub_id = account.new_id("subscription")
    built = [_item(account, sub_id, raw, n) for n, raw in enumerate(items)]
    interval = built[0]["price"]["recurring"]
    period_end = trial_end or anchor or _add(start, interval)
    for item in built:
        item["current_period_start"], item["current_period_end"] = start, period_end
    collection = params.get("collection_method") or "charge_automatically"
    subscription: Json = {
        "id": sub_id, "object": "subscription", "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": anchor or trial_end or start,
        "billing_cycle_anchor_config": None, "billing_mode": {"type": "classic"},
        "billing_schedules": [], "billing_thresholds": None, "cancel_at": None,
        "cancel_at_period_end": False, "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": collection, "created": now,
        "currency": built[0]["price"]["currency"], "customer": customer["id"],
        "customer_account": None,
        "days_until_due": _int(params.get("days_until_due"), "days_until_due")
        if collection == "send_invoice" else None,
        "default_payment_method": None, "default_source": None, "default_tax_rates": [],
        "description": params.get("description"), "discounts": [], "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {"object": "list", "data": built, "has_more": False,
                  "total_count": len(built),
                  "url": f"/v1/subscription_items?subscription={sub_id}"},
        "latest_invoice": None, "livemode": False, "managed_payments": None,
        "metadata": dict(params.get("metadata") or {}),
        "next_pending_invoice_item_invoice": None, "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                             "save_default_payment_method": "off"},
        "pending_invoice_item_interval": None, "pending_setup_intent": None,
        "pending_update": None, "schedule": None, "start_date": start,
        "status": "trialing" if trial_end else "active", "test_clock": None,
        "transfer_data": None, "trial_end": trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": now if trial_end else None,
    }
    if _bool(params.get("cancel_at_period_end", False)):
        subscription["cancel_at_period_end"] = True
        subscription["cancel_at"] = period_end
    account.objects["subscription"][sub_id] = subscription
    free = bool(trial_end) or anchor is not None
    invoice = _invoice(account, subscription, "subscription_create", start, period_end,
                       charge_items=not free)
    account.emit("customer.subscription.created", subscription)
    _collect(account, subscription, invoice, first=True)
    return subscription


def update_subscription(account: Account, subscription: Json, params: Json) -> Json:
    """Quantity and price changes with prorations, cancel at period end, metadata."""
    if subscription["status"] in ("canceled", "incomplete_expired"):
        raise StripeError(400, "A canceled subscription can only update its "
                          "cancellation_details and metadata.")
    before = copy.deepcopy(subscription)
    behavior = params.get("proration_behavior", "create_prorations")
    if behavior not in ("create_prorations", "always_invoice", "none"):
        raise StripeError(400, f"Invalid proration_behavior: {behavior}",
                          param="proration_behavior")
    prorations = [line for n, raw in enumerate(params.get("items") or [])
                  for line in _change_item(account, subscription, raw, n)]
    if "cancel_at_period_end" in params:
        flag = _bool(params["cancel_at_period_end"])
        subscription["cancel_at_period_end"] = flag
        subscription["cancel_at"] = _period(subscription)[1] if flag else None
        subscription["canceled_at"] = account.now() if flag else None
    if "metadata" in params:
        subscription["metadata"] = _merge_metadata(subscription["metadata"], params["metadata"])
    if "description" in params:
        subscription["description"] = params["description"] or None
    if params.get("trial_end") == "now" and subscription["status"] == "trialing":
        _end_trial(account, subscription)
    if behavior != "none":
        for line in prorations:
            account.objects["invoiceitem"][line["id"]] = line
    _announce(account, "customer.subscription.updated", before, subscription)
    if behavior == "always_invoice" and prorations:
        start, end = _period(subscription)
        invoice = _invoice(account, subscription, "subscription_update", start, end,
                           charge_items=False)
        _collect(account, subscription, invoice, first=False)
    return subscription


def cancel_subscription(account: Account, subscription: Json) -> Json:
    """End a subscription now."""
    if subscription["status"] == "canceled":
        raise no_longer(subscription["id"])
    _end(account, subscription, account.now(), "cancellation_requested")
    return subscription


def no_longer(sub_id: str) -> StripeError:
    """The error for changing a canceled subscription."""
    return StripeError(400, f"A canceled subscription can only update its "
                       f"cancellation_details and metadata. ({sub_id})")


def advance(account: Account) -> None:
    """Do everything that has come due: renewals, trial ends, cancellations, retries."""
    now = account.now()
    for subscription in list(account.objects["subscription"].values()):
        while subscription["status"] in LIVE and _period(subscription)[1] <= now:
            _roll(account, subscription)
    for invoice in list(account.objects["invoice"].values()):
        due = invoice.get("next_payment_attempt")
        if invoice["status"] == "open" and due is not None and due <= now:
            owner = account.objects["subscription"].get(invoice["subscription"] or "")
            if owner is not None:
                _collect(account, owner, invoice, first=False, retry=True)


# -- periods ---------------------------------------------------------------------------------

def _period(subscription: Json) -> tuple[int, int]:
    item = subscription["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def _add(moment: int, recurring: Json | None) -> int:
    if not recurring:
        raise StripeError(400, "The price specified is set to `type=one_time` but this field "
                          "only accepts prices with `type=recurring`.", param="items")
    count = int(recurring["interval_count"])
    start = datetime.fromtimestamp(moment, UTC)
    unit = recurring["interval"]
    if unit == "day":
        return int((start + timedelta(days=count)).timestamp())
    if unit == "week":
        return int((start + timedelta(weeks=count)).timestamp())
    months = count * (12 if unit == "year" else 1)
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return int(start.replace(year=year, month=month + 1, day=day).timestamp())


def _roll(account: Account, subscription: Json) -> None:
    end = _period(subscription)[1]
    if subscription["cancel_at_period_end"]:
        _end(account, subscription, end, "cancellation_requested")
        return
    before = copy.deepcopy(subscription)
    was_trialing = subscription["status"] == "trialing"
    following = _add(end, subscription["items"]["data"][0]["price"]["recurring"])
    for item in subscription["items"]["data"]:
        item["current_period_start"], item["current_period_end"] = end, following
    if was_trialing:
        subscription["status"] = "active"
    _announce(account, "customer.subscription.updated", before, subscription)
    reason = "subscription_create" if was_trialing else "subscription_cycle"
    invoice = _invoice(account, subscription, reason, end, following, charge_items=True)
    _collect(account, subscription, invoice, first=False)


def _end_trial(account: Account, subscription: Json) -> None:
    now = account.now()
    following = _add(now, subscription["items"]["data"][0]["price"]["recurring"])
    for item in subscription["items"]["data"]:
        item["current_period_start"], item["current_period_end"] = now, following
    subscription["status"], subscription["trial_end"] = "active", now
    invoice = _invoice(account, subscription, "subscription_update", now, following,
                       charge_items=True)
    _collect(account, subscription, invoice, first=False)


def _end(account: Account, subscription: Json, moment: int, reason: str) -> None:
    before = copy.deepcopy(subscription)
    subscription.update({"status": "canceled", "ended_at": moment,
                         "canceled_at": subscription["canceled_at"] or moment,
                         "cancel_at_period_end": False})
    subscription["cancellation_details"]["reason"] = reason
    del before
    account.emit("customer.subscription.deleted", subscription)


def _trial_end(value: Any, now: int) -> int | None:
    if value in (None, "", "now"):
        return None
    moment = _int(value, "trial_end")
    if moment is not None and moment <= now:
        raise StripeError(400, "Invalid timestamp: must be an integer Unix timestamp in the "
                          "future.", param="trial_end")
    return moment


# -- items and prorations ----------------------------------------------------------------------

def _item(account: Account, sub_id: str, raw: Json, index: int) -> Json:
    price = account.get("price", _required(raw, "price", f"items[{index}][price]"),
                        f"items[{index}][price]")
    if not price["active"]:
        raise StripeError(400, f"The price specified is inactive: {price['id']}",
                          param=f"items[{index}][price]")
    quantity = _int(raw.get("quantity", 1), f"items[{index}][quantity]") or 0
    return {"id": account.new_id("subscription_item"), "object": "subscription_item",
            "billing_thresholds": None, "created": account.now(),
            "current_period_end": 0, "current_period_start": 0, "discounts": [],
            "metadata": dict(raw.get("metadata") or {}), "plan": _plan(price),
            "price": copy.deepcopy(price), "quantity": quantity, "subscription": sub_id,
            "tax_rates": []}


def _plan(price: Json) -> Json:
    recurring = price["recurring"] or {}
    return {"id": price["id"], "object": "plan", "active": price["active"],
            "amount": price["unit_amount"], "amount_decimal": price["unit_amount_decimal"],
            "billing_scheme": "per_unit", "created": price["created"],
            "currency": price["currency"], "interval": recurring.get("interval"),
            "interval_count": recurring.get("interval_count"), "livemode": False,
            "metadata": price["metadata"], "meter": None, "nickname": price["nickname"],
            "product": price["product"], "tiers_mode": None, "transform_usage": None,
            "trial_period_days": None, "usage_type": "licensed"}


def _change_item(account: Account, subscription: Json, raw: Json, index: int) -> list[Json]:
    items = subscription["items"]["data"]
    found: Json | None = next((i for i in items if i["id"] == raw.get("id")), None)
    if found is None and raw.get("id"):
        raise StripeError(400, f"Subscription item {raw['id']} does not belong to this "
                          "subscription.", param=f"items[{index}][id]")
    if found is None:
        item = _item(account, subscription["id"], raw, index)
        item["current_period_start"], item["current_period_end"] = _period(subscription)
        items.append(item)
        old_quantity = 0
    else:
        item, old_quantity = found, found["quantity"]
    if _bool(raw.get("deleted", False)):
        items.remove(item)
        new_quantity = 0
    else:
        new_quantity = _int(raw.get("quantity", old_quantity), f"items[{index}][quantity]") or 0
        item["quantity"] = new_quantity
    subscription["items"]["total_count"] = len(items)
    if new_quantity == old_quantity or subscription["status"] == "trialing":
        return []
    return _prorations(account, subscription, item, old_quantity, new_quantity)


def _prorations(account: Account, subscription: Json, item: Json, old: int,
                new: int) -> list[Json]:
    start, end = _period(subscription)
    now = account.now()
    share = max(end - now, 0) / max(end - start, 1)
    unit = item["price"]["unit_amount"]
    lines = []
    for quantity, sign, label in ((old, -1, "Unused time"), (new, 1, "Remaining time")):
        if quantity == 0:
            continue
        lines.append({
            "id": account.new_id("invoiceitem"), "object": "invoiceitem",
            "amount": sign * round(unit * quantity * share), "currency": item["price"]["currency"],
            "customer": subscription["customer"], "date": now,
            "description": f"{label} on {quantity} x {item['price']['product']} after "
                           f"{datetime.fromtimestamp(now, UTC):%d %b %Y}",
            "invoice": None, "livemode": False, "metadata": {},
            "period": {"start": now, "end": end}, "pricing": {"price_details": {
                "price": item["price"]["id"], "product": item["price"]["product"]},
                "type": "price_details", "unit_amount_decimal": str(unit)},
            "proration": True, "quantity": quantity, "subscription": subscription["id"],
            "subscription_item": item["id"],
        })
    return lines


# -- invoices and payments ---------------------------------------------------------------------

def _invoice(account: Account, subscription: Json, reason: str, start: int, end: int, *,
             charge_items: bool) -> Json:
    customer = account.objects["customer"][subscription["customer"]]
    invoice_id = account.new_id("invoice")
    lines = []
    if charge_items:
        for item in subscription["items"]["data"]:
            amount = item["price"]["unit_amount"] * item["quantity"]
            lines.append(_line(account, invoice_id, subscription, amount=amount,
                               quantity=item["quantity"],
                               description=f"{item['quantity']} x {item['price']['product']}",
                               start=start, end=end, proration=False, price=item["price"]))
    for pending in list(account.objects["invoiceitem"].values()):
        if pending["subscription"] == subscription["id"] and pending["invoice"] is None:
            pending["invoice"] = invoice_id
            lines.append(_line(account, invoice_id, subscription, amount=pending["amount"],
                               quantity=pending["quantity"], description=pending["description"],
                               start=pending["period"]["start"], end=pending["period"]["end"],
                               proration=True, price=None))
    total = sum(line["amount"] for line in lines)
    now = account.now()
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] += 1
    invoice = {
        "id": invoice_id, "object": "invoice", "account_country": "US",
        "account_name": "crm-connector emulator", "account_tax_ids": None,
        "amount_due": max(total, 0), "amount_overpaid": 0, "amount_paid": 0,
        "amount_remaining": max(total, 0), "amount_shipping": 0, "application": None,
        "attempt_count": 0, "attempted": False, "auto_advance": True,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None,
                          "provider": None, "status": None},
        "automatically_finalizes_at": None, "billing_reason": reason,
        "collection_method": subscription["collection_method"], "created": now,
        "currency": subscription["currency"], "custom_fields": None,
        "customer": customer["id"], "customer_account": None, "customer_address": None,
        "customer_email": customer["email"], "customer_name": customer["name"],
        "customer_phone": None, "customer_shipping": None, "customer_tax_exempt": "none",
        "customer_tax_ids": [], "default_payment_method": None, "default_source": None,
        "default_tax_rates": [], "description": None, "discounts": [],
        "due_date": now + 86400 * (subscription["days_until_due"] or 0)
        if subscription["collection_method"] == "send_invoice" else None,
        "effective_at": now, "ending_balance": 0, "footer": None, "from_invoice": None,
        "hosted_invoice_url": f"https://invoice.stripe.test/i/{invoice_id}",
        "invoice_pdf": f"https://pay.stripe.test/invoice/{invoice_id}/pdf",
        "issuer": {"type": "self"}, "last_finalization_error": None, "latest_revision": None,
        "lines": {"object": "list", "data": lines, "has_more": False,
                  "total_count": len(lines), "url": f"/v1/invoices/{invoice_id}/lines"},
        "livemode": False, "metadata": {}, "next_payment_attempt": None,
        "number": f"{customer['invoice_prefix']}-{sequence:04d}", "on_behalf_of": None,
        "parent": {"quote_details": None, "subscription_details": {
            "metadata": subscription["metadata"], "subscription": subscription["id"]},
            "type": "subscription_details"},
        "payment_settings": {"default_mandate": None, "payment_method_options": None,
                             "payment_method_types": None},
        "period_end": end, "period_start": start, "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0, "receipt_number": None, "rendering": None,
        "shipping_cost": None, "shipping_details": None, "starting_balance": 0,
        "statement_descriptor": None, "status": "open",
        "status_transitions": {"finalized_at": now, "marked_uncollectible_at": None,
                               "paid_at": None, "voided_at": None},
        "subscription": subscription["id"], "subtotal": total, "subtotal_excluding_tax": total,
        "test_clock": None, "total": total, "total_discount_amounts": [],
        "total_excluding_tax": total, "total_pretax_credit_amounts": [], "total_taxes": [],
        "webhooks_delivered_at": now,
    }
    account.objects["invoice"][invoice_id] = invoice
    subscription["latest_invoice"] = invoice_id
    account.emit("invoice.created", invoice)
    account.emit("invoice.finalized", invoice)
    return invoice


def _line(account: Account, invoice_id: str, subscription: Json, *, amount: int,
          quantity: int, description: str, start: int, end: int, proration: bool,
          price: Json | None) -> Json:
    return {"id": account.new_id("line_item"), "object": "line_item", "amount": amount,
            "currency": subscription["currency"], "description": description,
            "discount_amounts": [], "discountable": True, "discounts": [], "invoice": invoice_id,
            "livemode": False, "metadata": {}, "parent": {
                "subscription_item_details": {"proration": proration,
                                              "subscription": subscription["id"]},
                "type": "subscription_item_details"},
            "period": {"start": start, "end": end},
            "pricing": None if price is None else {
                "price_details": {"price": price["id"], "product": price["product"]},
                "type": "price_details", "unit_amount_decimal": price["unit_amount_decimal"]},
            "quantity": quantity, "taxes": []}


def _collect(account: Account, subscription: Json, invoice: Json, *, first: bool,
             retry: bool = False) -> None:
    """Charge an open invoice automatically; the subscription's status follows the outcome."""
    if invoice["collection_method"] == "send_invoice" and invoice["amount_due"] > 0:
        return
    if invoice["amount_due"] == 0 or subscription["customer"] not in account.failing_customers:
        _paid(account, subscription, invoice)
        return
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    attempts = invoice["attempt_count"]
    before = copy.deepcopy(subscription)
    if attempts <= len(RETRY_DAYS):
        invoice["next_payment_attempt"] = account.now() + 86400 * RETRY_DAYS[attempts - 1]
    else:
        invoice["next_payment_attempt"] = None
    account.emit("invoice.payment_failed", invoice)
    if first and not retry:
        subscription["status"] = "incomplete"
    elif invoice["next_payment_attempt"] is None:
        _end(account, subscription, account.now(), "payment_failed")
        return
    elif subscription["status"] != "incomplete":
        subscription["status"] = "past_due"
    _announce(account, "customer.subscription.updated", before, subscription)


def _paid(account: Account, subscription: Json, invoice: Json) -> None:
    invoice.update({"status": "paid", "amount_paid": invoice["amount_due"],
                    "amount_remaining": 0, "attempted": invoice["amount_due"] > 0,
                    "attempt_count": invoice["attempt_count"] + int(invoice["amount_due"] > 0),
                    "next_payment_attempt": None})
    invoice["status_transitions"]["paid_at"] = account.now()
    account.emit("invoice.paid", invoice)
    account.emit("invoice.payment_succeeded", invoice)
    if subscription["status"] in ("past_due", "incomplete"):
        before = copy.deepcopy(subscription)
        subscription["status"] = "active"
        _announce(account, "customer.subscription.updated", before, subscription)


# -- small helpers -----------------------------------------------------------------------------

def _announce(account: Account, event_type: str, before: Json, after: Json) -> None:
    previous = {k: v for k, v in before.items() if after.get(k) != v}
    if previous:
        account.emit(event_type, after, previous)


def _release_lookup_key(account: Account, key: str, transfer: bool) -> None:
    for price in account.objects["price"].values():
        if price["lookup_key"] == key:
            if not transfer:
                raise StripeError(400, f"A price (`{price['id']}`) already uses that lookup "
                                  "key.", param="lookup_key")
            price["lookup_key"] = None


def _merge_metadata(current: Json, update: Any) -> Json:
    if update in (None, ""):
        return {} if update == "" else dict(current)
    merged = dict(current)
    for key, value in dict(update).items():
        if value in ("", None):
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged


def _required(params: Json, name: str, param: str | None = None) -> str:
    value = params.get(name)
    if not value:
        raise StripeError(400, f"Missing required param: {param or name}.",
                          code="parameter_missing", param=param or name)
    return str(value)


def _int(value: Any, param: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(400, f"Invalid integer: {value}", param=param) from None


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
