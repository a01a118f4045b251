"""Fields and objects as the sObject describe call reports them, reduced to what the SOQL
engine and the record store check.

Salesforce's describe gives each field a ``type`` (``string``, ``boolean``, ``currency``,
``reference``...); SOQL compares values by the family the type belongs to, a :data:`Kind`:
``currency``, ``double``, ``int`` and ``percent`` are all numbers, ``picklist``, ``id`` or
``email`` all text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

Kind = Literal["text", "number", "bool", "date", "datetime", "any"]

_KIND_OF_TYPE: Mapping[str, Kind] = {
    "boolean": "bool", "date": "date", "datetime": "datetime",
    **dict.fromkeys(("int", "double", "currency", "percent", "long"), "number"),
}


def kind_of_type(describe_type: str) -> Kind:
    """The family of a describe type; every type not listed compares as text."""
    return _KIND_OF_TYPE.get(describe_type, "text")


def kind_of_literal(value: object) -> Kind:
    """The family of a parsed SOQL literal (``true``, ``42``, ``2026-01-31``, ``'x'``)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, datetime):  # before date: a datetime is a date too
        return "datetime"
    if isinstance(value, date):
        return "date"
    return "text" if isinstance(value, str) else "any"


@dataclass(frozen=True)
class FieldInfo:
    """One field of an sObject.

    Attributes:
        name: API name (``AccountId``, ``Status__c``).
        type: describe type.
        reference_to: for a reference, the objects it may point at (the first is followed).
        relationship_name: for a reference, the name a query follows it by (``Account``,
            ``Product__r``).
        picklist_values: active picklist values; empty when not checked.
        updateable: may be changed on an existing record.
        createable: may be set when a record is created.
    """

    name: str
    type: str
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist_values: tuple[str, ...] = ()
    updateable: bool = True
    createable: bool = True

    @property
    def kind(self) -> Kind:
        """The family this field's values compare in."""
        return kind_of_type(self.type)


@dataclass(frozen=True)
class ObjectInfo:
    """One sObject and its fields by API name."""

    name: str
    fields: Mapping[str, FieldInfo]

