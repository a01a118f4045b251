"""The emulator's HTTP face: ``/v1`` as stripe-python's ``StripeClient`` calls it.

:mod:`.gateway` applies what every request goes through (keys, faults, rate limit,
idempotency, headers); :mod:`.resources` holds one module per family of endpoints, each
parsing its parameters into typed inputs for the account's operations.
"""

from __future__ import annotations

from crm_emulators.stripe_emulator.api.app import build_app

__all__ = ["build_app"]
