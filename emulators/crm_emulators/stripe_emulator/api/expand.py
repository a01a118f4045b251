"""``expand[]=latest_invoice`` and friends: ids in a response replaced by their objects."""

from __future__ import annotations

from typing import Any

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.errors import invalid
from crm_emulators.stripe_emulator.records import Json

MAX_DEPTH = 4
"""Stripe expands at most four levels (``data.latest_invoice.customer...``)."""


def expand(body: Json, paths: list[str], backend: Backend) -> Json:
    """``body`` with each dotted path's id replaced by the object it names (in place).

    Raises:
        ApiError: a path deeper than four levels, or one that names no id.
    """
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise invalid(f"You cannot expand more than {MAX_DEPTH} levels of a property. "
                          f"Property: {path}", param="expand")
        _expand(body, parts, backend, path)
    return body


def _expand(node: Json, parts: list[str], backend: Backend, path: str) -> None:
    head, rest = parts[0], parts[1:]
    if head not in node:
        raise _cannot(path)
    value = node[head]
    if isinstance(value, list):
        node[head] = [_expand_value(item, rest, backend, path) for item in value]
    elif value is not None:
        node[head] = _expand_value(value, rest, backend, path)


def _expand_value(value: Any, rest: list[str], backend: Backend, path: str) -> Any:
    if isinstance(value, str):
        record = backend.store.locate(value)
        if record is None:
            raise _cannot(path)
        value = backend.render(record)
    if rest:
        if not isinstance(value, dict):
            raise _cannot(path)
        _expand(value, rest, backend, path)
    return value


def _cannot(path: str) -> Exception:
    return invalid(f"This property cannot be expanded ({path}).", param="expand")
