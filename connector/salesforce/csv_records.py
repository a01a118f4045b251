"""Bulk API 2.0 CSV rows turned into records shaped like the REST API's JSON.

Bulk results are text: every value a string, ``""`` for null, parent fields as dotted column
names (``Account.Name``), datetimes ending in ``Z``. The REST API answers typed JSON with
nested parents. The steps read both the same way, so each column is converted with the type
its field has in the org's describe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Describe = Callable[[str], Mapping[str, Any]]

NUMBER_TYPES = frozenset({"double", "currency", "percent"})
INTEGER_TYPES = frozenset({"int", "long"})


@dataclass(frozen=True)
class Column:
    """One CSV column: its dotted path and the describe type of the field it holds."""

    path: tuple[str, ...]
    type: str


class RecordShape:
    """Converts CSV rows of one query into REST-shaped records.

    Args:
        sobject: the queried object.
        columns: the CSV header (``Id``, ``Account.Name``, ...).
        describe: returns an object's describe (cached by the caller).
    """

    def __init__(self, sobject: str, columns: Sequence[str], describe: Describe) -> None:
        self._columns = [Column(tuple(c.split(".")), _type_of(sobject, c, describe))
                         for c in columns]

    def record(self, values: Sequence[str]) -> dict[str, Any]:
        """The record for one CSV row (values in header order)."""
        record: dict[str, Any] = {}
        for column, text in zip(self._columns, values, strict=True):
            _put(record, column.path, convert(column.type, text))
        return _drop_empty_parents(record)


def convert(field_type: str, text: str) -> Any:
    """One CSV value as the REST API would give it for a field of ``field_type``."""
    if text == "":
        return None
    if field_type == "boolean":
        return text.lower() == "true"
    if field_type in INTEGER_TYPES:
        return int(text)
    if field_type in NUMBER_TYPES:
        return float(text)
    if field_type == "datetime" and text.endswith("Z"):
        return text[:-1] + "+0000"
    return text


def _type_of(sobject: str, column: str, describe: Describe) -> str:
    *parents, name = column.split(".")
    current = sobject
    for relationship in parents:
        current = _parent_object(describe(current), relationship) or ""
        if not current:
            return "string"
    for field in describe(current).get("fields", ()):
        if str(field["name"]).lower() == name.lower():
            return str(field["type"])
    return "string"


def _parent_object(described: Mapping[str, Any], relationship: str) -> str | None:
    for field in described.get("fields", ()):
        if str(field.get("relationshipName") or "").lower() == relationship.lower():
            targets = field.get("referenceTo") or []
            return str(targets[0]) if targets else None
    return None


def _put(record: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = record
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


def _drop_empty_parents(record: dict[str, Any]) -> dict[str, Any]:
    """A lookup that is null comes back from REST as ``"Account": null``, not a dict of nulls."""
    for key, value in record.items():
        if isinstance(value, dict):
            cleaned = _drop_empty_parents(value)
            record[key] = cleaned if any(v is not None for v in cleaned.values()) else None
    return record
