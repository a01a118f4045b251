"""The emulated org's records, validated and stamped the way Salesforce does it.

Records are plain dicts of JSON-ready values, keyed by 18-character ids. Every write goes
through :meth:`Store.insert` / :meth:`Store.update`, which check fields, types, required and
unique values and restricted picklists, and answer with Salesforce's error codes. Deletes are
soft (``IsDeleted``), so ``queryAll`` and ``getDeleted`` still see them.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from connector.clock import Clock
from connector.sandbox.salesforce.schema import FieldSpec, ObjectSpec

Record = dict[str, Any]
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_NUMERIC = {"double", "currency", "percent", "int"}


@dataclass(frozen=True)
class ApiError(Exception):
    """A Salesforce error: HTTP status, ``errorCode``, message and the fields involved."""

    status: int
    code: str
    message: str
    fields: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        """The error as one element of Salesforce's error array."""
        return {"message": self.message, "errorCode": self.code, "fields": list(self.fields)}


def to_18(id15: str) -> str:
    """The case-safe 18-character form of a 15-character id."""
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, char in enumerate(id15[chunk * 5:chunk * 5 + 5])
                   if "A" <= char <= "Z")
        suffix += _CHECKSUM[bits]
    return id15 + suffix


def format_datetime(moment: datetime) -> str:
    """``2026-11-22T10:00:00.000+0000``: how the REST API writes datetimes."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class Store:
    """Records of every object, with the schema and a clock.

    Args:
        schema: the objects of the org.
        clock: stamps ``CreatedDate``/``SystemModstamp``, truncated to whole seconds.
    """

    def __init__(self, schema: Mapping[str, ObjectSpec], clock: Clock) -> None:
        self.schema = schema
        self._clock = clock
        self._records: dict[str, dict[str, Record]] = {name: {} for name in schema}
        self._counter = itertools.count(1)
        self._names = itertools.count(1)
        self.lock = threading.RLock()

    # -- reading ---------------------------------------------------------------------------

    def spec(self, sobject: str) -> ObjectSpec:
        """The object called ``sobject`` (case-insensitive), or NOT_FOUND."""
        for name, spec in self.schema.items():
            if name.lower() == sobject.lower():
                return spec
        raise ApiError(404, "NOT_FOUND", f"The requested resource does not exist: {sobject}")

    def records(self, sobject: str) -> Iterable[Record]:
        """Every record of ``sobject``, deleted ones included, in insertion order."""
        with self.lock:
            return list(self._records[self.spec(sobject).name].values())

    def get(self, sobject: str, record_id: str) -> Record | None:
        """The record with ``record_id`` (15 or 18 characters), deleted or not."""
        with self.lock:
            table = self._records.get(self.spec(sobject).name, {})
            if len(record_id) == 15:
                record_id = to_18(record_id)
            return table.get(record_id)

    def live(self, sobject: str, record_id: str) -> Record:
        """The undeleted record with ``record_id``, or Salesforce's NOT_FOUND / MALFORMED_ID."""
        spec = self.spec(sobject)
        if len(record_id) not in (15, 18) or not record_id.isalnum():
            raise ApiError(400, "MALFORMED_ID",
                           f"{spec.name} ID: id value of incorrect type: {record_id}", ("Id",))
        record = self.get(spec.name, record_id)
        if record is None or record["IsDeleted"]:
            raise ApiError(404, "NOT_FOUND", "Provided external ID field does not exist or is "
                           "not accessible: " + record_id if record is None else
                           "entity is deleted")
        return record

    def find_by(self, sobject: str, field_name: str, value: Any) -> list[Record]:
        """Live records whose ``field_name`` equals ``value``."""
        return [r for r in self.records(sobject)
                if not r["IsDeleted"] and r.get(field_name) == value]

    # -- writing ---------------------------------------------------------------------------

    def insert(self, sobject: str, values: Mapping[str, Any], user_id: str | None, *,
               trusted: bool = False) -> Record:
        """Create a record; raise ApiError (nothing stored) when it is invalid.

        ``trusted`` (the emulator's own setup, e.g. users) may set read-only fields.
        """
        with self.lock:
            spec = self.spec(sobject)
            clean = self._check(spec, values, creating=True, trusted=trusted)
            now = format_datetime(self._now())
            record: Record = {name: field.default for name, field in spec.fields.items()}
            record.update(clean)
            record_id = to_18(f"{spec.key_prefix}{next(self._counter):012d}")
            record.update({
                "Id": record_id, "IsDeleted": False, "CreatedDate": now,
                "LastModifiedDate": now, "SystemModstamp": now, "CreatedById": user_id,
                "LastModifiedById": user_id,
            })
            if "OwnerId" in spec.fields and not record.get("OwnerId"):
                record["OwnerId"] = user_id
            if spec.auto_name:
                width = spec.auto_name.count("0")
                record["Name"] = spec.auto_name.split("{")[0] + f"{next(self._names):0{width}d}"
            self._derive(spec.name, record)
            self._require(spec, record)
            self._unique(spec, record)
            self._records[spec.name][record_id] = record
            return record

    def update(self, sobject: str, record_id: str, values: Mapping[str, Any],
               user_id: str | None) -> Record:
        """Change fields of a record; raise ApiError (nothing changed) when invalid."""
        with self.lock:
            spec = self.spec(sobject)
            current = self.live(spec.name, record_id)
            clean = self._check(spec, values, creating=False)
            merged = {**current, **clean}
            self._derive(spec.name, merged)
            self._require(spec, merged)
            self._unique(spec, merged)
            now = format_datetime(self._now())
            merged.update({"LastModifiedDate": now, "SystemModstamp": now,
                           "LastModifiedById": user_id})
            current.clear()
            current.update(merged)
            return current

    def delete(self, sobject: str, record_id: str) -> Record:
        """Soft-delete a record (it stays visible to queryAll and getDeleted)."""
        with self.lock:
            record = self.live(sobject, record_id)
            now = format_datetime(self._now())
            record.update({"IsDeleted": True, "SystemModstamp": now, "LastModifiedDate": now})
            return record

    def _now(self) -> datetime:
        return self._clock.now().replace(microsecond=0)

    def _check(self, spec: ObjectSpec, values: Mapping[str, Any], creating: bool,
               trusted: bool = False) -> Record:
        clean: Record = {}
        for name, value in values.items():
            if name == "attributes":
                continue
            field = spec.field(name)
            if field is None:
                raise ApiError(400, "INVALID_FIELD",
                               f"No such column '{name}' on sobject of type {spec.name}", (name,))
            allowed = field.info.createable if creating else field.info.updateable
            if not (allowed or trusted):
                raise ApiError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                               f"Unable to create/update fields: {field.name}. Please check the "
                               "security settings of this field and verify that it is "
                               "read/write for your profile or permission set.", (field.name,))
            clean[field.name] = self._value(spec, field, value)
        return clean

    def _value(self, spec: ObjectSpec, field: FieldSpec, value: Any) -> Any:
        if value is None:
            return None
        kind = field.info.type
        wrong = ApiError(400, "INVALID_TYPE_ON_FIELD_IN_RECORD",
                         f"{field.name}: value not of required type: {value}", (field.name,))
        if kind in _NUMERIC:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise wrong
            try:
                number = float(value)
            except ValueError:
                raise wrong from None
            return int(number) if kind == "int" else number
        if kind == "boolean":
            if not isinstance(value, bool):
                raise wrong
            return value
        if not isinstance(value, str):
            raise wrong
        if kind == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                raise wrong from None
        elif kind == "datetime":
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise wrong from None
            return format_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        elif kind == "reference":
            return self._reference(spec, field, value)
        elif kind == "picklist" and field.restricted and value not in field.info.picklist_values:
            raise ApiError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                           f"{field.info.name.removesuffix('__c').replace('_', ' ')}: bad value "
                           f"for restricted picklist field: {value}", (field.name,))
        if field.length is not None and len(value) > field.length:
            raise ApiError(400, "STRING_TOO_LONG",
                           f"{field.name}: data value too large: {value[:40]} "
                           f"(max length={field.length})", (field.name,))
        return value

    def _reference(self, spec: ObjectSpec, field: FieldSpec, value: str) -> str:
        if len(value) not in (15, 18) or not value.isalnum():
            raise ApiError(400, "MALFORMED_ID",
                           f"{field.name}: id value of incorrect type: {value}", (field.name,))
        for target in field.info.reference_to:
            if target in self.schema and self.get(target, value) is not None:
                return to_18(value[:15])
        raise ApiError(400, "INVALID_CROSS_REFERENCE_KEY",
                       "invalid cross reference id", (field.name,))

    def _require(self, spec: ObjectSpec, record: Record) -> None:
        missing = [name for name, field in spec.fields.items()
                   if field.required and record.get(name) in (None, "")]
        if missing:
            raise ApiError(400, "REQUIRED_FIELD_MISSING",
                           f"Required fields are missing: [{', '.join(missing)}]",
                           tuple(missing))

    def _unique(self, spec: ObjectSpec, record: Record) -> None:
        for name, field in spec.fields.items():
            value = record.get(name)
            if not field.unique or value in (None, ""):
                continue
            for other in self._records[spec.name].values():
                if other["Id"] != record["Id"] and not other["IsDeleted"] \
                        and other.get(name) == value:
                    raise ApiError(400, "DUPLICATE_VALUE",
                                   f"duplicate value found: {name} duplicates value on record "
                                   f"with id: {other['Id']}", (name,))

    def _derive(self, sobject: str, record: Record) -> None:
        """Fields Salesforce computes: stage flags, line totals, product details."""
        if sobject == "Opportunity":
            stage = str(record.get("StageName") or "")
            record["IsWon"] = stage == "Closed Won"
            record["IsClosed"] = stage in ("Closed Won", "Closed Lost")
        elif sobject == "OpportunityLineItem":
            entry = self.get("PricebookEntry", record.get("PricebookEntryId") or "") \
                if record.get("PricebookEntryId") else None
            if entry is not None:
                record["Product2Id"] = record.get("Product2Id") or entry["Product2Id"]
                record["ListPrice"] = entry.get("UnitPrice")
            product = self.get("Product2", record["Product2Id"]) \
                if record.get("Product2Id") else None
            if product is not None:
                record["Name"] = product.get("Name")
                record["ProductCode"] = product.get("ProductCode")
            if record.get("Quantity") is not None and record.get("UnitPrice") is not None:
                record["TotalPrice"] = float(record["Quantity"]) * float(record["UnitPrice"])
        elif sobject == "PricebookEntry" and record.get("Product2Id"):
            product = self.get("Product2", record["Product2Id"])
            if product is not None:
                record["Name"] = product.get("Name")
                record["ProductCode"] = product.get("ProductCode")
