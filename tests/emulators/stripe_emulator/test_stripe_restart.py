"""A stopped Stripe emulator refuses connections on its port; started again, it serves the
same account on the same port."""

from __future__ import annotations

import socket

import pytest
import stripe

from crm_emulators.stripe_emulator import StripeEmulator


def _refused(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_stop_refuses_connections_and_start_serves_the_same_account_on_the_same_port() -> None:
    emulator = StripeEmulator().start()
    try:
        url = emulator.url
        port = int(url.rsplit(":", 1)[1])
        customer = emulator.client().v1.customers.create({"name": "Acme"})

        emulator.stop()
        assert _refused(port)
        with pytest.raises(stripe.APIConnectionError):
            emulator.client().v1.customers.retrieve(customer.id)

        emulator.start()
        assert emulator.url == url
        assert emulator.client().v1.customers.retrieve(customer.id).name == "Acme"
    finally:
        emulator.stop()
