"""``report reconciliation --live``: re-read Salesforce and Stripe, then compare with the ledger.

The calls, counted by the clients' meters and said on stderr:

* Salesforce: the ``Subscription__c`` the ledger knows, by Id,
  :data:`~connector.salesforce.reader.IDS_PER_QUERY` ids per SOQL ``IN`` query:
  ``ceil(n / 300)`` query calls for ``n`` linked records (none when there are none), inside
  the API budget (``salesforce.max_api_share``; the client refuses calls past it).
* Stripe: every subscription of the account (``status=all``), 100 a page, through the
  gateway's paginator and its rate limit (``stripe.max_requests_per_second``):
  ``max(1, ceil(s / 100))`` list calls for ``s`` subscriptions.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from sqlalchemy.orm import Session

from connector.billing.client import StripeGateway
from connector.config import Config
from connector.reports.live import (
    SALESFORCE_FIELDS,
    SALESFORCE_OBJECT,
    LiveCopies,
    SalesforceCopy,
    StripeCopy,
    live_differences,
    salesforce_ids,
)
from connector.reports.spec import Row
from connector.salesforce.client import SalesforceClient
from connector.salesforce.reader import read_by_ids
from connector.secrets import Secrets
from connector.sync.wiring import build_salesforce, build_stripe


@dataclass(frozen=True)
class LiveRead:
    """What was read and what it cost."""

    copies: LiveCopies
    salesforce_calls: int
    stripe_calls: int

    def summary(self) -> str:
        """One line for stderr: the records read and the calls they took."""
        return (f"reconciliation --live: read {len(self.copies.salesforce)} {SALESFORCE_OBJECT}"
                f" in {_calls(self.salesforce_calls, 'Salesforce')} and "
                f"{len(self.copies.stripe)} Stripe subscriptions in "
                f"{_calls(self.stripe_calls, 'Stripe')}")


def _calls(count: int, system: str) -> str:
    return f"{count} {system} call{'' if count == 1 else 's'}"


def read_live(session: Session, salesforce: SalesforceClient,
              stripe: StripeGateway) -> LiveRead:
    """Read the ledger's ``Subscription__c`` from Salesforce and every Stripe subscription."""
    ids = salesforce_ids(session)
    before = salesforce.meter.total_calls
    records = [SalesforceCopy.of(record) for record in read_by_ids(
        salesforce, SALESFORCE_OBJECT, SALESFORCE_FIELDS, ids)]
    salesforce_calls = salesforce.meter.total_calls - before
    before = stripe.transport.total_calls
    subscriptions = [StripeCopy.of(obj) for obj in stripe.all_subscriptions()]
    copies = LiveCopies({copy.id: copy for copy in records},
                        {copy.id: copy for copy in subscriptions})
    return LiveRead(copies, salesforce_calls, stripe.transport.total_calls - before)


def live_reconciliation(config: Config, session: Session) -> list[Row]:
    """The ``--live`` rows for ``config``'s systems (their secrets from the environment);
    prints what it read and the calls it took on stderr.

    Raises:
        ConfigError: a secret is missing or the config cannot reach a system.
        ConnectorError: a system refused (authentication, the API budget spent).
    """
    secrets = Secrets()
    read = read_live(session, build_salesforce(config, secrets), build_stripe(config, secrets))
    print(read.summary(), file=sys.stderr)
    return live_differences(session, read.copies)
