"""Coarse value kinds, used to catch a transform or value that cannot fit its target.

Only clear mismatches are flagged (a date into a checkbox, a number into a date); text
fields accept anything, and ``any`` (unknown) is compatible with everything.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

Kind = Literal["text", "number", "bool", "date", "datetime", "any"]

KIND_NAMES: dict[Kind, str] = {
    "text": "text",
    "number": "a number",
    "bool": "true/false",
    "date": "a date",
    "datetime": "a datetime",
    "any": "any value",
}

_SALESFORCE_KINDS: dict[str, Kind] = {
    "boolean": "bool",
    "int": "number",
    "double": "number",
    "currency": "number",
    "percent": "number",
    "long": "number",
    "date": "date",
    "datetime": "datetime",
}

_INCOMPATIBLE: dict[Kind, frozenset[Kind]] = {
    "bool": frozenset({"number", "date", "datetime", "text"}),
    "number": frozenset({"bool", "date", "datetime", "text"}),
    "date": frozenset({"bool", "number", "datetime"}),
    "datetime": frozenset({"bool", "number", "date"}),
}


def salesforce_kind(field_type: str) -> Kind:
    """The kind of a Salesforce describe type (``currency`` → number, ``picklist`` → text)."""
    return _SALESFORCE_KINDS.get(field_type, "text")


def kind_of_value(value: Any) -> Kind:
    """The kind of a TOML value (a ``const`` or ``default``)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    return "text" if isinstance(value, str) else "any"


def compatible(produced: Kind, target: Kind) -> bool:
    """Whether a value of kind ``produced`` can be written to a target of kind ``target``."""
    if "any" in (produced, target):
        return True
    return produced not in _INCOMPATIBLE.get(target, frozenset())
