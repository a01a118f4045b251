"""Dotted paths into records: ``Opportunity.Account.CSM__c``, ``items.data.0.quantity``.

Records are nested dicts as Salesforce's REST query JSON returns them (relationships nested,
an ``attributes`` key beside the fields) or Stripe objects as plain dicts. Integer segments
index lists. Reading a path never raises: anything missing on the way is ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

Segment = str | int


def parse_path(path: str) -> tuple[Segment, ...]:
    """Split ``"items.data.0.price"`` into ``("items", "data", 0, "price")``."""
    return tuple(int(part) if part.isdigit() else part for part in path.split("."))


def is_valid_path(path: str) -> bool:
    """Whether ``path`` is non-empty dotted names without blanks or empty segments."""
    return bool(path) and all(part and part.strip() == part for part in path.split("."))


def get_path(record: Any, path: str) -> Any:
    """The value at ``path`` inside ``record``, or None when any step is missing or null."""
    current = record
    for segment in parse_path(path):
        current = _step(current, segment)
        if current is None:
            return None
    return current


def _step(current: Any, segment: Segment) -> Any:
    if isinstance(current, Mapping):
        return current.get(str(segment))
    if isinstance(segment, int) and isinstance(current, Sequence) and not isinstance(current, str):
        return current[segment] if segment < len(current) else None
    return None


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Store ``value`` at ``path`` in ``target``, creating nested dicts and lists on the way.

    An integer segment makes (or extends) a list, so ``items.0.price`` and ``items.0.quantity``
    build ``{"items": [{"price": ..., "quantity": ...}]}``.
    """
    segments = parse_path(path)
    container: Any = target
    for segment, following in pairwise(segments):
        container = _child(container, segment, [] if isinstance(following, int) else {})
    _put(container, segments[-1], value)


def _child(container: Any, segment: Segment, empty: Any) -> Any:
    existing = _step(container, segment)
    if existing is None:
        _put(container, segment, empty)
        return empty
    return existing


def _put(container: Any, segment: Segment, value: Any) -> None:
    if isinstance(container, list):
        index = int(segment)
        container.extend([None] * (index + 1 - len(container)))
        container[index] = value
    else:
        container[str(segment)] = value


def parent_path(path: str) -> str:
    """``"Product__r.ProductCode"`` → ``"Product__r"``; a single segment → ``""``."""
    return path.rpartition(".")[0]


OPTIONAL_SUFFIX = "?"
"""Ends a ``from`` path the org may lack: ``Opportunity.CurrencyIsoCode?`` is read where the
org has the field and skipped (as if empty) where it does not."""
ORG_PREFIX = "$Organization."
"""Starts a path to a value of the org itself, read once from its ``Organization`` record:
``$Organization.DefaultCurrencyIsoCode``."""


def bare_path(path: str) -> str:
    """``path`` without the optional marker."""
    return path.removesuffix(OPTIONAL_SUFFIX)


def is_optional(path: str) -> bool:
    """Whether ``path`` is marked optional (ends with ``?``)."""
    return path.endswith(OPTIONAL_SUFFIX)


def is_org_path(path: str) -> bool:
    """Whether ``path`` reads the org's ``Organization`` record rather than the source row."""
    return path.startswith(ORG_PREFIX)
