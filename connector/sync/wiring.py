"""Building a :class:`~connector.sync.engine.SyncEngine` from the config and the secrets.

The only place that turns configuration into live clients; commands and tests call it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.billing.client import StripeGateway, build_stripe_client
from connector.clock import Clock, SystemClock
from connector.config import Config
from connector.errors import ConfigError
from connector.ledger.database import open_migrated, session_factory
from connector.mapping import DataModel, MappingSet, load_mappings
from connector.notify.mailer import SmtpMailer, SmtpSettings
from connector.notify.templates import TemplateRenderer
from connector.retry import RetryPolicy
from connector.salesforce.auth import OAuthAuthenticator
from connector.salesforce.client import ApiMeter, SalesforceClient, TimeoutSession
from connector.secrets import Secrets
from connector.sync.engine import SyncEngine
from connector.sync.services import Services

SHIPPED_METADATA = Path(__file__).resolve().parents[2] / "salesforce"


def open_ledger(config: Config) -> tuple[Engine, sessionmaker[Session]]:
    """Connect to the ledger and bring its schema up to date.

    Raises:
        ConfigError: ``ledger.url`` cannot be used (named with the config file).
    """
    try:
        engine = open_migrated(config.ledger.url)
    except ConfigError as exc:
        raise ConfigError([f"{config.source or 'config'}: {p}" for p in exc.problems]) from None
    return engine, session_factory(engine)


def offline_data_model(config: Config) -> DataModel:
    """The Salesforce data model the mappings are checked against without describe:
    ``[mappings] data_model`` (the org's SFDX source), else the shipped ``salesforce/``."""
    return DataModel.offline(config.mappings.data_model or SHIPPED_METADATA)


def load_mapping_set(config: Config) -> MappingSet:
    """Validate and load the mapping files against the offline data model.

    Raises:
        ConfigError: every problem, as ``file:line: key.path: reason``.
    """
    return load_mappings(config.mappings.dir, offline_data_model(config))


def build_services(config: Config, secrets: Secrets,
                   retry: RetryPolicy | None = None) -> Services:
    """The Salesforce, Stripe and SMTP clients for ``config``."""
    policy = retry or RetryPolicy()
    return Services(
        salesforce=_salesforce(config, secrets, policy),
        stripe=_stripe(config, secrets, policy),
        mailer=SmtpMailer(_smtp_settings(config, secrets)),
        renderer=TemplateRenderer(config.templates.dir),
        record_url_base=config.notifications.salesforce_base_url,
    )


def build_engine(config: Config, secrets: Secrets, clock: Clock | None = None,
                 retry: RetryPolicy | None = None) -> SyncEngine:
    """Everything a sync cycle needs, ready to run."""
    mappings = load_mapping_set(config)
    _, sessions = open_ledger(config)
    return SyncEngine(config, sessions, clock or SystemClock(),
                      build_services(config, secrets, retry), mappings)


def build_salesforce(config: Config, secrets: Secrets,
                     retry: RetryPolicy | None = None) -> SalesforceClient:
    """The Salesforce client alone (``mappings check`` reads describe with it)."""
    return _salesforce(config, secrets, retry or RetryPolicy())


def build_stripe(config: Config, secrets: Secrets,
                 retry: RetryPolicy | None = None) -> StripeGateway:
    """The Stripe gateway alone (``mappings check`` looks up prices with it)."""
    return _stripe(config, secrets, retry or RetryPolicy())


def _salesforce(config: Config, secrets: Secrets, retry: RetryPolicy) -> SalesforceClient:
    settings = config.salesforce
    http = TimeoutSession(settings.request_timeout)
    if settings.ca_bundle is not None:
        if not settings.ca_bundle.is_file():
            raise ConfigError([f"salesforce.ca_bundle: {settings.ca_bundle} is not a file"])
        http.verify = str(settings.ca_bundle)
    authenticator = OAuthAuthenticator(settings.login_url, settings.auth, secrets, http,
                                       timeout=settings.request_timeout)
    return SalesforceClient(authenticator, http, settings.api_version, retry,
                            ApiMeter(max_share=settings.max_api_share))


def _stripe(config: Config, secrets: Secrets, retry: RetryPolicy) -> StripeGateway:
    key = secrets.require("STRIPE_API_KEY", "the Stripe connector needs an API key")
    client, transport = build_stripe_client(key.get_secret_value(), config.stripe.api_base,
                                            config.stripe.max_requests_per_second)
    return StripeGateway(client, transport, retry)


def _smtp_settings(config: Config, secrets: Secrets) -> SmtpSettings:
    settings = config.notifications
    username, password = secrets.get("SMTP_USERNAME"), secrets.get("SMTP_PASSWORD")
    return SmtpSettings(
        settings.smtp_host, settings.smtp_port, settings.smtp_tls, settings.sender,
        username.get_secret_value() if username else None,
        password.get_secret_value() if password else None,
    )
