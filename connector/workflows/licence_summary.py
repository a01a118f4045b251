"""The customer summary per account: kept in the ledger, journaled, written to the Account.

Each cycle in which licences are tracked, the summary of every account with a licence (or
with a summary already) is computed from the ledger
(:func:`connector.ledger.summaries.summarise`) and compared with the stored one. Only a
changed summary is stored, journaled (entity ``account_summary``, so utilisation has a
history), and queued as one ``upsert:Account`` of the Account fields whose values changed
(by ``Id``; the dispatcher batches them with sObject Collections, 200 per call). A cycle in
which nothing changed writes nothing. Licence changes and discrepancies become facts
(:mod:`connector.workflows.licence_facts`), each recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from connector.ledger.journal import diff
from connector.ledger.licences import AccountSummary, Licence
from connector.ledger.models import ChangeKind, OutboxTarget, System
from connector.ledger.summaries import CustomerSummary, summarise
from connector.ledger.unit_of_work import Ledger, UnitOfWork
from connector.mapping.licence_object import ACCOUNT, ACCOUNT_ROLES, LicenceMapping
from connector.mapping.money import from_minor
from connector.salesforce.org import OrgSchema
from connector.workflows.licence_facts import LicenceChanged, LicenceDiscrepancy, record_fact

ENTITY = "account_summary"
WRITE = f"upsert:{ACCOUNT}"
KEY_FIELD = "Id"


@dataclass
class SummariesApplied:
    """What one run of the step did."""

    changed: int = 0
    writes: int = 0
    facts: int = 0


class LicenceSummaries:
    """Recompute the summaries, store the changed ones, queue their Account writes."""

    def __init__(self, mapping: LicenceMapping, org: OrgSchema | None = None) -> None:
        self._mapping = mapping
        self._org = org

    def problems(self) -> list[str]:
        """Why the summary cannot be written to the Account (it is still kept in the
        ledger), one line per missing field."""
        if self._org is None:
            return []
        return [f"{self._mapping.file}: account_fields.{role}: Account has no field "
                f"{self._mapping.account_fields.org(spec.shipped)!r}: deploy salesforce/ or "
                "name your org's field"
                for role, spec in ACCOUNT_ROLES.items()
                if not self._org.has_path(ACCOUNT, self._mapping.account_fields.org(spec.shipped))]

    def run(self, ledger: Ledger) -> SummariesApplied:
        """Bring every account's summary up to date, in one transaction."""
        result = SummariesApplied()
        writable = not self.problems()
        with ledger.unit() as uow:
            stored = {row.account_id: row for row in uow.session.scalars(select(AccountSummary))}
            with_licence = set(uow.session.scalars(select(Licence.account_id).distinct()))
            for summary in summarise(uow.session, with_licence | stored.keys(),
                                     self._mapping.seat_products).values():
                _apply(uow, summary, stored.get(summary.account_id), result, writable=writable)
        return result


def _apply(uow: UnitOfWork, summary: CustomerSummary, row: AccountSummary | None,
           result: SummariesApplied, *, writable: bool) -> None:
    values = summary.as_dict()
    before = dict(row.values) if row is not None else {}
    changes = diff(before, values)
    if not changes:
        return
    entry = uow.record_now(ENTITY, summary.account_id, "ledger",
                           ChangeKind.UPDATE if row else ChangeKind.CREATE, changes)
    stamp = entry.id if entry is not None else uow.now.isoformat()
    if row is None:
        row = AccountSummary(account_id=summary.account_id, values=values, discrepancies=[],
                             updated_at=uow.now)
        uow.session.add(row)
    previous = list(row.discrepancies)
    row.values, row.updated_at = values, uow.now
    row.utilisation, row.discrepancies = summary.utilisation, list(summary.discrepancies)
    result.changed += 1
    result.facts += _facts(uow, summary, before, previous, stamp)
    if writable:
        result.writes += _write(uow, summary, before, stamp)


def _facts(uow: UnitOfWork, summary: CustomerSummary, before: dict[str, Any],
           previous: list[str], stamp: object) -> int:
    account, recorded = summary.account_id, 0
    seats_before, seats_after = before.get("licence_seats"), summary.licence_seats
    if seats_before is not None and seats_after is not None and seats_before != seats_after:
        recorded += record_fact(uow, LicenceChanged(account, seats_before, seats_after,
                                                    summary.used_seats),
                                f"license_changes:{account}:{stamp}")
    utilisation = None if summary.utilisation is None else str(summary.utilisation)
    if summary.discrepancies and not previous:
        recorded += record_fact(uow, LicenceDiscrepancy(
            account, "opened", summary.discrepancies, utilisation),
            f"license_discrepancy:{account}:opened:{stamp}")
    elif previous and not summary.discrepancies:
        recorded += record_fact(uow, LicenceDiscrepancy(
            account, "resolved", tuple(previous), utilisation),
            f"license_discrepancy:{account}:resolved:{stamp}")
    return recorded


def _write(uow: UnitOfWork, summary: CustomerSummary, before: dict[str, Any],
           stamp: object) -> int:
    salesforce_id = uow.external_for("account", summary.account_id, System.SALESFORCE, ACCOUNT)
    if salesforce_id is None:
        return 0
    fields = account_fields(summary)
    if before:
        old = account_fields(CustomerSummary(**_typed(before)))
        fields = {name: value for name, value in fields.items() if old.get(name) != value}
    if not fields:
        return 0
    uow.enqueue(OutboxTarget.SALESFORCE, WRITE, f"salesforce:{ENTITY}:{summary.account_id}:"
                f"{stamp}", {KEY_FIELD: salesforce_id, **fields}, ("account", summary.account_id))
    return 1


def account_fields(summary: CustomerSummary) -> dict[str, Any]:
    """The Account fields (shipped names) for ``summary``, JSON-ready for the REST API."""
    names = {role: spec.shipped for role, spec in ACCOUNT_ROLES.items()}
    return {
        names["status"]: summary.licence_status,
        names["expiration"]: summary.expiration.isoformat() if summary.expiration else None,
        names["seats"]: summary.seats,
        names["used_seats"]: summary.used_seats,
        names["active_users"]: summary.active_users,
        names["utilisation"]: None if summary.utilisation is None else float(summary.utilisation),
        names["mrr"]: _money(summary.mrr_minor, summary.currency),
        names["arr"]: _money(summary.arr_minor, summary.currency),
    }


def _money(minor: int | None, currency: str | None) -> float | None:
    if minor is None or currency is None:
        return None
    return float(from_minor(minor, currency.upper()))


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    """Stored summary values (JSON) back in :class:`CustomerSummary` types."""
    typed = dict(values)
    typed["expiration"] = date.fromisoformat(values["expiration"]) \
        if values.get("expiration") else None
    typed["utilisation"] = Decimal(values["utilisation"]) \
        if values.get("utilisation") is not None else None
    typed["seats_by_product"] = tuple(tuple(pair) for pair in values.get("seats_by_product", ()))
    typed["discrepancies"] = tuple(values.get("discrepancies", ()))
    return typed
