"""The emulated org's records, validated and stamped the way Salesforce does it.

Records are plain dicts of JSON-ready values keyed by 18-character ids. Every write goes
through :meth:`Store.insert`, :meth:`Store.update` or :meth:`Store.delete`, which check the
fields, types, references, required and unique values and restricted picklists, and refuse
with Salesforce's error codes (nothing is stored when a write is refused). Deletes are soft
(``IsDeleted``), so ``queryAll`` and ``getDeleted`` still see the record. Timestamps come from
the clock truncated to whole seconds, so several writes can share a ``SystemModstamp``.

The store is the SOQL engine's :class:`~crm_emulators.salesforce.soql.RecordSource`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from crm_emulators.clock import Clock
from crm_emulators.salesforce import errors, ids, values
from crm_emulators.salesforce.derived import auto_number, derive, roll_up_opportunity
from crm_emulators.salesforce.objects import ObjectSpec, Schema

Record = dict[str, Any]
Snapshot = dict[str, dict[str, Record]]


class Store:
    """Records of every object of ``schema``; thread-safe (hold :attr:`lock` to read several
    records consistently or to write several atomically).

    Args:
        schema: the objects of the org.
        clock: stamps ``CreatedDate``/``LastModifiedDate``/``SystemModstamp``.
        allocator: hands out record ids.
    """

    def __init__(self, schema: Schema, clock: Clock, allocator: ids.IdAllocator) -> None:
        self.schema = schema
        self._clock = clock
        self._ids = allocator
        self._tables: dict[str, dict[str, Record]] = {name: {} for name in schema.objects}
        self._numbers = {name: itertools.count(1) for name in schema.objects}
        self._keys = _KeyIndex(schema)
        self.lock = threading.RLock()

    # -- reading ---------------------------------------------------------------------------

    def spec(self, sobject: str) -> ObjectSpec:
        """The object called ``sobject`` (any case). Raises ApiError NOT_FOUND."""
        spec = self.schema.find(sobject)
        if spec is None:
            raise errors.no_such_sobject()
        return spec

    def records(self, sobject: str) -> Iterable[Record]:
        """Every record of ``sobject``, deleted ones included, in creation order."""
        with self.lock:
            return list(self._tables[self.spec(sobject).name].values())

    def get(self, sobject: str, record_id: str) -> Record | None:
        """The record of ``sobject`` with ``record_id`` (either id form), deleted or not."""
        canonical = ids.canonical(record_id)
        spec = self.schema.find(sobject)
        if canonical is None or spec is None:
            return None
        with self.lock:
            return self._tables[spec.name].get(canonical)

    def locate(self, sobject: str, text: str) -> Record:
        """The live record a REST path names, or the error the REST API answers with.

        Raises:
            ApiError: NOT_FOUND (not an id, or no such record), MALFORMED_ID (an id of another
                object) or ENTITY_IS_DELETED.
        """
        spec = self.spec(sobject)
        canonical = ids.canonical(text)
        if canonical is None:
            raise errors.no_such_external_id_field(text)
        if ids.key_prefix(canonical) != spec.key_prefix:
            raise errors.id_of_wrong_object(spec.name, text)
        record = self.get(spec.name, canonical)
        if record is None:
            raise errors.no_such_resource()
        if record["IsDeleted"]:
            raise errors.entity_deleted()
        return record

    def find_by(self, sobject: str, field_name: str, value: Any) -> list[Record]:
        """Live records whose ``field_name`` equals ``value``, in creation order."""
        name = self.spec(sobject).name
        with self.lock:
            holders = self._keys.holders(name, field_name, value)
            rows = self._tables[name].values() if holders is None else self._in_order(name, holders)
            return [r for r in rows if not r["IsDeleted"] and r.get(field_name) == value]

    def _in_order(self, sobject: str, record_ids: set[str]) -> list[Record]:
        """The records of ``record_ids``, in creation order."""
        table = self._tables[sobject]
        if len(record_ids) <= 1:
            return [table[i] for i in record_ids]
        return [r for r in table.values() if r["Id"] in record_ids]

    def snapshot(self) -> Snapshot:
        """A copy of every record, for :meth:`restore` (all-or-none batches)."""
        with self.lock:
            return {name: {i: dict(r) for i, r in table.items()}
                    for name, table in self._tables.items()}

    def restore(self, snapshot: Snapshot) -> None:
        """Put back the records of an earlier :meth:`snapshot`."""
        with self.lock:
            self._tables = snapshot
            self._keys.rebuild(snapshot)

    # -- writing ---------------------------------------------------------------------------

    def deserialize(self, sobject: str, fields: Mapping[str, Any]) -> Record:
        """``fields`` read as the JSON deserializer would: known fields, typed values.

        Raises:
            ApiError: NOT_FOUND (object), INVALID_FIELD, JSON_PARSER_ERROR or
                INVALID_TYPE_ON_FIELD_IN_RECORD.
        """
        spec = self.spec(sobject)
        typed: Record = {}
        for name, value in fields.items():
            if name == "attributes":
                continue
            field = spec.field(name)
            if field is None:
                raise errors.invalid_field(spec.name, name)
            typed[field.name] = values.deserialize(field, value)
        return typed

    def insert(self, sobject: str, fields: Mapping[str, Any], user_id: str | None, *,
               trusted: bool = False) -> Record:
        """Create a record as ``user_id``; ``trusted`` (the emulator's own setup, e.g. users)
        may set read-only fields. Raises ApiError, storing nothing, when it is invalid."""
        with self.lock:
            spec = self._writable(sobject, "inserted", trusted)
            clean = self._checked(spec, fields, creating=True, trusted=trusted)
            now = self._now()
            record: Record = {name: field.default for name, field in spec.fields.items()}
            record.update(clean)
            record.update({
                "Id": self._ids.next(spec.key_prefix), "IsDeleted": False, "CreatedDate": now,
                "LastModifiedDate": now, "SystemModstamp": now, "CreatedById": user_id,
                "LastModifiedById": user_id})
            if "OwnerId" in spec.fields and not record.get("OwnerId"):
                record["OwnerId"] = user_id
            if spec.auto_name:
                record["Name"] = auto_number(spec.auto_name, next(self._numbers[spec.name]))
            self._finish(spec, record)
            self._tables[spec.name][record["Id"]] = record
            self._keys.add(spec.name, record)
            self._after_write(spec.name, record, user_id)
            return record

    def update(self, sobject: str, record_id: str, fields: Mapping[str, Any],
               user_id: str | None) -> Record:
        """Change fields of a live record as ``user_id``. Raises ApiError, changing nothing,
        when the record is missing or the change is invalid."""
        with self.lock:
            spec = self._writable(sobject, "updated")
            current = self.locate(spec.name, record_id)
            merged = {**current, **self._checked(spec, fields, creating=False)}
            self._finish(spec, merged)
            self._touch(merged, user_id)
            self._keys.move(spec.name, current, merged)
            current.clear()
            current.update(merged)
            self._after_write(spec.name, current, user_id)
            return current

    def delete(self, sobject: str, record_id: str, user_id: str | None) -> Record:
        """Soft-delete a live record (queryAll and getDeleted still see it)."""
        with self.lock:
            spec = self._writable(sobject, "deleted")
            record = self.locate(spec.name, record_id)
            record["IsDeleted"] = True
            self._touch(record, user_id)
            self._after_write(spec.name, record, user_id)
            return record

    def undelete(self, sobject: str, record_id: str, user_id: str | None) -> Record:
        """Restore a record from the recycle bin (its SystemModstamp moves)."""
        with self.lock:
            spec = self.spec(sobject)
            record = self.get(spec.name, record_id)
            if record is None or not record["IsDeleted"]:
                raise errors.no_such_resource()
            record["IsDeleted"] = False
            self._touch(record, user_id)
            return record

    # -- checks ----------------------------------------------------------------------------

    def _writable(self, sobject: str, verb: str, trusted: bool = False) -> ObjectSpec:
        spec = self.spec(sobject)
        if not (spec.writable or trusted):
            raise errors.not_allowed_on(spec.name, verb)
        return spec

    def _checked(self, spec: ObjectSpec, fields: Mapping[str, Any], *, creating: bool,
                 trusted: bool = False) -> Record:
        typed = self.deserialize(spec.name, fields)
        for name in typed:
            info = spec.fields[name].info
            if not (trusted or (info.createable if creating else info.updateable)):
                raise errors.not_writable(name)
        checked = {name: values.check(spec.fields[name], value) for name, value in typed.items()}
        for name, value in checked.items():
            if spec.fields[name].type == "reference" and value is not None:
                self._check_target(spec, name, value)
        return checked

    def _check_target(self, spec: ObjectSpec, name: str, value: str) -> None:
        field = spec.fields[name]
        targets = [self.schema.find(t) for t in field.info.reference_to]
        prefixes = {t.key_prefix: t.name for t in targets if t is not None}
        target = prefixes.get(ids.key_prefix(value))
        if target is None:
            raise errors.reference_of_wrong_type(field.label, name, value)
        found = self.get(target, value)
        if found is None or found["IsDeleted"]:
            raise errors.dangling_reference(name)

    def _finish(self, spec: ObjectSpec, record: Record) -> None:
        derive(spec.name, record, self.get, self.records)
        missing = [name for name, field in spec.fields.items()
                   if field.required and record.get(name) in (None, "")]
        if missing:
            raise errors.required_missing(missing)
        for name, field in spec.fields.items():
            value = record.get(name)
            if field.unique and value not in (None, ""):
                self._check_unique(spec, name, value, record["Id"])

    def _check_unique(self, spec: ObjectSpec, name: str, value: Any, own_id: str) -> None:
        for other in self._in_order(spec.name, self._keys.holders(spec.name, name, value) or set()):
            if other["Id"] != own_id and not other["IsDeleted"]:
                raise errors.duplicate_value(name, other["Id"])

    def _after_write(self, sobject: str, record: Record, user_id: str | None) -> None:
        """Roll a line item's change up to its opportunity, and keep one primary contact role
        per opportunity, as Salesforce does."""
        if sobject == "OpportunityContactRole" and record.get("IsPrimary"):
            self._demote_other_primaries(record, user_id)
        if sobject != "OpportunityLineItem":
            return
        opportunity = self.get("Opportunity", str(record.get("OpportunityId") or ""))
        if opportunity is None:
            return
        lines = [r for r in self._tables["OpportunityLineItem"].values()
                 if r.get("OpportunityId") == opportunity["Id"]]
        if roll_up_opportunity(opportunity, lines):
            self._touch(opportunity, user_id)

    def _demote_other_primaries(self, role: Record, user_id: str | None) -> None:
        """A role made primary makes its opportunity's other roles not primary."""
        for other in self._tables["OpportunityContactRole"].values():
            if (other["Id"] != role["Id"] and other.get("IsPrimary")
                    and other.get("OpportunityId") == role.get("OpportunityId")):
                other["IsPrimary"] = False
                self._touch(other, user_id)

    def _touch(self, record: Record, user_id: str | None) -> None:
        now = self._now()
        record.update({"LastModifiedDate": now, "SystemModstamp": now,
                       "LastModifiedById": user_id})

    def _now(self) -> str:
        moment: datetime = self._clock.now().replace(microsecond=0)
        return values.format_datetime(moment)


class _KeyIndex:
    """The ids of the records (deleted ones included) holding each value of every unique or
    external id field, so that unique checks and upserts by external id find records without
    scanning the object. Usernames are indexed in lower case: unique whatever their case."""

    def __init__(self, schema: Schema) -> None:
        self._fields = {name: tuple(f for f, spec in obj.fields.items()
                                    if spec.unique or spec.external_id)
                        for name, obj in schema.objects.items()}
        self._ids: dict[tuple[str, str], dict[Any, set[str]]] = {
            (name, f): {} for name, fields in self._fields.items() for f in fields}

    def holders(self, sobject: str, field: str, value: Any) -> set[str] | None:
        """Ids of the records whose ``field`` holds ``value``; None if ``field`` is not
        indexed."""
        index = self._ids.get((sobject, field))
        return None if index is None else index.get(_folded(field, value), set())

    def add(self, sobject: str, record: Record) -> None:
        """Index a new record."""
        for field in self._fields[sobject]:
            self._put(sobject, field, record.get(field), record["Id"])

    def move(self, sobject: str, before: Record, after: Record) -> None:
        """Re-index a record whose values change from ``before`` to ``after``."""
        for field in self._fields[sobject]:
            old, new = before.get(field), after.get(field)
            if old != new:
                self._ids[(sobject, field)].get(_folded(field, old), set()).discard(before["Id"])
                self._put(sobject, field, new, after["Id"])

    def rebuild(self, tables: Mapping[str, Mapping[str, Record]]) -> None:
        """Index ``tables`` afresh."""
        for index in self._ids.values():
            index.clear()
        for sobject, table in tables.items():
            for record in table.values():
                self.add(sobject, record)

    def _put(self, sobject: str, field: str, value: Any, record_id: str) -> None:
        if value not in (None, ""):
            self._ids[(sobject, field)].setdefault(_folded(field, value), set()).add(record_id)


def _folded(field: str, value: Any) -> Any:
    return value.lower() if isinstance(value, str) and field == "Username" else value
