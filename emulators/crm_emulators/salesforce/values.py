"""One JSON value checked and stored the way its field's type wants it.

Salesforce reads a JSON body with a typed deserializer, so a value that cannot become the
field's type fails the whole request (``JSON_PARSER_ERROR``) before any record is written;
well-formed values are then checked against the field (length, restricted picklist, id
shape). Stored values are JSON-ready: numbers, bools, ``2026-11-22`` dates,
``2026-11-22T10:00:00.000+0000`` datetimes and 18-character ids.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from crm_emulators.salesforce import errors, ids
from crm_emulators.salesforce.objects import FieldSpec

NUMERIC = {"double": "double", "currency": "double", "percent": "double", "int": "int"}
_JAVA_TYPES = {"boolean": "boolean", "date": "date", "datetime": "datetime"}


def format_datetime(moment: datetime) -> str:
    """``2026-11-22T10:00:00.000+0000``: how the REST API writes datetimes."""
    stamp = moment.astimezone(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """A datetime written by the API or a client (``Z``, ``+0000`` or ``+00:00``), in UTC.

    Raises:
        ValueError: ``text`` is not a datetime.
    """
    cleaned = text.strip().replace("Z", "+00:00")
    if len(cleaned) > 5 and cleaned[-5] in "+-" and cleaned[-4:].isdigit():
        cleaned = f"{cleaned[:-2]}:{cleaned[-2:]}"
    moment = datetime.fromisoformat(cleaned)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def deserialize(spec: FieldSpec, value: Any) -> Any:
    """``value`` converted to the field's type, as the JSON reader would.

    Raises:
        ApiError: JSON_PARSER_ERROR or INVALID_TYPE_ON_FIELD_IN_RECORD.
    """
    if value is None:
        return None
    kind = spec.type
    if kind in NUMERIC:
        return _number(spec, value)
    if kind == "boolean":
        return _boolean(spec, value)
    if isinstance(value, dict | list):
        raise errors.not_deserializable(_JAVA_TYPES.get(kind, "String"), value)
    if kind in ("date", "datetime"):
        return _temporal(spec, value)
    return value if isinstance(value, str) else _text_of(value)


def check(spec: FieldSpec, value: Any) -> Any:
    """A deserialized value checked against the field's constraints; references come back
    as 18-character ids (their target is checked by the store).

    Raises:
        ApiError: STRING_TOO_LONG, INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST or MALFORMED_ID.
    """
    if value is None or not isinstance(value, str):
        return value
    if spec.type in ("reference", "id"):
        canonical = ids.canonical(value)
        if canonical is None:
            raise errors.malformed_reference(spec.label, spec.name, value)
        return canonical
    if spec.type == "picklist" and spec.restricted and value not in spec.info.picklist_values:
        raise errors.bad_picklist_value(spec.label, spec.name, value)
    if spec.type in ("date", "datetime"):
        return value
    if spec.length is not None and len(value) > spec.length:
        raise errors.too_long(spec.label, spec.name, value, spec.length)
    return value


def _number(spec: FieldSpec, value: Any) -> int | float:
    if isinstance(value, bool):
        raise errors.wrong_type(spec.label, spec.name, value)
    if isinstance(value, int | float):
        number: float = value
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise errors.not_deserializable(NUMERIC[spec.type], value) from None
    else:
        raise errors.not_deserializable(NUMERIC[spec.type], value)
    if spec.type == "int":
        if number != int(number):
            raise errors.wrong_type(spec.label, spec.name, value)
        return int(number)
    return float(number)


def _boolean(spec: FieldSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, str | dict | list):
        raise errors.not_deserializable("boolean", value)
    raise errors.wrong_type(spec.label, spec.name, value)


def _temporal(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise errors.wrong_type(spec.label, spec.name, value)
    try:
        if spec.type == "datetime":
            return format_datetime(parse_datetime(value))
        day = date.fromisoformat(value) if len(value) == 10 else parse_datetime(value).date()
        return day.isoformat()
    except ValueError:
        raise errors.not_deserializable(spec.type, value) from None


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
