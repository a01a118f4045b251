"""The pieces of ``diagnose`` that need no server: the clock and the endpoint's events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.billing.client import WebhookEndpointInfo
from connector.config import Config, LedgerConfig, StripeConfig
from connector.inbound.stripe.backstop import HANDLED_EVENTS
from connector.ops import checks

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
URL = "https://sync.example.com/webhooks/stripe"
CONFIG = Config(stripe=StripeConfig(webhook_public_url=URL))


def test_clock_skew_levels() -> None:
    assert checks._skew(NOW, NOW - timedelta(seconds=1)).level == "ok"
    assert checks._skew(NOW, NOW - timedelta(seconds=45)).level == "warn"
    behind = checks._skew(NOW, NOW + timedelta(seconds=400))
    assert behind.level == "fail"
    assert behind.message.startswith("clock 400s behind Stripe's")


def test_an_endpoint_missing_event_types_names_them() -> None:
    partial = WebhookEndpointInfo(URL, tuple(HANDLED_EVENTS[2:]), "enabled")

    found = checks._endpoint(CONFIG, [partial])

    assert found.level == "fail"
    assert f"lacks 2 event types: {', '.join(sorted(HANDLED_EVENTS[:2]))}" in found.message


def test_an_endpoint_for_every_event_or_disabled() -> None:
    assert checks._endpoint(CONFIG, [WebhookEndpointInfo(URL, ("*",), "enabled")]).level == "ok"
    disabled = checks._endpoint(CONFIG, [WebhookEndpointInfo(URL, ("*",), "disabled")])
    assert disabled.level == "fail"
    assert "disabled" in disabled.message


def test_key_modes() -> None:
    assert checks._key_mode("rk_live_abc").message == "live mode (restricted key)"
    assert checks._key_mode("pk_test_abc").level == "fail"


def test_an_unopenable_ledger_url_is_one_failed_line() -> None:
    found = checks.ledger(Config(ledger=LedgerConfig(url="nosuchdb://x")))

    assert [f.level for f in found] == ["fail"]
    assert found[0].message.startswith("ledger.url cannot be opened: ")
