"""The emulator's SOQL engine: parse a query against the schema, then run it over stored records.

Semantics follow Salesforce where the emulator can tell:

* text comparisons (``=``, ``IN``, ``LIKE``, ``<``...) ignore case; ids compare on their first
  15 characters, so a 15-character id finds an 18-character one;
* ``!=`` and ``NOT IN`` are true for a null field (null is a value in SOQL), every other
  operator is false for it; ``= null`` and ``!= null`` test for null;
* datetimes compare as instants whatever their offset; ``TODAY``, ``LAST_N_DAYS:n`` and the
  other date literals are whole UTC days taken from the clock;
* a path through an empty or dangling reference reads null, and selects as a null object;
* ``ORDER BY`` ignores case; nulls sort first ascending and last descending unless
  ``NULLS FIRST|LAST`` says otherwise; ties keep the store's order.

Not supported (rejected with ``MALFORMED_QUERY``): child subqueries, semi-joins, aggregate
functions other than ``COUNT()``, GROUP BY, HAVING, functions such as ``toLabel()``, object
aliases, ``WITH``, ``FOR`` and ``USING SCOPE``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Protocol

from crm_emulators.clock import Clock, WallClock
from crm_emulators.salesforce.model import FieldInfo
from crm_emulators.salesforce.soql_ast import (
    Condition,
    Constant,
    FieldPath,
    Hop,
    Logical,
    Membership,
    Negation,
    Operand,
    Ordering,
    Query,
    RelativeDate,
    SoqlError,
)
from crm_emulators.salesforce.soql_lexer import string_parts
from crm_emulators.salesforce.soql_parser import parse

__all__ = ["Query", "RecordSource", "SoqlError", "count", "execute", "parse"]

Record = Mapping[str, Any]

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


class RecordSource(Protocol):
    """Where :func:`execute` reads records; the emulator's record store implements it."""

    def records(self, sobject: str) -> Iterable[Record]:
        """Every stored record of ``sobject``, deleted ones included (``IsDeleted`` true).

        Values are JSON-ready: str ids, ``2026-11-22`` dates, ``2026-11-22T10:00:00.000+0000``
        datetimes, bools, numbers, None.
        """
        ...

    def get(self, sobject: str, record_id: str) -> Record | None:
        """The record of ``sobject`` with ``record_id``, or None; used to follow parents."""
        ...


def execute(
    query: Query, source: RecordSource, *, include_deleted: bool = False,
    api_version: str = "62.0", clock: Clock | None = None,
) -> list[dict[str, Any]]:
    """The records ``query`` selects, in the REST API's JSON shape.

    Each record is ``{"attributes": {"type", "url"}, <field>: <value>, ...}`` with only the
    selected fields in SELECT order; a parent path becomes a nested object with its own
    attributes (``{"Account": {"attributes": {...}, "Name": "Acme"}}``), or null when the
    reference is empty. ``COUNT()`` queries give ``[]``: use :func:`count`.

    Args:
        query: a query from :func:`parse`.
        source: the stored records.
        include_deleted: include deleted records, as ``queryAll`` does.
        api_version: the version put in each ``attributes.url``.
        clock: the time ``TODAY`` and the other date literals are taken from.
    """
    if query.is_count:
        return []
    run = _Run(source, clock)
    return [run.shape(record, query, api_version) for record in run.select(query, include_deleted)]


def count(
    query: Query, source: RecordSource, *, include_deleted: bool = False,
    clock: Clock | None = None,
) -> int:
    """How many records ``query`` selects (after LIMIT and OFFSET): ``SELECT COUNT()``'s answer."""
    return len(_Run(source, clock).select(query, include_deleted))


class _Run:
    """One execution: parents are fetched once each, "today" is read once, and each literal
    is normalized once (an ``IN`` list becomes a set), not once per record."""

    def __init__(self, source: RecordSource, clock: Clock | None) -> None:
        self._source = source
        self._parents: dict[tuple[str, str], Record | None] = {}
        self._today = (clock or WallClock()).now().astimezone(UTC).date()
        self._literals: dict[tuple[int, int], Any] = {}  # (field, Constant) → normalized
        self._sets: dict[int, frozenset[Any] | None] = {}  # id of a Membership → its set

    def select(self, query: Query, include_deleted: bool) -> list[Record]:
        """The matching records, ordered and paged."""
        matching = [
            record for record in self._source.records(query.sobject)
            if (include_deleted or not record.get("IsDeleted"))
            and (query.where is None or self._holds(query.where, record))
        ]
        ordered = self._order(matching, query.order_by)
        end = None if query.limit is None else query.offset + query.limit
        return ordered[query.offset:end]

    def shape(self, record: Record, query: Query, api_version: str) -> dict[str, Any]:
        """``record`` as the REST API returns it for ``query``."""
        row = _attributes(query.sobject, record, api_version)
        for path in query.fields:
            self._place(row, record, path.hops, path.field.name, api_version)
        return row

    def _place(self, row: dict[str, Any], record: Record, hops: tuple[Hop, ...], name: str,
               api_version: str) -> None:
        if not hops:
            row[name] = record.get(name)
            return
        hop = hops[0]
        parent = self._parent(record, hop)
        if hop.name not in row:
            row[hop.name] = None if parent is None else _attributes(
                hop.sobject, parent, api_version)
        if parent is not None:
            self._place(row[hop.name], parent, hops[1:], name, api_version)

    def _parent(self, record: Record, hop: Hop) -> Record | None:
        parent_id = record.get(hop.id_field)
        if not parent_id:
            return None
        key = (hop.sobject, str(parent_id))
        if key not in self._parents:
            self._parents[key] = self._source.get(*key)
        return self._parents[key]

    def _value(self, record: Record, path: FieldPath) -> Any:
        current: Record | None = record
        for hop in path.hops:
            current = self._parent(current, hop) if current is not None else None
        return None if current is None else current.get(path.field.name)

    def _holds(self, condition: Condition, record: Record) -> bool:
        if isinstance(condition, Logical):
            results = (self._holds(part, record) for part in condition.parts)
            return all(results) if condition.operator == "AND" else any(results)
        if isinstance(condition, Negation):
            return not self._holds(condition.operand, record)
        actual = self._value(record, condition.path)
        if isinstance(condition, Membership):
            return self._member(condition, actual) != condition.negated
        return self._compare(condition.path.field, condition.operator, actual, condition.operand)

    def _member(self, condition: Membership, actual: Any) -> bool:
        """Whether ``actual`` equals one of the ``IN`` list's operands."""
        if actual is None:
            return any(isinstance(o, Constant) and o.value is None for o in condition.operands)
        key = id(condition)
        if key not in self._sets:
            constants = all(isinstance(o, Constant) for o in condition.operands)
            self._sets[key] = frozenset(
                _normalize(condition.path.field, o.value) for o in condition.operands
                if isinstance(o, Constant) and o.value is not None) if constants else None
        wanted = self._sets[key]
        if wanted is None:  # a date literal among the operands: compare one by one
            return any(self._compare(condition.path.field, "=", actual, operand)
                       for operand in condition.operands)
        return _normalize(condition.path.field, actual) in wanted

    def _compare(self, field: FieldInfo, op: str, actual: Any, operand: Operand) -> bool:
        if isinstance(operand, Constant) and operand.value is None:
            return {"=": actual is None, "!=": actual is not None}.get(op, False)
        if actual is None:
            return op == "!="
        if isinstance(operand, RelativeDate):
            start, end = _bounds(field, _date_range(operand, self._today))
            return _within(op, _normalize(field, actual), start, end)
        if op == "LIKE":
            return _like(operand.raw).fullmatch(str(actual)) is not None
        key = (id(field), id(operand))  # TRUE and FALSE are shared constants
        if key not in self._literals:
            self._literals[key] = _normalize(field, operand.value)
        return _OPERATORS[op](_normalize(field, actual), self._literals[key])

    def _order(self, records: list[Record], orderings: tuple[Ordering, ...]) -> list[Record]:
        for ordering in reversed(orderings):
            field = ordering.path.field
            keyed = [(self._value(record, ordering.path), record) for record in records]
            nulls = [record for value, record in keyed if value is None]
            present = sorted(((_normalize(field, value), record) for value, record in keyed
                              if value is not None),
                             key=lambda pair: pair[0], reverse=ordering.descending)
            ordered = [record for _, record in present]
            records = nulls + ordered if ordering.nulls_first else ordered + nulls
        return records


def _attributes(sobject: str, record: Record, api_version: str) -> dict[str, Any]:
    url = f"/services/data/v{api_version}/sobjects/{sobject}/{record.get('Id')}"
    return {"attributes": {"type": sobject, "url": url}}


def _normalize(field: FieldInfo, value: Any) -> Any:
    """``value`` as it compares and sorts for ``field``."""
    kind = field.kind
    if kind == "number":
        return float(value)
    if kind == "bool":
        return bool(value)
    if kind == "date":
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if kind == "datetime":
        return _instant(value)
    if field.type in ("id", "reference"):
        text = str(value)
        return text[:15] if len(text) == 18 else text
    return str(value).casefold()


def _instant(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _within(op: str, value: Any, start: Any, end: Any) -> bool:
    """``value op literal`` where the literal stands for the range ``[start, end)``."""
    inside: bool = start <= value < end
    outcomes: dict[str, bool] = {
        "=": inside, "!=": not inside, "<": value < start, "<=": value < end,
        ">": value >= end, ">=": value >= start,
    }
    return outcomes[op]


def _bounds(field: FieldInfo, days: tuple[date, date]) -> tuple[date | datetime, ...]:
    if field.kind == "datetime":
        return tuple(datetime.combine(day, time(), UTC) for day in days)
    return days


def _date_range(literal: RelativeDate, today: date) -> tuple[date, date]:
    """The days ``[start, end)`` a date literal stands for."""
    n = literal.n
    days = {"TODAY": (0, 1), "YESTERDAY": (-1, 0), "TOMORROW": (1, 2),
            "LAST_N_DAYS": (-n, 1), "NEXT_N_DAYS": (1, n + 1), "N_DAYS_AGO": (-n, 1 - n)}
    if literal.name in days:
        first, last = days[literal.name]
        return today + timedelta(days=first), today + timedelta(days=last)
    which, unit = literal.name.split("_")
    shift = {"LAST": -1, "THIS": 0, "NEXT": 1}[which]
    return _period_start(unit, today, shift), _period_start(unit, today, shift + 1)


def _period_start(unit: str, today: date, shift: int) -> date:
    """First day of the week (from Sunday), month or year ``shift`` periods from today's."""
    if unit == "WEEK":
        return today - timedelta(days=(today.weekday() + 1) % 7 - 7 * shift)
    if unit == "MONTH":
        months = today.year * 12 + today.month - 1 + shift
        return date(months // 12, months % 12 + 1, 1)
    return date(today.year + shift, 1, 1)


@lru_cache(maxsize=256)
def _like(raw: str) -> re.Pattern[str]:
    """A LIKE pattern: ``%`` any run, ``_`` one character, ``\\%`` and ``\\_`` themselves."""
    pieces = []
    for char, escaped in string_parts(raw):
        wildcard = {"%": ".*", "_": "."}.get(char) if not escaped else None
        pieces.append(wildcard or re.escape(char))
    return re.compile("".join(pieces), re.IGNORECASE | re.DOTALL)
