"""Upsert by external id, shared by the single-record and the collection endpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crm_emulators.salesforce import errors, values
from crm_emulators.salesforce.errors import ApiError
from crm_emulators.salesforce.objects import FieldSpec, ObjectSpec
from crm_emulators.salesforce.record_store import Record, Store


@dataclass(frozen=True)
class Upserted:
    """The outcome of one upsert: the record's id and whether it was created."""

    id: str
    created: bool


class MultipleMatchesError(Exception):
    """The external id matched several records; nothing was written."""

    def __init__(self, field: str, ids: list[str]) -> None:
        super().__init__(field, ids)
        self.field = field
        self.ids = ids

    def record_error(self) -> dict[str, Any]:
        """The error as sObject Collections report it for the record."""
        return {"statusCode": "DUPLICATE_EXTERNAL_ID",
                "message": f"{self.field}: more than one record found for external id field: "
                           f"[{', '.join(self.ids)}]", "fields": []}


def key_field(spec: ObjectSpec, name: str) -> FieldSpec:
    """The external id field ``name`` of ``spec`` (or ``Id``).

    Raises:
        ApiError: NOT_FOUND for an unknown field, INVALID_FIELD for one that is not an
            external id.
    """
    field = spec.field(name)
    if field is None:
        raise errors.no_such_external_id_field(name)
    if not (field.external_id or field.name == "Id"):
        raise ApiError(400, "INVALID_FIELD", f"Field name provided, {field.name} is not an "
                       f"External ID or indexed field for {spec.name}")
    return field


def matches(store: Store, spec: ObjectSpec, field: FieldSpec, key: Any) -> list[Record]:
    """Live records whose ``field`` holds ``key`` (text compares as Salesforce does for
    case-insensitive external ids: exactly, since the shipped ones are case sensitive)."""
    if field.name == "Id":
        record = store.get(spec.name, str(key))
        return [record] if record is not None and not record["IsDeleted"] else []
    typed = values.deserialize(field, key)
    return store.find_by(spec.name, field.name, typed)


def upsert(store: Store, spec: ObjectSpec, field: FieldSpec, key: Any, *,
           fields: Mapping[str, Any], user_id: str) -> Upserted:
    """Update the record whose ``field`` is ``key`` with ``fields``, or create one with
    ``field`` set to ``key``. Raises MultipleMatchesError or ApiError."""
    if key in (None, ""):
        raise ApiError(400, "MISSING_ARGUMENT", f"{field.name} not specified", (field.name,))
    changes = {k: v for k, v in fields.items()
               if k != "attributes" and k.lower() != field.name.lower()}
    with store.lock:
        found = matches(store, spec, field, key)
        if len(found) > 1:
            raise MultipleMatchesError(field.name, [r["Id"] for r in found])
        if found:
            return Upserted(store.update(spec.name, found[0]["Id"], changes, user_id)["Id"],
                            created=False)
        if field.name == "Id":
            raise errors.no_such_resource()
        created = store.insert(spec.name, {**changes, field.name: key}, user_id)
        return Upserted(created["Id"], created=True)


def repeated_keys(values: Iterable[object]) -> set[str]:
    """The external id values named more than once in one upsert request (compared as
    Salesforce compares them: case-insensitively, blanks never)."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for value in values:
        if value in (None, ""):
            continue
        key = str(value).lower()
        (repeated if key in seen else seen).add(key)
    return repeated
