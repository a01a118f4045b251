"""The plan as typed records, and its JSON form (a contract for scripts: see the README).

JSON shape (``version`` changes only when a key is removed or changes meaning)::

    {"version": 1, "generated_at": "2026-11-23T09:00:02+00:00", "mappings": "<sha256>",
     "summary": {"opportunities_read": 3, ...},
     "systems": {"salesforce": [CHANGE, ...], "stripe": [...], "email": [...], "ledger": [...]}}

    CHANGE = {"action": "create" | "update" | "leave" | "send" | "wait" | "error"
                        | "dead_letter" | <an outbox operation name>,
              "object": "Subscription__c", "key": "Ledger_Id__c=...", "note": "",
              "fields": [{"name": "Status__c", "old": "Potential", "new": "Active",
                          "changed": true}, ...]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.ledger.journal import jsonable

SYSTEMS = ("salesforce", "stripe", "email", "ledger")
JSON_VERSION = 1


@dataclass(frozen=True)
class FieldChange:
    """One field of a record: its value now and the value the sync would give it.

    ``old`` is None for a record that does not exist yet.
    """

    name: str
    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        """Whether the sync would change the value (``25`` and ``25.0`` are the same)."""
        return not same_value(self.old, self.new)

    def as_json(self) -> dict[str, Any]:
        """The field as the JSON plan shows it."""
        return {"name": self.name, "old": _plain(self.old), "new": _plain(self.new),
                "changed": self.changed}


@dataclass(frozen=True)
class Change:
    """What the sync would do to one record of one system.

    Attributes:
        system: ``salesforce``, ``stripe``, ``email`` or ``ledger``.
        action: ``create``, ``update``, ``leave`` (already as it would be), ``send``,
            ``wait`` (queued, but not due in the next sync), ``error`` (would fail; see
            ``note``), ``dead_letter``, or the name of another queued operation.
        object: the object or kind (``Subscription__c``, ``customer``, an email kind).
        key: which record (``Ledger_Id__c=…``, an idempotency key, a recipient).
        fields: the fields, old → new.
        note: anything else an admin should know.
    """

    system: str
    action: str
    object: str
    key: str
    fields: tuple[FieldChange, ...] = ()
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        """The change as the JSON plan shows it (without its system, which keys it)."""
        return {"action": self.action, "object": self.object, "key": self.key,
                "note": self.note, "fields": [f.as_json() for f in self.fields]}


@dataclass(frozen=True)
class Plan:
    """Everything the next sync would do.

    Attributes:
        generated_at: when the plan was read.
        mappings: the digest of the mapping set it used.
        changes: every change, in system order.
        summary: what the reading steps read (the counts a cycle logs).
    """

    generated_at: datetime
    mappings: str
    changes: tuple[Change, ...]
    summary: Mapping[str, Any] = field(default_factory=dict)

    def of(self, system: str) -> list[Change]:
        """The changes to ``system``."""
        return [change for change in self.changes if change.system == system]

    def as_json(self) -> dict[str, Any]:
        """The plan in the structure ``plan --format json`` prints."""
        return {"version": JSON_VERSION, "generated_at": self.generated_at.isoformat(),
                "mappings": self.mappings, "summary": _plain(dict(self.summary)),
                "systems": {system: [c.as_json() for c in self.of(system)]
                            for system in SYSTEMS}}


def fields_of(values: Mapping[str, Any], prefix: str = "") -> tuple[FieldChange, ...]:
    """New values (no old ones) as fields; nested parameters become dotted names."""
    found: list[FieldChange] = []
    for name, value in values.items():
        dotted = f"{prefix}{name}"
        if isinstance(value, Mapping):
            found += fields_of(value, f"{dotted}.")
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for index, item in enumerate(value):
                found += fields_of(item, f"{dotted}.{index}.")
        else:
            found.append(FieldChange(dotted, None, value))
    return tuple(found)


def same_value(old: Any, new: Any) -> bool:
    """Equal as Salesforce compares them: numbers by value, everything else by ``==``."""
    if isinstance(old, bool) or isinstance(new, bool):
        return bool(old == new and type(old) is type(new))
    if isinstance(old, int | float | Decimal) and isinstance(new, int | float | Decimal):
        return _decimal(old) == _decimal(new)
    return bool(old == new)


def _decimal(value: int | float | Decimal) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date | Decimal):
        return jsonable(value)
    return value
