"""Decode Stripe's nested form encoding into nested dicts and lists.

``items[0][price]=p&metadata[k]=v&expand[]=customer`` becomes
``{"items": [{"price": "p"}], "metadata": {"k": "v"}, "expand": ["customer"]}``. Values stay
strings; :mod:`.params` types them. Keys under ``metadata`` are never read as list indices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeAlias
from urllib.parse import parse_qsl

from crm_emulators.stripe_emulator.errors import invalid

FormValue: TypeAlias = "str | list[FormValue] | dict[str, FormValue]"
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def decode(encoded: str) -> dict[str, FormValue]:
    """Decode a query string or ``application/x-www-form-urlencoded`` body."""
    return decode_pairs(parse_qsl(encoded, keep_blank_values=True))


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, FormValue]:
    """Decode already split ``(key, value)`` pairs."""
    root: dict[str, object] = {}
    for key, value in pairs:
        _assign(root, _segments(key), value, key)
    return _shape(root, "")  # type: ignore[return-value]


def _segments(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    return [head, *_SEGMENT.findall("[" + rest)] if rest else [head]


def _assign(node: dict[str, object], path: list[str], value: str, key: str) -> None:
    for depth, segment in enumerate(path):
        name = segment if segment else str(len(node))
        if depth == len(path) - 1:
            if isinstance(node.get(name), dict):
                raise invalid(f"Invalid value for {key}: cannot mix a value and a hash",
                              param=key)
            node[name] = value
            return
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            raise invalid(f"Invalid value for {key}: cannot mix a value and a hash", param=key)
        node = child


def _shape(value: object, name: str) -> FormValue:
    if not isinstance(value, dict):
        return str(value)
    shaped = {key: _shape(child, key) for key, child in value.items()}
    if name != "metadata" and shaped and all(key.isdigit() for key in shaped):
        return [shaped[key] for key in sorted(shaped, key=int)]
    return shaped
