"""``GET /v1/webhook_endpoints`` and the ``Date`` header, read with stripe-python."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import requests
import stripe

from crm_emulators.stripe_emulator import StripeEmulator


def test_listed_endpoints_show_url_and_events_but_not_the_secret(
        emulator: StripeEmulator, client: stripe.StripeClient) -> None:
    emulator.add_webhook_endpoint("https://a.example/hook", ["customer.created"])
    emulator.add_webhook_endpoint("https://b.example/hook")

    listed = client.v1.webhook_endpoints.list()

    assert [(e.url, e.enabled_events) for e in listed.data] == [
        ("https://b.example/hook", ["*"]), ("https://a.example/hook", ["customer.created"])]
    assert all(getattr(e, "secret", None) is None for e in listed.data)
    again = client.v1.webhook_endpoints.retrieve(listed.data[1].id)
    assert again.url == "https://a.example/hook"


def test_every_answer_carries_a_date_header(emulator: StripeEmulator) -> None:
    answer = requests.get(f"{emulator.url}/v1/webhook_endpoints", timeout=5,
                          headers={"Authorization": "Bearer sk_test_x"})

    assert answer.status_code == 200
    assert parsedate_to_datetime(answer.headers["Date"]).tzinfo is not None
