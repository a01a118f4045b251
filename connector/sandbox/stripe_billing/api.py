"""The ``/v1`` HTTP API of the emulated account, as stripe-python 16 calls it.

Form-encoded bodies, Bearer (or Basic) keys, list pagination, Stripe's error JSON,
``Idempotency-Key`` replay, a configurable rate limit answering 429, and ``Request-Id`` /
``Stripe-Version`` headers on every response.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector.sandbox.stripe_billing import billing
from connector.sandbox.stripe_billing.forms import decode
from connector.sandbox.stripe_billing.state import API_VERSION, Account, Json, StripeError

Handler = Callable[[Account, Json, dict[str, str]], Json]
MAX_LIMIT = 100


def build_app(account: Account) -> Starlette:
    """The ASGI app serving ``account``."""

    def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            status, body, replayed = await _answer(account, request, handler)
            response = Response(body, status_code=status, media_type="application/json")
            response.headers["Request-Id"] = "req_" + hashlib.sha1(  # noqa: S324 - an id
                body + str(len(account.request_log)).encode()).hexdigest()[:14]
            response.headers["Stripe-Version"] = request.headers.get("stripe-version",
                                                                     API_VERSION)
            if replayed:
                response.headers["Idempotent-Replayed"] = "true"
            account.request_log.append((request.method, request.url.path, status))
            return response
        return endpoint

    routes = [
        Route("/v1/customers", api(_customers), methods=["GET", "POST"]),
        Route("/v1/customers/{id}", api(_customer), methods=["GET", "POST", "DELETE"]),
        Route("/v1/products", api(_products), methods=["GET", "POST"]),
        Route("/v1/products/{id}", api(_product), methods=["GET"]),
        Route("/v1/prices", api(_prices), methods=["GET", "POST"]),
        Route("/v1/prices/{id}", api(_price), methods=["GET", "POST"]),
        Route("/v1/subscriptions", api(_subscriptions), methods=["GET", "POST"]),
        Route("/v1/subscriptions/{id}", api(_subscription), methods=["GET", "POST", "DELETE"]),
        Route("/v1/subscription_items", api(_subscription_items), methods=["GET"]),
        Route("/v1/invoices", api(_invoices), methods=["GET"]),
        Route("/v1/invoices/{id}", api(_invoice), methods=["GET"]),
        Route("/v1/events", api(_events), methods=["GET"]),
        Route("/v1/events/{id}", api(_event), methods=["GET"]),
    ]
    return Starlette(routes=routes)


async def _answer(account: Account, request: Request,
                  handler: Handler) -> tuple[int, bytes, bool]:
    raw = (await request.body()).decode() if request.method == "POST" else request.url.query
    try:
        key = _api_key(request)
        failure = account.faults.pick()
        if failure is not None:
            raise StripeError(failure, "An unknown error occurred (emulated fault).",
                              kind="api_error")
        if account.throttled():
            raise StripeError(429, "Request rate limit exceeded. Learn more about rate limits "
                              "here https://stripe.com/docs/rate-limits.", code="rate_limit")
        params: Json = dict(decode(raw))
        idempotency = request.headers.get("idempotency-key")
        if request.method == "POST" and idempotency:
            return _idempotent(account, (key, idempotency), request, raw, handler=handler,
                               params=params)
        return 200, _run(account, handler, params, request), False
    except StripeError as error:
        return error.status, json.dumps({"error": error.error}).encode(), False


def _idempotent(account: Account, slot: tuple[str, str], request: Request, raw: str, *,
                handler: Handler, params: Json) -> tuple[int, bytes, bool]:
    fingerprint = hashlib.sha256(f"{request.url.path}?{raw}".encode()).hexdigest()
    with account.lock:
        stored = account.idempotency.get(slot)
        if stored is not None:
            if stored[0] != fingerprint:
                raise StripeError(
                    400, "Keys for idempotent requests can only be used with the same "
                    "parameters they were first used with. Try using a key other than "
                    f"'{slot[1]}' if you meant to execute a different request.",
                    kind="idempotency_error")
            return stored[1], stored[2], True
        try:
            status, body = 200, _run(account, handler, params, request)
        except StripeError as error:
            if error.status >= 500:
                raise
            status, body = error.status, json.dumps({"error": error.error}).encode()
        account.idempotency[slot] = (fingerprint, status, body)
        return status, body, False


def _run(account: Account, handler: Handler, params: Json, request: Request) -> bytes:
    with account.lock:
        params.pop("expand", None)
        result = handler(account, params, {"method": request.method,
                                           **request.path_params})
        return json.dumps(result).encode()


def _api_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header.startswith("Basic "):
        header = base64.b64decode(header[6:]).decode(errors="replace").split(":")[0]
    key = header.removeprefix("Bearer ").strip()
    if not key.startswith(("sk_test_", "rk_test_")):
        raise StripeError(401, "Invalid API Key provided: " + (key[:8] + "*" * 4 if key else
                                                               "(none)"))
    return key


# -- resources -------------------------------------------------------------------------------

def _customers(account: Account, params: Json, path: dict[str, str]) -> Json:
    if path["method"] == "POST":
        return billing.create_customer(account, params)
    found = [c for c in account.objects["customer"].values()
             if "email" not in params or c["email"] == params["email"]]
    return _page(found, params, "/v1/customers")


def _customer(account: Account, params: Json, path: dict[str, str]) -> Json:
    customer = account.get("customer", path["id"])
    if path["method"] == "POST":
        return billing.update_customer(account, customer, params)
    if path["method"] == "DELETE":
        del account.objects["customer"][customer["id"]]
        account.emit("customer.deleted", customer)
        return {"id": customer["id"], "object": "customer", "deleted": True}
    return customer


def _products(account: Account, params: Json, path: dict[str, str]) -> Json:
    if path["method"] == "POST":
        return billing.create_product(account, params)
    return _page(list(account.objects["product"].values()), params, "/v1/products")


def _product(account: Account, params: Json, path: dict[str, str]) -> Json:
    return account.get("product", path["id"])


def _prices(account: Account, params: Json, path: dict[str, str]) -> Json:
    if path["method"] == "POST":
        return billing.create_price(account, params)
    keys = params.get("lookup_keys")
    found = [p for p in account.objects["price"].values()
             if (keys is None or p["lookup_key"] in keys)
             and ("active" not in params or p["active"] == (params["active"] == "true"))
             and ("product" not in params or p["product"] == params["product"])]
    return _page(found, params, "/v1/prices")


def _price(account: Account, params: Json, path: dict[str, str]) -> Json:
    price = account.get("price", path["id"])
    if path["method"] == "POST":
        if "active" in params:
            price["active"] = params["active"] == "true"
        if "metadata" in params:
            price["metadata"] = {**price["metadata"], **params["metadata"]}
        account.emit("price.updated", price)
    return price


def _subscriptions(account: Account, params: Json, path: dict[str, str]) -> Json:
    if path["method"] == "POST":
        return billing.create_subscription(account, params)
    status = params.get("status")
    found = [s for s in account.objects["subscription"].values()
             if ("customer" not in params or s["customer"] == params["customer"])
             and (status == "all" or (s["status"] == status if status
                                      else s["status"] != "canceled"))
             and ("price" not in params or any(i["price"]["id"] == params["price"]
                                                for i in s["items"]["data"]))]
    return _page(found, params, "/v1/subscriptions")


def _subscription(account: Account, params: Json, path: dict[str, str]) -> Json:
    subscription = account.get("subscription", path["id"])
    if path["method"] == "POST":
        return billing.update_subscription(account, subscription, params)
    if path["method"] == "DELETE":
        return billing.cancel_subscription(account, subscription)
    return subscription


def _subscription_items(account: Account, params: Json, path: dict[str, str]) -> Json:
    subscription = account.get("subscription", str(params.get("subscription")), "subscription")
    return _page(list(subscription["items"]["data"]), params, "/v1/subscription_items")


def _invoices(account: Account, params: Json, path: dict[str, str]) -> Json:
    found = [i for i in account.objects["invoice"].values()
             if all(params[k] == i[k] for k in ("customer", "subscription", "status")
                    if k in params)]
    return _page(found, params, "/v1/invoices")


def _invoice(account: Account, params: Json, path: dict[str, str]) -> Json:
    return account.get("invoice", path["id"])


def _events(account: Account, params: Json, path: dict[str, str]) -> Json:
    wanted = params.get("types") or ([params["type"]] if "type" in params else None)
    created = params.get("created")
    found = [e for e in account.events
             if (wanted is None or any(_matches(e["type"], w) for w in wanted))
             and _in_range(e["created"], created)]
    return _page(found, params, "/v1/events")


def _event(account: Account, params: Json, path: dict[str, str]) -> Json:
    for event in account.events:
        if event["id"] == path["id"]:
            return event
    raise StripeError(404, f"No such event: '{path['id']}'", code="resource_missing",
                      param="id")


# -- lists -----------------------------------------------------------------------------------

def _page(objects: list[Json], params: Json, url: str) -> Json:
    """Newest first, ``limit`` per page, cursors ``starting_after`` / ``ending_before``."""
    newest_first = objects[::-1]
    limit = int(params.get("limit", 10))
    if not 1 <= limit <= MAX_LIMIT:
        raise StripeError(400, "This value must be less than or equal to 100 (it currently "
                          f"is '{limit}').", param="limit")
    ids = [o["id"] for o in newest_first]
    if "starting_after" in params:
        start = _position(ids, params["starting_after"], "starting_after") + 1
        chosen = newest_first[start:start + limit]
        more = start + limit < len(newest_first)
    elif "ending_before" in params:
        end = _position(ids, params["ending_before"], "ending_before")
        chosen = newest_first[max(end - limit, 0):end]
        more = end - limit > 0
    else:
        chosen, more = newest_first[:limit], len(newest_first) > limit
    return {"object": "list", "data": chosen, "has_more": more, "url": url}


def _position(ids: list[str], ident: Any, param: str) -> int:
    try:
        return ids.index(str(ident))
    except ValueError:
        raise StripeError(400, f"No such object: '{ident}'", code="resource_missing",
                          param=param) from None


def _matches(event_type: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


def _in_range(moment: int, created: Any) -> bool:
    if created is None:
        return True
    if not isinstance(created, dict):
        return moment == int(created)
    checks = {"gt": moment.__gt__, "gte": moment.__ge__, "lt": moment.__lt__,
              "lte": moment.__le__}
    return all(checks[op](int(value)) for op, value in created.items() if op in checks)
