"""The notification catalog: every DESIGN event, configured per event, each with shipped
templates that render (text always, HTML with inlined CSS) from sample data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from connector.cli import main
from connector.config import Config, load_config
from connector.errors import ConfigError
from connector.notifications_config import EventConfig, RenewalReminderConfig, TimedEventConfig
from connector.notify import preview
from connector.notify.catalog import CATALOG, EVENTS
from connector.notify.templates import TemplateRenderer

REPO = Path(__file__).resolve().parents[2]
DESIGN = {
    "customer": ["trial_signup", "trial_expiring", "purchase_confirmation",
                 "payment_confirmation", "renewal_reminder", "payment_declined",
                 "license_changes", "offer_sent"],
    "partner": ["stripe_unreachable", "salesforce_unreachable", "trial_signup",
                "trial_expiring", "trial_expired", "purchase", "payment_declined",
                "license_changes", "license_discrepancy"],
    "csm": ["potential_subscriptions"],
}


def test_the_catalog_is_designs_list_and_each_event_has_its_config_table() -> None:
    assert {a: [e.name for e in CATALOG if e.audience == a] for a in DESIGN} == DESIGN
    config = Config().notifications
    for event in CATALOG:
        settings = config.event(event.audience, event.name)
        assert settings.enabled is event.enabled
        lead = settings.lead_days if isinstance(settings, TimedEventConfig) else None
        assert lead == event.lead_days, event.label
    for audience, names in DESIGN.items():
        assert list(type(getattr(config, audience)).model_fields) == names
    assert (EVENTS["customer.trial_expiring"].lead_days,
            EVENTS["customer.renewal_reminder"].lead_days) == (1, 5)


def test_every_shipped_template_renders_text_and_inlined_html_from_sample_data() -> None:
    renderer = TemplateRenderer(REPO / "templates")
    for event in CATALOG:
        email = preview.preview(renderer, event)
        assert email.subject, event.label
        assert "\n" not in email.subject, event.label
        assert email.text.strip(), event.label
        assert email.html is not None, event.label
        assert "<style" not in email.html, event.label
        if event.audience != "csm":
            assert 'style="' in email.html, event.label
            assert "crm-connector" in email.html, event.label
            assert "crm-connector" in email.text, event.label  # the branded footer
    assert preview.problems(renderer) == []


def test_the_declined_payment_email_links_the_hosted_invoice_page() -> None:
    email = preview.preview(TemplateRenderer(REPO / "templates"),
                            EVENTS["customer.payment_declined"])
    link = "https://invoice.stripe.com/i/acct_demo/test_demo"
    assert link in email.text
    assert email.html is not None
    assert re.search(rf'<a href="{re.escape(link)}"[^>]*>Update your card and pay</a>',
                     email.html)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "problem"), [
    ("[notifications.customer.renewal_reminders]\nenabled = false\n",
     "notifications.customer.renewal_reminders: unknown key (did you mean "
     "'renewal_reminder'?)"),
    ("[notifications.partner.purchase]\nlead_days = 3\n",
     "notifications.partner.purchase.lead_days: unknown key"),
    ("[notifications.customer.trial_expiring]\nlead_days = -1\n",
     "notifications.customer.trial_expiring.lead_days: Input should be greater than or "
     "equal to 0"),
    ("[notifications.branding]\nprimary_colour = \"blue\"\n",
     "notifications.branding.primary_colour: String should match pattern"),
    ("[notifications]\npartner_recipients = [\"team\"]\n",
     "notifications.partner_recipients.0: String should match pattern"),
])
def test_bad_notification_settings_name_the_key_and_the_reason(
        tmp_path: Path, text: str, problem: str) -> None:
    path = _config(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert any(p.startswith(f"{path}: {problem}") for p in raised.value.problems), \
        raised.value.problems


def test_an_event_turned_off_and_a_lead_time_changed_are_read(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, (
        "[notifications]\npartner_recipients = [\"team@example.com\"]\n"
        "[notifications.partner.trial_signup]\nenabled = false\n"
        "[notifications.customer.renewal_reminder]\nlead_days = 10\n")))
    settings = config.notifications
    assert settings.partner_recipients == ("team@example.com",)
    assert settings.event("partner", "trial_signup") == EventConfig(enabled=False)
    assert settings.event("customer", "renewal_reminder") == RenewalReminderConfig(lead_days=10)


def test_notifications_list_and_preview_from_the_command_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, f'[templates]\ndir = "{REPO / "templates"}"\n'
                             "[notifications.customer.renewal_reminder]\nenabled = false\n")
    assert main(["notifications", "list", "--format", "json", "--config", str(path)]) == 0
    rows = {row["event"]: row for row in json.loads(capsys.readouterr().out)}
    assert len(rows) == len(CATALOG)
    assert (rows["customer.renewal_reminder"]["enabled"],
            rows["customer.renewal_reminder"]["lead_days"]) == (False, 5)
    assert rows["partner.stripe_unreachable"]["audience"] == "partner"

    html = tmp_path / "declined.html"
    assert main(["notifications", "preview", "customer.payment_declined", "--html",
                 str(html), "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Subject: Your payment of 499.00 USD was declined\n")
    assert "<!DOCTYPE html>" in html.read_text(encoding="utf-8")

    assert main(["notifications", "preview", "customer.payment_decline",
                 "--config", str(path)]) == 2
    assert "did you mean 'customer.payment_declined'" in capsys.readouterr().err


def test_a_broken_template_is_refused_with_file_and_line(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    (templates / "customer").mkdir(parents=True)
    for source in (REPO / "templates").rglob("*.j2"):
        target = templates / source.relative_to(REPO / "templates")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    broken = templates / "partner" / "purchase.txt.j2"
    broken.write_text("New {{ account.name }}\n{{ quantiy }}\n", encoding="utf-8")

    with pytest.raises(ConfigError) as raised:
        preview.check(TemplateRenderer(templates))

    assert raised.value.problems == [f"{broken}:2: 'quantiy' is undefined"]
