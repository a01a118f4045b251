"""The ASGI application: every path goes to the :class:`Gateway`, which routes it."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from crm_emulators.stripe_emulator.api.gateway import Gateway
from crm_emulators.stripe_emulator.api.resources import (
    catalog,
    customers,
    events,
    invoices,
    payments,
    refunds,
    subscriptions,
    test_clocks,
    webhook_endpoints,
)
from crm_emulators.stripe_emulator.api.routing import Route as ApiRoute
from crm_emulators.stripe_emulator.api.routing import Router

METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]


def router() -> Router:
    """Every endpoint the emulator serves."""
    families: list[list[ApiRoute]] = [
        customers.ROUTES, catalog.ROUTES, subscriptions.ROUTES, invoices.ROUTES,
        payments.ROUTES, refunds.ROUTES, events.ROUTES, test_clocks.ROUTES,
        webhook_endpoints.ROUTES,
    ]
    return Router(route for family in families for route in family)


def build_app(gateway: Gateway) -> Starlette:
    """The ASGI app answering through ``gateway``."""
    return Starlette(routes=[Route("/{path:path}", gateway.respond, methods=METHODS)])
