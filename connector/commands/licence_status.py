"""The ``licences`` section of ``status``: tracked or not (and why), counts, latest facts.

Until notifications exist, the licence facts (changes and discrepancies) show here and in
``crm-connector customer ACCOUNT``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.commands.output import display
from connector.ledger import daemon_state
from connector.ledger.licences import AccountSummary, Licence, LicenceFact
from connector.ledger.models import Account
from connector.workflows.licence_facts import fact_of

LATEST_FACTS = 5


def licence_section(session: Session,
                    state: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The JSON section and the lines ``status`` prints about licences."""
    tracking = state.get(daemon_state.LICENCES)
    licences = session.scalar(select(func.count()).select_from(Licence)
                              .where(Licence.deleted_at.is_(None))) or 0
    summaries = list(session.scalars(select(AccountSummary)))
    open_ = [s for s in summaries if s.discrepancies]
    facts = list(session.execute(select(LicenceFact, Account.name)
                                 .join(Account, Account.id == LicenceFact.account_id)
                                 .order_by(LicenceFact.id.desc()).limit(LATEST_FACTS)))
    section = {"tracking": tracking, "licences": licences, "accounts": len(summaries),
               "open_discrepancies": len(open_),
               "latest_facts": [{"kind": f.kind, "event": f.event, "account": name,
                                 "payload": f.payload, "at": f.occurred_at}
                                for f, name in facts]}
    return section, _lines(tracking, licences, len(summaries), len(open_), facts)


def _lines(tracking: dict[str, Any] | None, licences: int, accounts: int, open_: int,
           facts: list[Any]) -> list[str]:
    if tracking is None:
        head = "licences:      no sync has looked for the licence object yet"
    elif not tracking["tracked"]:
        head = "licences:      NOT TRACKED: " + "; ".join(tracking["reasons"])
    else:
        head = (f"licences:      tracked from {tracking['object']}: {licences} licences, "
                f"{accounts} accounts summarised, {open_} open discrepanc"
                f"{'y' if open_ == 1 else 'ies'}")
    lines = [head]
    for problem in (tracking or {}).get("write_back", []):
        lines.append(f"  not written to Account: {problem}")
    for fact, name in facts:
        lines.append(f"  {display(fact.occurred_at)}  {name}: {fact_of(fact).summary}")
    return lines
