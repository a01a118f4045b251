"""``[webhooks]``: endpoints validated with the file and key path, secrets by name only."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.config import load_config
from connector.errors import ConfigError
from connector.webhooks_config import EVENT_TYPES


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def test_endpoints_load_with_their_filters_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[webhooks.endpoints]]\nurl = "https://hooks.example.com/crm"\n'
                    'events = ["subscription.activated", "invoice.paid"]\n'
                    '[[webhooks.endpoints]]\nurl = "http://127.0.0.1:9000/all"\nevents = ["*"]\n'
                    'secret_name = "OUTBOUND_WEBHOOK_SECRET_WAREHOUSE"\ntimeout = 2.5\n',
                    encoding="utf-8")

    settings = load_config(path).webhooks

    first, second = settings.endpoints
    assert first.wants("invoice.paid")
    assert not first.wants("license.changed")
    assert all(second.wants(name) for name in EVENT_TYPES)
    assert (first.timeout, second.timeout) == (10.0, 2.5)
    assert settings.secret_names == ["OUTBOUND_WEBHOOK_SECRET",
                                     "OUTBOUND_WEBHOOK_SECRET_WAREHOUSE"]


@pytest.mark.parametrize(("endpoint", "expected"), [
    ('url = "http://hooks.example.com/crm"\nevents = ["*"]',
     "webhooks.endpoints.0.url: Value error, must be an https:// URL"),
    ('url = "https://hooks.example.com/crm"\nevents = ["subscription.created"]',
     "webhooks.endpoints.0.events: Value error, unknown event type(s) 'subscription.created'"),
    ('url = "https://hooks.example.com/crm"\nevents = ["*", "invoice.paid"]',
     'webhooks.endpoints.0.events: Value error, "*" already means every event type'),
    ('url = "https://hooks.example.com/crm"\nevents = []',
     "webhooks.endpoints.0.events: List should have at least 1 item"),
    ('url = "https://hooks.example.com/crm"\nevents = ["*"]\nsecret_name = "STRIPE_API_KEY"',
     "webhooks.endpoints.0.secret_name: String should match pattern"),
    ('url = "https://hooks.example.com/crm"\nevents = ["*"]\nsecret = "whsec_abc"',
     "webhooks.endpoints.0.secret: secrets are never read from the config file; set "
     "OUTBOUND_WEBHOOK_SECRET"),
])
def test_a_bad_endpoint_names_the_file_the_key_and_the_reason(tmp_path: Path, endpoint: str,
                                                              expected: str) -> None:
    problems = _problems(tmp_path, f"[[webhooks.endpoints]]\n{endpoint}\n")

    assert any(p.startswith(f"{tmp_path / 'config.toml'}: {expected}") for p in problems), problems


def test_the_same_url_twice_is_refused(tmp_path: Path) -> None:
    table = '[[webhooks.endpoints]]\nurl = "https://h.example.com/a"\nevents = ["*"]\n'

    [problem] = _problems(tmp_path, table + table)

    assert "webhooks: Value error, endpoints: each url once" in problem
