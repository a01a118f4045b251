"""The daemon's configuration: typed models loaded from one TOML file.

Every problem is reported at once, each as ``file: key.path: reason``; unknown keys are
rejected with a "did you mean"; secrets are refused in the file and read from the
environment instead (see :mod:`connector.secrets`). Relative paths resolve against the
folder of the config file.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from connector.config_section import Section
from connector.errors import ConfigError
from connector.notifications_config import NotificationsConfig
from connector.webhooks_config import WebhooksConfig

DEFAULT_CONFIG = "config.toml"
CONFIG_ENV = "CRM_CONNECTOR_CONFIG"

# Keys that look like secrets, and the environment variable that should hold each instead.
SECRET_KEYS = {
    "password": "SALESFORCE_PASSWORD or SMTP_PASSWORD",
    "username": "SALESFORCE_USERNAME or SMTP_USERNAME",
    "client_id": "SALESFORCE_CLIENT_ID",
    "client_secret": "SALESFORCE_CLIENT_SECRET",
    "private_key": "SALESFORCE_PRIVATE_KEY",
    "security_token": "SALESFORCE_PASSWORD (password with the token appended)",
    "api_key": "STRIPE_API_KEY",
    "secret_key": "STRIPE_API_KEY",
    "webhook_secret": "STRIPE_WEBHOOK_SECRET",
    "secret": "OUTBOUND_WEBHOOK_SECRET (or the variable an endpoint's secret_name names)",
    "token": "the matching environment variable",
}


class LedgerConfig(Section):
    """Where the ledger lives."""

    url: str = "sqlite:///ledger.db"


class SalesforceConfig(Section):
    """How to reach Salesforce and how much of the org's API allocation to spend."""

    login_url: str = "https://login.salesforce.com"
    auth: Literal["password", "jwt", "client_credentials"] = "client_credentials"
    api_version: Annotated[str, Field(pattern=r"^\d{2,3}\.0$")] = "62.0"
    poll_interval: Annotated[int, Field(ge=1, le=86_400)] = 30
    ca_bundle: Path | None = None
    max_api_share: Annotated[float, Field(gt=0, le=1)] = 0.5
    bulk_threshold: Annotated[int, Field(ge=1)] = 2000
    bulk_write_threshold: Annotated[int, Field(ge=1)] = 2000
    deletes_interval: Annotated[int, Field(ge=60, le=86_400)] = 300
    request_timeout: Annotated[float, Field(gt=0, le=600)] = 60.0

    @field_validator("login_url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be a URL such as https://login.salesforce.com")
        return value.rstrip("/")


class StripeConfig(Section):
    """How to reach Stripe and how to bill."""

    api_base: str | None = None
    webhook_listen: Annotated[str, Field(pattern=r"^(off|[^:\s]+:\d{1,5})$")] = "127.0.0.1:8765"
    webhook_public_url: Annotated[str | None, Field(pattern=r"^https?://\S+$")] = None
    """The URL Stripe POSTs to (behind the TLS proxy); ``diagnose`` checks an endpoint
    points there."""
    events_poll_interval: Annotated[int, Field(ge=5, le=86_400)] = 60
    max_requests_per_second: Annotated[float, Field(gt=0, le=100)] = 20
    proration_behavior: Literal["create_prorations", "always_invoice", "none"] = (
        "create_prorations"
    )
    cancel_behavior: Literal["at_period_end", "immediately"] = "at_period_end"
    collection_method: Literal["charge_automatically", "send_invoice"] = "charge_automatically"
    days_until_due: Annotated[int, Field(ge=0, le=365)] = 30
    mirror_unlinked: bool = False
    """``import stripe``: show an imported subscription whose customer matched an Account as
    a ``Subscription__c`` on it (Stripe owns its fields)."""

    @property
    def webhook_enabled(self) -> bool:
        """Whether the daemon serves the webhook receiver (``webhook_listen = "off"``)."""
        return self.webhook_listen != "off"

    @property
    def webhook_host(self) -> str:
        """The interface the webhook receiver binds."""
        return self.webhook_listen.rsplit(":", 1)[0]

    @property
    def webhook_port(self) -> int:
        """The port the webhook receiver binds."""
        return int(self.webhook_listen.rsplit(":", 1)[1])


class SyncConfig(Section):
    """What a sync does with the org's history."""

    generate_since: str = "install"
    """``install``: deals won or ticked before the first sync are imported but generate
    nothing; ``YYYY-MM-DD``: only deals won on or after that date generate; ``all``: every
    won deal generates."""

    @field_validator("generate_since")
    @classmethod
    def _since(cls, value: str) -> str:
        if value in ("install", "all"):
            return value
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError('must be "install", "all" or a date "YYYY-MM-DD"') from None
        if len(value) != len("YYYY-MM-DD"):
            raise ValueError('must be "install", "all" or a date "YYYY-MM-DD"')
        return value

    @property
    def since_date(self) -> date | None:
        """The date of ``generate_since`` when it is one."""
        return None if self.generate_since in ("install", "all") else \
            date.fromisoformat(self.generate_since)


class OpsConfig(Section):
    """The operations listener (``/metrics``, ``/healthz``, ``/readyz``) served by ``run``."""

    listen: Annotated[str, Field(pattern=r"^(off|[^:\s]+:\d{1,5})$")] = "127.0.0.1:9464"

    @property
    def enabled(self) -> bool:
        """Whether ``run`` serves the listener (``listen = "off"`` turns it off)."""
        return self.listen != "off"

    @property
    def host(self) -> str:
        """The interface the listener binds (loopback by default)."""
        return self.listen.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        """The port the listener binds."""
        return int(self.listen.rsplit(":", 1)[1])


class DirConfig(Section):
    """A folder of admin-edited files."""

    dir: Path


class MappingsConfig(DirConfig):
    """The mapping files, and the Salesforce data model they are checked against."""

    data_model: Path | None = None


class LoggingConfig(Section):
    """How much the daemon logs (``--log-level`` on the command line wins)."""

    level: Literal["debug", "info", "warning", "error"] = "info"


class Config(Section):
    """The whole configuration.

    Attributes:
        source: the file it was read from (None for defaults).
    """

    ledger: LedgerConfig = LedgerConfig()
    salesforce: SalesforceConfig = SalesforceConfig()
    stripe: StripeConfig = StripeConfig()
    sync: SyncConfig = SyncConfig()
    notifications: NotificationsConfig = NotificationsConfig()
    ops: OpsConfig = OpsConfig()
    mappings: MappingsConfig = MappingsConfig(dir=Path("mappings"))
    templates: DirConfig = DirConfig(dir=Path("templates"))
    logging: LoggingConfig = LoggingConfig()
    webhooks: WebhooksConfig = WebhooksConfig()
    source: Path | None = Field(default=None, exclude=True)


def resolve_config_path(cli_value: str | None, environ: dict[str, str] | None = None) -> Path:
    """Pick the config file: ``--config``, else ``$CRM_CONNECTOR_CONFIG``, else ``config.toml``."""
    env = os.environ if environ is None else environ
    return Path(cli_value or env.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(path: Path) -> Config:
    """Read, validate and resolve the config file at ``path``.

    Raises:
        ConfigError: listing every problem as ``file: key.path: reason``.
    """
    raw = _read_toml(path)
    secrets = _secret_problems(raw)
    problems = [f"{path}: {p}" for p in secrets]
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        # A secret's key is also unknown to the model: say only what to do with the secret.
        said = {p.split(":", 1)[0] for p in secrets}
        problems += [f"{path}: {_describe(err)}" for err in exc.errors()
                     if ".".join(str(part) for part in err["loc"]) not in said]
    if problems:
        raise ConfigError(sorted(set(problems), key=problems.index))
    return _resolve_paths(config, path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError([
            f"{path}: file not found (pass --config PATH or set ${CONFIG_ENV}; "
            "config.example.toml documents every key)"
        ]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a folder, not a config file (pass the .toml file "
                           "itself to --config)"]) from None
    except PermissionError:
        raise ConfigError([f"{path}: cannot be read by this user (check its owner and "
                           "mode; the service reads it as its own user)"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot be read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"]
                          ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None


def _secret_problems(raw: dict[str, Any], prefix: str = "") -> list[str]:
    problems = []
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            problems += _secret_problems(value, f"{dotted}.")
        elif isinstance(value, list):  # arrays of tables ([[webhooks.endpoints]])
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    problems += _secret_problems(item, f"{dotted}.{index}.")
        elif key.lower() in SECRET_KEYS:
            problems.append(
                f"{dotted}: secrets are never read from the config file; "
                f"set {SECRET_KEYS[key.lower()]} in the environment or a credential file"
            )
    return problems


def _describe(error: Any) -> str:
    loc = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{loc}: unknown key{_did_you_mean(error['loc'])}"
    return f"{loc}: {error['msg']}"


def _did_you_mean(loc: tuple[Any, ...]) -> str:
    model: Any = Config
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        model = field.annotation if field is not None else None
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return ""
    known = [name for name in model.model_fields if name != "source"]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known keys: {', '.join(known)})"


def _resolve_paths(config: Config, path: Path) -> Config:
    base = path.resolve().parent
    salesforce = config.salesforce
    if salesforce.ca_bundle is not None:
        salesforce = salesforce.model_copy(update={"ca_bundle": base / salesforce.ca_bundle})
    return config.model_copy(update={
        "source": path.resolve(),
        "ledger": LedgerConfig(url=resolve_sqlite_url(config.ledger.url, base)),
        "salesforce": salesforce,
        "mappings": MappingsConfig(
            dir=base / config.mappings.dir,
            data_model=base / config.mappings.data_model if config.mappings.data_model else None),
        "templates": DirConfig(dir=base / config.templates.dir),
    })


def resolve_sqlite_url(url: str, base: Path) -> str:
    """Make a relative SQLite path absolute against ``base``; other URLs pass unchanged."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/") or url == prefix + ":memory:":
        return url
    return prefix + str(base / url.removeprefix(prefix))
