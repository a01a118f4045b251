"""The parsed form of a SOQL query (what :mod:`.soql_parser` builds and :mod:`.soql` runs)
and :class:`SoqlError`, which a query Salesforce would refuse raises.

Every node is immutable. A :class:`FieldPath` has been checked against the schema, so the
engine never meets a field that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from crm_emulators.salesforce.model import FieldInfo


class SoqlError(Exception):
    """A query Salesforce would refuse.

    Attributes:
        error_code: Salesforce's ``errorCode``: ``MALFORMED_QUERY`` (syntax, or a construct
            the emulator does not support), ``INVALID_FIELD`` (unknown field or relationship,
            value of the wrong type), ``INVALID_TYPE`` (unknown object) or
            ``INVALID_QUERY_FILTER_OPERATOR`` (a malformed record id in a filter).
        message: Salesforce's ``message``.
    """

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


@dataclass(frozen=True)
class Hop:
    """One parent relationship followed by a path.

    Attributes:
        name: relationship name as describe spells it (``Account``, ``Product__r``).
        id_field: the reference field holding the parent's id (``AccountId``).
        sobject: the parent object (``Account``).
    """

    name: str
    id_field: str
    sobject: str


@dataclass(frozen=True)
class FieldPath:
    """A field of the queried object or of a parent: ``Account.Owner.Name``.

    Attributes:
        hops: relationships followed from the queried object, outermost first.
        field: the field read at the end of the path.
    """

    hops: tuple[Hop, ...]
    field: FieldInfo


@dataclass(frozen=True)
class Constant:
    """A literal value: str, float, bool, date, aware datetime, or None for NULL.

    Attributes:
        value: the value, decoded.
        raw: for strings, the text between the quotes as written (LIKE needs its escapes).
    """

    value: str | float | bool | date | datetime | None
    raw: str = ""


@dataclass(frozen=True)
class RelativeDate:
    """A date literal resolved when the query runs: ``TODAY``, ``LAST_N_DAYS:7``.

    Attributes:
        name: the literal, upper case.
        n: its number (0 for literals without one).
    """

    name: str
    n: int = 0


Operand = Constant | RelativeDate


@dataclass(frozen=True)
class Comparison:
    """``path op operand`` where op is one of ``= != < <= > >= LIKE``."""

    path: FieldPath
    operator: str
    operand: Operand


@dataclass(frozen=True)
class Membership:
    """``path IN (...)`` or, when ``negated``, ``path NOT IN (...)``."""

    path: FieldPath
    operands: tuple[Operand, ...]
    negated: bool = False


@dataclass(frozen=True)
class Negation:
    """``NOT condition``."""

    operand: Condition


@dataclass(frozen=True)
class Logical:
    """Conditions joined by one operator, ``AND`` or ``OR``."""

    operator: str
    parts: tuple[Condition, ...]


Condition = Comparison | Membership | Negation | Logical


@dataclass(frozen=True)
class Ordering:
    """One ``ORDER BY`` item; nulls go first unless told otherwise (last when descending)."""

    path: FieldPath
    descending: bool = False
    nulls_first: bool = True


@dataclass(frozen=True)
class Query:
    """A parsed, schema-checked SOQL query.

    Attributes:
        sobject: the queried object, as describe spells it.
        fields: the selected paths in SELECT order (empty for ``COUNT()``).
        where: the filter, if any.
        order_by: the ordering, outermost key first.
        limit: the LIMIT, if any.
        offset: the OFFSET (0 when absent).
        is_count: the query is ``SELECT COUNT() FROM ...``.
    """

    sobject: str
    fields: tuple[FieldPath, ...] = ()
    where: Condition | None = None
    order_by: tuple[Ordering, ...] = ()
    limit: int | None = None
    offset: int = 0
    is_count: bool = False
