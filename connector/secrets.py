"""Secrets from environment variables or systemd credential files, never from the TOML.

A secret named ``STRIPE_API_KEY`` is read from the environment variable of that name, else
from the file ``$CREDENTIALS_DIRECTORY/STRIPE_API_KEY`` (systemd ``LoadCredential=``).
Values are wrapped in :class:`pydantic.SecretStr` so they never print by accident, and every
value read is registered with the log redactor.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from connector.errors import ConfigError

SECRET_NAMES = (
    "SALESFORCE_CLIENT_ID",
    "SALESFORCE_CLIENT_SECRET",
    "SALESFORCE_USERNAME",
    "SALESFORCE_PASSWORD",
    "SALESFORCE_PRIVATE_KEY",
    "STRIPE_API_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_WEBHOOK_SECRET_PREVIOUS",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "OUTBOUND_WEBHOOK_SECRET",
)
SECRET_PREFIXES = ("OUTBOUND_WEBHOOK_SECRET_",)
"""Families of secrets named by the config (an outbound webhook endpoint's own secret)."""


class Secrets:
    """Looks secrets up by name in an environment, then in a credentials directory.

    Args:
        environ: the process environment (injected so tests need not mutate ``os.environ``).
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def get(self, name: str) -> SecretStr | None:
        """Return the secret called ``name``, or None when it is set nowhere."""
        if name not in SECRET_NAMES and not name.startswith(SECRET_PREFIXES):
            raise KeyError(f"{name} is not a known secret; known: {', '.join(SECRET_NAMES)}")
        value = self._environ.get(name) or self._read_credential(name)
        return SecretStr(value) if value else None

    def require(self, name: str, why: str) -> SecretStr:
        """Return the secret called ``name`` or raise a ConfigError saying how to provide it."""
        value = self.get(name)
        if value is None:
            raise ConfigError([
                f"{name}: not set; {why}. Set the environment variable {name} or put it in "
                f"a credential file named {name} ($CREDENTIALS_DIRECTORY, systemd LoadCredential=)"
            ])
        return value

    def values(self) -> list[str]:
        """Every secret value that is set, for the log redactor."""
        found = (self.get(name) for name in (*SECRET_NAMES, *self._prefixed()))
        return [secret.get_secret_value() for secret in found if secret is not None]

    def _prefixed(self) -> list[str]:
        """The names of :data:`SECRET_PREFIXES` set in the environment or as credentials."""
        names = set(self._environ)
        directory = self._environ.get("CREDENTIALS_DIRECTORY")
        if directory and Path(directory).is_dir():
            names |= {path.name for path in Path(directory).iterdir()}
        return sorted(name for name in names if name.startswith(SECRET_PREFIXES))

    def _read_credential(self, name: str) -> str | None:
        directory = self._environ.get("CREDENTIALS_DIRECTORY")
        if not directory:
            return None
        path = Path(directory) / name
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8").strip() or None
