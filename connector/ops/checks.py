"""The checks ``diagnose`` runs, each returning findings (ok, warn or fail, with the fix).

Each check reports what it found and never prints a secret's value: secrets are named,
never shown. A check that needs something an earlier one found missing says so instead of
failing twice.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from connector.config import Config
from connector.errors import AuthenticationError, ConfigError, ConnectorError, FatalError
from connector.inbound.stripe.backstop import HANDLED_EVENTS
from connector.ledger.database import current_revision, head_revision, make_engine
from connector.mapping import check_mappings, load_mappings
from connector.ops.states import first_line
from connector.salesforce.client import SalesforceClient
from connector.schema.org_model import Describe, org_data_model
from connector.secrets import Secrets
from connector.sync.wiring import build_salesforce, build_stripe, offline_data_model

Level = Literal["ok", "warn", "fail"]
SALESFORCE_SECRETS = {
    "password": ("SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET", "SALESFORCE_USERNAME",
                 "SALESFORCE_PASSWORD"),
    "client_credentials": ("SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET"),
    "jwt": ("SALESFORCE_CLIENT_ID", "SALESFORCE_USERNAME", "SALESFORCE_PRIVATE_KEY"),
}
"""The secrets each Salesforce ``auth`` flow needs."""
SKEW_WARN, SKEW_FAIL = 30.0, 300.0
"""Seconds of clock difference with Stripe: a warning, and a failure (Stripe's webhook
signatures are refused beyond five minutes)."""


@dataclass(frozen=True)
class Finding:
    """One line of ``diagnose``.

    Attributes:
        check: what was checked (``ledger``, ``stripe key``, ...).
        level: ``ok``, ``warn`` or ``fail``.
        message: what was found.
        fix: what to do, for a warning or a failure.
    """

    check: str
    level: Level
    message: str
    fix: str | None = None


def ok(check: str, message: str) -> Finding:
    """A passed check."""
    return Finding(check, "ok", message)


def secrets_present(config: Config, secrets: Secrets) -> list[Finding]:
    """The secrets the configured flows need are set (their names only are printed)."""
    needed = [*SALESFORCE_SECRETS[config.salesforce.auth], "STRIPE_API_KEY"]
    missing = [name for name in needed if secrets.get(name) is None]
    found = [ok("secrets", f"{', '.join(n for n in needed if n not in missing)} present")
             ] if len(missing) < len(needed) else []
    if missing:
        found.append(Finding("secrets", "fail", f"{', '.join(missing)} not set",
                             "set them in the environment or as files in "
                             "$CREDENTIALS_DIRECTORY (systemd LoadCredential=)"))
    if secrets.get("STRIPE_WEBHOOK_SECRET") is None and config.stripe.webhook_enabled:
        found.append(Finding("secrets", "warn", "STRIPE_WEBHOOK_SECRET not set: the webhook "
                             "receiver stays off, events arrive by the /v1/events backstop",
                             "set it to the endpoint's signing secret (whsec_...)"))
    return found


def ledger(config: Config) -> list[Finding]:
    """The ledger answers and its schema is this version's newest."""
    try:
        engine = make_engine(config.ledger.url)
    except (ArgumentError, NoSuchModuleError, OSError) as exc:
        return [Finding("ledger", "fail", f"ledger.url cannot be opened: {first_line(exc)}",
                        "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")]
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, head = current_revision(engine), head_revision()
    except SQLAlchemyError as exc:
        return [Finding("ledger", "fail", f"cannot reach the ledger: {first_line(exc)}",
                        "check ledger.url and that the database is up")]
    finally:
        engine.dispose()
    shown = engine.url.render_as_string(hide_password=True)
    if current == head:
        return [ok("ledger", f"{shown} reachable, schema {current} is current")]
    return [Finding("ledger", "fail", f"{shown}: schema {current or 'empty'}, this version "
                    f"needs {head}", "start the daemon once (it migrates on start) or run "
                    "'alembic upgrade head' with CRM_CONNECTOR_LEDGER_URL set")]


def salesforce(config: Config, secrets: Secrets) -> tuple[list[Finding],
                                                           SalesforceClient | None]:
    """Log in to Salesforce and read the org's API allocation.

    Returns:
        The findings, and the logged-in client for the mapping check (None on failure).
    """
    if any(secrets.get(n) is None for n in SALESFORCE_SECRETS[config.salesforce.auth]):
        return [Finding("salesforce", "fail", "not checked: its secrets are missing",
                        "see the secrets line above")], None
    try:
        client = build_salesforce(config, secrets)
        limits = client.limits()
    except AuthenticationError as exc:
        return [Finding("salesforce", "fail", f"login refused: {exc}",
                        f"check the connected app and the secrets of auth = "
                        f"{config.salesforce.auth!r} (docs/salesforce.md)")], None
    except ConnectorError as exc:
        return [Finding("salesforce", "fail", f"cannot reach {config.salesforce.login_url}: "
                        f"{exc}", "check salesforce.login_url, the network and ca_bundle")
                ], None
    return [ok("salesforce", f"logged in to {client.instance_url} ({config.salesforce.auth})"),
            _allocation(limits.get("DailyApiRequests") or {}, config.salesforce.max_api_share)
            ], client


def _allocation(daily: dict[str, Any], share: float) -> Finding:
    limit, remaining = daily.get("Max"), daily.get("Remaining")
    if not isinstance(limit, int) or not isinstance(remaining, int):
        return Finding("salesforce api", "warn", "the org reported no daily API allocation",
                       "check the integration user has the API Enabled permission")
    used = limit - remaining
    message = f"{used}/{limit} daily API requests used; we pause at {int(limit * share)}"
    if used >= limit * share:
        return Finding("salesforce api", "warn", message + ": the daemon is pausing now",
                       "wait for the 24-hour window to roll, or raise salesforce.max_api_share")
    return ok("salesforce api", message)


def mappings(config: Config, client: SalesforceClient | None) -> list[Finding]:
    """The mapping files are valid, against the org's describe when logged in."""
    model = offline_data_model(config)
    against = "the shipped data model"
    if client is not None:
        model, against = org_data_model(_describer(client), model), "the org's describe"
    try:
        problems = [str(p) for p in check_mappings(config.mappings.dir, model)]
        if not problems:
            load_mappings(config.mappings.dir, model)
    except ConfigError as exc:
        problems = list(exc.problems)
    if problems:
        return [Finding("mappings", "fail", f"{len(problems)} problems against {against}, "
                        f"first: {problems[0]}", "run 'crm-connector mappings check'")]
    return [ok("mappings", f"{config.mappings.dir} valid against {against}")]


def _describer(client: SalesforceClient) -> Describe:
    def describe(name: str) -> dict[str, Any] | None:
        try:
            return client.describe(name)
        except ConnectorError:
            return None
    return describe


def stripe(config: Config, secrets: Secrets, now: datetime) -> list[Finding]:
    """The key's mode, the key accepted, the webhook endpoint, the clock against Stripe's."""
    key = secrets.get("STRIPE_API_KEY")
    if key is None:
        return [Finding("stripe", "fail", "not checked: STRIPE_API_KEY is missing",
                        "see the secrets line above")]
    found = [_key_mode(key.get_secret_value())]
    try:
        listed = build_stripe(config, secrets).webhook_endpoints()
    except FatalError as exc:
        return [*found, Finding("stripe", "fail", f"the key was refused: {exc}",
                                "set STRIPE_API_KEY to a secret (sk_) or restricted (rk_) key "
                                "with read access to webhook endpoints")]
    except ConnectorError as exc:
        return [*found, Finding("stripe", "fail", f"Stripe unreachable: {exc}",
                                "check stripe.api_base and the network")]
    found.append(_endpoint(config, listed.endpoints))
    if listed.server_date is not None:
        found.append(_skew(now, listed.server_date))
    return found


def _key_mode(key: str) -> Finding:
    for prefix, mode in (("sk_test_", "test"), ("rk_test_", "test"), ("sk_live_", "live"),
                         ("rk_live_", "live")):
        if key.startswith(prefix):
            kind = "restricted" if prefix.startswith("rk") else "secret"
            return ok("stripe key", f"{mode} mode ({kind} key)")
    return Finding("stripe key", "fail", "STRIPE_API_KEY is not a Stripe secret or restricted "
                   "key (sk_test_, sk_live_, rk_test_, rk_live_)",
                   "copy the key from Dashboard > Developers > API keys")


def _endpoint(config: Config, endpoints: list[Any]) -> Finding:
    url = config.stripe.webhook_public_url
    if url is None:
        return Finding("stripe webhook", "warn", f"{len(endpoints)} endpoints; not checked "
                       "against ours: stripe.webhook_public_url is not set",
                       "set it to the public https URL Stripe POSTs to")
    ours = [e for e in endpoints if e.url == url]
    if not ours:
        return Finding("stripe webhook", "fail", f"no webhook endpoint points at {url}",
                       "add one in Dashboard > Developers > Webhooks with the events "
                       "listed in README 'Stripe connection'")
    enabled = [e for e in ours if e.status == "enabled"]
    if not enabled:
        return Finding("stripe webhook", "fail", f"the endpoint for {url} is disabled",
                       "enable it in Dashboard > Developers > Webhooks")
    wanted = set(HANDLED_EVENTS)
    gaps: list[set[str]] = [wanted - set(e.enabled_events) for e in enabled
                            if "*" not in e.enabled_events]
    gaps.sort(key=len)
    missing = sorted(gaps[0]) if len(gaps) == len(enabled) else []
    if missing:
        return Finding("stripe webhook", "fail", f"the endpoint for {url} lacks "
                       f"{len(missing)} event types: {', '.join(missing)}",
                       "add them to the endpoint's events")
    return ok("stripe webhook", f"an enabled endpoint points at {url} with every event "
              "type the daemon needs")


def _skew(now: datetime, server: datetime) -> Finding:
    seconds = (now - server).total_seconds()
    # The Date header is whole seconds (and servers cache it for one): 2s is no difference.
    message = f"clock {abs(seconds):.0f}s {'ahead of' if seconds > 0 else 'behind'} Stripe's" \
        if abs(seconds) > 2 else "clock in step with Stripe's (within 2s)"
    if abs(seconds) > SKEW_FAIL:
        return Finding("clock", "fail", message + ": webhook signatures will be refused",
                       "synchronise the clock (timedatectl set-ntp true)")
    if abs(seconds) > SKEW_WARN:
        return Finding("clock", "warn", message, "synchronise the clock (chrony or "
                       "systemd-timesyncd)")
    return ok("clock", message)


def smtp(config: Config, secrets: Secrets, timeout: float = 10.0) -> list[Finding]:
    """The relay answers: connect, EHLO (STARTTLS and AUTH when configured), NOOP, QUIT."""
    settings = config.notifications
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    user, password = secrets.get("SMTP_USERNAME"), secrets.get("SMTP_PASSWORD")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as relay:
            relay.ehlo()
            if settings.smtp_tls:
                relay.starttls(context=ssl.create_default_context())
                relay.ehlo()
            if user and password:
                relay.login(user.get_secret_value(), password.get_secret_value())
            code, _ = relay.noop()
    except smtplib.SMTPAuthenticationError as exc:
        return [Finding("smtp", "fail", f"{where} refused SMTP_USERNAME/SMTP_PASSWORD "
                        f"({exc.smtp_code})", "check the SMTP credentials")]
    except (OSError, smtplib.SMTPException) as exc:
        return [Finding("smtp", "fail", f"{where} unreachable: {type(exc).__name__}: {exc}",
                        "check notifications.smtp_host, smtp_port and smtp_tls")]
    if code != 250:
        return [Finding("smtp", "warn", f"{where} answered NOOP with {code}",
                        "check the relay's logs")]
    tls = "STARTTLS, " if settings.smtp_tls else ""
    return [ok("smtp", f"{where} answered EHLO and NOOP ({tls}"
               f"{'AUTH' if user and password else 'no AUTH'})")]
