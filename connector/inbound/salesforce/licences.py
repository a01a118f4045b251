"""Licences → ledger: the licence object read like any polled stream.

The object and its fields come from ``license.toml`` (``sfLma__License__c`` by default);
describe decides whether the org has it. Records changed since the ``SystemModstamp``
cursor are read (one query when nothing changed; Bulk API above ``bulk_threshold``), each
converted to :class:`LicenceValues` and applied by difference, journaled as ``licence``.
A licence whose account the ledger does not know, whose seat count is missing or negative
(other than -1, a site licence), or whose status is not one ``license.toml`` maps is a dead
letter with the reason; the rest of the batch goes on. The accounts touched are returned
so the summary step recomputes only them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.errors import ValidationRejectedError
from connector.ledger.journal import diff
from connector.ledger.licences import Licence
from connector.ledger.mirrors import salesforce_json
from connector.ledger.models import Account, ChangeKind, System, new_ledger_id
from connector.ledger.unit_of_work import UnitOfWork
from connector.mapping.licence_object import SITE_LICENCE, LicenceMapping
from connector.salesforce.bulk import BulkQueries
from connector.salesforce.client import SalesforceClient
from connector.salesforce.org import OrgSchema
from connector.salesforce.reader import Cursor, Stream, parse_modstamp, read_batches

ENTITY = "licence"


@dataclass
class LicencesApplied:
    """What one run of the step did; ``accounts`` are the ledger accounts touched."""

    read: int = 0
    changed: int = 0
    dead_letters: int = 0
    accounts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LicenceValues:
    """One licence in ledger terms (status in the summary's vocabulary)."""

    account_id: str
    status: str
    expiration: date | None
    seats: int
    used_seats: int
    active_users: int | None

    def as_dict(self) -> dict[str, Any]:
        """Field name → value, for diffs and the journal."""
        return asdict(self)


class LicenceReads:
    """The licence object → ledger step."""

    def __init__(self, client: SalesforceClient, mapping: LicenceMapping,
                 org: OrgSchema | None = None, bulk: BulkQueries | None = None) -> None:
        self._client = client
        self._mapping = mapping
        self._org = org
        self._bulk = bulk
        self.stream = Stream(mapping.sobject, mapping.select())

    def problems(self) -> list[str]:
        """Why licences cannot be read in this org (empty: they can), one line each."""
        sobject, file = self._mapping.sobject, self._mapping.file
        if self._org is None:
            return []
        if not self._org.has_object(sobject):
            package = " (the License Management App is not installed)" \
                if sobject.startswith("sfLma__") else ""
            return [f"{file}: license.object: the org has no {sobject}{package}, or the "
                    "integration user cannot read it"]
        return [f"{file}: fields.{role}: {sobject} has no field {name!r}"
                for role, name in self._mapping.fields.items()
                if not self._org.has_path(sobject, name)]

    def batches(self, cursor: Cursor,
                signpost: datetime) -> Iterator[tuple[list[dict[str, Any]], Cursor]]:
        """The records changed since ``cursor``, in chunks with the cursor covering each."""
        for batch in read_batches(self._client, self.stream, cursor, signpost, bulk=self._bulk):
            yield batch.records, batch.cursor

    def apply(self, uow: UnitOfWork, records: Iterable[dict[str, Any]]) -> LicencesApplied:
        """Apply the records to the ledger; dead-letter the ones that cannot be applied."""
        result = LicencesApplied()
        records = list(records)
        uow.prefetch(System.SALESFORCE, self._mapping.sobject, Licence,
                     [str(r["Id"]) for r in records])
        for record in records:
            result.read += 1
            try:
                self._apply_one(uow, record, result)
            except ValidationRejectedError as exc:
                uow.dead_letter(f"salesforce.{self._mapping.sobject}", str(record["Id"]),
                                str(exc), exc.code, salesforce_json(record))
                result.dead_letters += 1
        return result

    def _apply_one(self, uow: UnitOfWork, record: Mapping[str, Any],
                   result: LicencesApplied) -> None:
        values = self.values(uow, record)
        sobject = self._mapping.sobject
        linked = uow.entity_for(System.SALESFORCE, sobject, str(record["Id"]))
        licence = uow.get(Licence, linked) if linked else None
        before = _values_of(licence) if licence is not None else {}
        changes = diff(before, values.as_dict())
        if not changes:
            return
        if licence is None:
            licence = uow.add(Licence(id=new_ledger_id("lic"), source_object=sobject,
                                      created_at=uow.now, updated_at=uow.now,
                                      **values.as_dict()))
            uow.link(ENTITY, licence.id, System.SALESFORCE, sobject, str(record["Id"]))
        else:
            result.accounts.append(licence.account_id)  # a licence may move to another account
            for name, value in values.as_dict().items():
                setattr(licence, name, value)
            licence.updated_at = uow.now
        kind = ChangeKind.CREATE if not before else ChangeKind.UPDATE
        uow.record(ENTITY, licence.id, "salesforce", kind, changes,
                   source_ts=parse_modstamp(record["SystemModstamp"]))
        result.changed += 1
        result.accounts.append(values.account_id)

    def values(self, uow: UnitOfWork, record: Mapping[str, Any]) -> LicenceValues:
        """``record`` in ledger terms.

        Raises:
            ValidationRejectedError: the account is unknown, a seat count is missing or
                negative, or the status is not one ``license.toml`` maps.
        """
        mapping, sobject = self._mapping, self._mapping.sobject
        account = mapping.value(record, "account")
        account_id = uow.entity_for(System.SALESFORCE, "Account", str(account)) \
            if account else None
        if account_id is None or uow.get(Account, account_id) is None:
            raise ValidationRejectedError(
                f"{sobject} {record['Id']}: account {account!r} is not known to the ledger "
                "(it has no opportunity or subscription the daemon has read)",
                code="UNKNOWN_ACCOUNT")
        raw_status = mapping.value(record, "status")
        status = mapping.summary_status(raw_status)
        if status is None:
            raise ValidationRejectedError(
                f"{sobject} {record['Id']}: status {raw_status!r} is not one {mapping.file} "
                f"maps ({', '.join(mapping.statuses)})", code="UNKNOWN_LICENCE_STATUS")
        return LicenceValues(
            account_id, status, _date(mapping.value(record, "expiration")),
            _count(record, mapping, "seats", site=True), _count(record, mapping, "used_seats"),
            _optional_count(record, mapping, "active_users"))


def _values_of(licence: Licence) -> dict[str, Any]:
    return {name: getattr(licence, name) for name in LicenceValues.__dataclass_fields__}


def _count(record: Mapping[str, Any], mapping: LicenceMapping, role: str, *,
           site: bool = False) -> int:
    value = mapping.value(record, role)
    name = mapping.fields[role]
    number = _whole(value)
    allowed = SITE_LICENCE if site else 0
    if number is None or number < allowed:
        shown = "missing" if value is None else repr(value)
        hint = " (-1 is a site licence)" if site else ""
        raise ValidationRejectedError(
            f"{mapping.sobject} {record['Id']}: {name} is {shown}; it must be a whole number "
            f"of seats, 0 or more{hint}", code="BAD_SEAT_COUNT")
    return number


def _optional_count(record: Mapping[str, Any], mapping: LicenceMapping, role: str) -> int | None:
    if role not in mapping.fields or mapping.value(record, role) is None:
        return None
    return _count(record, mapping, role)


def _whole(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return int(number) if number == number.to_integral_value() else None


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
