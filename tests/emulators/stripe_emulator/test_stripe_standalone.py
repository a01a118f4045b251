"""``serve_stripe``: the standalone emulator answers with the demo catalog and stops on
SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import stripe


def test_serve_forever_seeds_the_demo_prices_and_stops_on_sigterm() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", "from crm_emulators.standalone import serve_stripe;"
         f"serve_stripe({port}, seed=True)"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        client = stripe.StripeClient("sk_test_demo", max_network_retries=0,
                                     base_addresses={"api": f"http://127.0.0.1:{port}"})
        prices = client.v1.prices.list({"lookup_keys": ["PLATFORM-MONTHLY"]}).data
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)

    assert f"http://127.0.0.1:{port}" in banner
    assert [p.unit_amount for p in prices] == [49900]
    assert code in (0, -signal.SIGTERM)  # uvicorn stops gracefully, then re-raises it
