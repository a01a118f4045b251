"""``diagnose``: every check an admin would make before trusting the daemon, in one run.

Config, secrets (named, never shown), the ledger and its migrations, the Salesforce login
and API allocation, the mappings against the org's describe, the Stripe key's mode, the
webhook endpoint and the clock against Stripe's, and the SMTP relay. Each line is ``ok``,
``warn`` or ``FAIL`` with the fix; any failure makes the exit status 1.
"""

from __future__ import annotations

from collections.abc import Callable

from connector.clock import Clock
from connector.config import Config
from connector.ops import checks
from connector.ops.checks import Finding
from connector.secrets import Secrets

SHOWN = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def diagnose(config: Config, secrets: Secrets, clock: Clock) -> list[Finding]:
    """Run every check and return the findings in the order they were made."""
    found = [checks.ok("config", f"{config.source} is valid"),
             *checks.secrets_present(config, secrets), *checks.ledger(config)]
    salesforce, client = checks.salesforce(config, secrets)
    found += [*salesforce, *checks.mappings(config, client),
              *checks.stripe(config, secrets, clock.now()), *checks.smtp(config, secrets)]
    return found


def render(findings: list[Finding], out: Callable[[str], None] = print) -> int:
    """Print one line per finding (with its fix); return 1 if any failed, else 0."""
    for finding in findings:
        line = f"{SHOWN[finding.level]}  {finding.check}: {finding.message}"
        out(line + (f"\n      fix: {finding.fix}" if finding.fix else ""))
    failed = sum(f.level == "fail" for f in findings)
    warned = sum(f.level == "warn" for f in findings)
    out(f"{failed} failed, {warned} warnings, {len(findings) - failed - warned} ok")
    return 1 if failed else 0
