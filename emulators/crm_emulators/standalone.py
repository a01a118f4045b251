"""One emulator served in the foreground, as ``python -m crm_emulators`` runs it.

Each prints where it listens and a ``curl`` line to try, then serves until SIGINT or SIGTERM.
The Salesforce one knows the demo's integration user and connected app; ``seed`` loads the
demo's sample org (Salesforce) or catalog (Stripe).
"""

from __future__ import annotations

import signal
from datetime import date
from types import FrameType

from crm_emulators.salesforce import SalesforceEmulator
from crm_emulators.seed import seed_salesforce, seed_stripe
from crm_emulators.stack import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, INTEGRATION_USER
from crm_emulators.stripe_emulator import API_VERSION, DEMO_KEY, StripeEmulator


def serve_salesforce(port: int, seed: bool = False, *, multi_currency: bool = False,
                     currency: str = "USD") -> None:
    """Serve a Salesforce org on ``port`` with one currency (``currency``) unless
    ``multi_currency``, until SIGINT/SIGTERM."""
    emulator = SalesforceEmulator(port=port, host="127.0.0.1", multi_currency=multi_currency,
                                  currency=currency)
    emulator.add_user(INTEGRATION_USER, "integration-password", name="Integration User",
                      email=INTEGRATION_USER)
    emulator.add_connected_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                               run_as_username=INTEGRATION_USER)
    if seed:
        seed_salesforce(emulator, date.today())
    token = emulator.issue_session_token()
    kind = "multiple currencies" if multi_currency else "one currency"
    print(f"Salesforce emulator on {emulator.url} (CA: {emulator.ca_path}), {kind}, "
          f"corporate currency {currency}\n"
          f"client credentials: {DEMO_CLIENT_ID} / {DEMO_CLIENT_SECRET}\n"
          f"try: curl --cacert {emulator.ca_path} -H 'Authorization: Bearer {token}' "
          f"'{emulator.url}/services/data/v62.0/limits'", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        emulator.serve_forever()  # uvicorn also stops on SIGINT
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


def serve_stripe(port: int, seed: bool = False) -> None:
    """Serve a Stripe account on ``port`` until SIGINT/SIGTERM."""
    emulator = StripeEmulator(port=port)
    if seed:
        seed_stripe(emulator)
    print(f"Stripe emulator on {emulator.url} (API {API_VERSION}); any sk_test_ key works\n"
          f"try: curl -u {DEMO_KEY}: {emulator.url}/v1/prices", flush=True)
    emulator.serve_forever()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
