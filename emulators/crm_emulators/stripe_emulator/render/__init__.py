"""Records to Stripe-shaped JSON, in the shapes of the pinned API version.

Importing this package registers every resource's renderer with :func:`render`.
"""

from __future__ import annotations

from crm_emulators.stripe_emulator.render import (  # noqa: F401 (registration)
    catalog,
    customers,
    invoices,
    misc,
    payments,
    subscriptions,
)
from crm_emulators.stripe_emulator.render.dispatch import list_object, render

__all__ = ["list_object", "render"]
