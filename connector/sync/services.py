"""The clients a sync cycle uses, built once per process (see :mod:`connector.sync.wiring`)."""

from __future__ import annotations

from dataclasses import dataclass

from connector.billing.client import StripeGateway
from connector.notify.mailer import SmtpMailer
from connector.notify.templates import TemplateRenderer
from connector.salesforce.client import SalesforceClient
from connector.salesforce.progress import NO_PROGRESS, ReadProgress


@dataclass
class Services:
    """The clients a cycle uses; built once per process (see :mod:`connector.sync.wiring`)."""

    salesforce: SalesforceClient
    stripe: StripeGateway
    mailer: SmtpMailer
    renderer: TemplateRenderer
    record_url_base: str | None = None
    progress: ReadProgress = NO_PROGRESS
    """Where large Salesforce reads report their progress (the CLI's bar; nothing otherwise)."""
