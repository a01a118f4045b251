"""The three emulators started together, as the demo and end-to-end tests use them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from crm_emulators.clock import Clock
from crm_emulators.salesforce import SalesforceEmulator
from crm_emulators.smtp import SmtpSink
from crm_emulators.stripe_emulator import StripeEmulator

DEMO_CLIENT_ID = "crm-connector-demo"
DEMO_CLIENT_SECRET = "demo-client-secret"  # noqa: S105 (emulator-only credential)
DEMO_STRIPE_KEY = "sk_test_emulator"
INTEGRATION_USER = "integration@example.com"


@dataclass
class EmulatorStack:
    """Running Salesforce, Stripe and SMTP emulators on loopback."""

    salesforce: SalesforceEmulator
    stripe: StripeEmulator
    smtp: SmtpSink

    @classmethod
    def start(cls, clock: Clock | None = None, metadata_dir: Path | None = None, *,
              multi_currency: bool = False, currency: str = "USD",
              packages: tuple[str, ...] = ()) -> EmulatorStack:
        """Start all three on free ports; the Salesforce one knows the demo's connected app.

        ``metadata_dir``: the SFDX source of the org's data model (default: the shipped one).
        ``multi_currency``: the Salesforce org has multiple currencies enabled (default: one
        currency, as in most orgs); ``currency``: its corporate currency. ``packages``: the
        managed packages installed in the org (``("sfLma",)``: the License Management App).
        """
        salesforce = SalesforceEmulator(clock=clock, metadata_dir=metadata_dir,
                                        multi_currency=multi_currency, currency=currency,
                                        packages=packages).start()
        salesforce.add_user(INTEGRATION_USER, "integration-password", name="Integration User",
                            email=INTEGRATION_USER)
        salesforce.add_connected_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                                     run_as_username=INTEGRATION_USER)
        stripe = StripeEmulator(clock=clock).start()
        return cls(salesforce, stripe, SmtpSink().start())

    def environment(self) -> dict[str, str]:
        """The secrets a daemon needs to talk to these emulators."""
        return {
            "SALESFORCE_CLIENT_ID": DEMO_CLIENT_ID,
            "SALESFORCE_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "STRIPE_API_KEY": DEMO_STRIPE_KEY,
        }

    def write_config(self, folder: Path, mappings: Path, templates: Path,
                     webhook_port: int = 0, data_model: Path | None = None, *,
                     generate_since: str = "all", ops_port: int = 0,
                     partner_recipients: tuple[str, ...] = ()) -> Path:
        """Write a config.toml pointing a daemon at these emulators; return its path.

        ``data_model``: the SFDX folder the mappings are checked against (``[mappings]
        data_model``; default: the shipped one). ``generate_since``: ``[sync]
        generate_since``; "all" by default because the sample org's deals are seeded just
        before the first sync, standing for deals won since the install. ``ops_port``: the
        operations listener's port (0: a free one, so daemons side by side never collide).
        ``partner_recipients``: ``[notifications] partner_recipients`` (default: none).
        """
        path = folder / "config.toml"
        model = f'data_model = "{data_model}"\n' if data_model else ""
        path.write_text(
            f'[ledger]\nurl = "sqlite:///{folder / "ledger.db"}"\n\n'
            f'[salesforce]\nlogin_url = "{self.salesforce.url}"\n'
            f'auth = "client_credentials"\nca_bundle = "{self.salesforce.ca_path}"\n'
            f"poll_interval = 5\n\n"
            f'[stripe]\napi_base = "{self.stripe.url}"\n'
            f'webhook_listen = "127.0.0.1:{webhook_port}"\n\n'
            f'[sync]\ngenerate_since = "{generate_since}"\n\n'
            f'[ops]\nlisten = "127.0.0.1:{ops_port}"\n\n'
            f'[notifications]\nsmtp_host = "{self.smtp.host}"\nsmtp_port = {self.smtp.port}\n'
            f'smtp_tls = false\nsender = "billing-sync@example.com"\n'
            f"partner_recipients = {json.dumps(list(partner_recipients))}\n\n"
            f'[mappings]\ndir = "{mappings}"\n{model}\n[templates]\ndir = "{templates}"\n',
            encoding="utf-8",
        )
        return path

    def stop(self) -> None:
        """Stop all three."""
        self.smtp.stop()
        self.stripe.stop()
        self.salesforce.stop()
