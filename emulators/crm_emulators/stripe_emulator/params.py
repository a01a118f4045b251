"""Typed reading of decoded request parameters, with Stripe's validation errors.

Each endpoint reads the parameters it understands through a :class:`Params`; whatever it
did not read is reported by :meth:`Params.finish` as ``parameter_unknown``. Getters return
:data:`UNSET` for parameters that were not sent, so updates can tell "absent" from "cleared"
(an empty string clears a field to ``None``, as on Stripe).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias, TypeVar

from crm_emulators.stripe_emulator.errors import invalid, missing, unknown
from crm_emulators.stripe_emulator.forms import FormValue


class Unset(Enum):
    """The type of :data:`UNSET`."""

    UNSET = "unset"


UNSET = Unset.UNSET
"""A parameter that was not sent."""

T = TypeVar("T")
Opt: TypeAlias = T | Unset


def given(value: Opt[T]) -> bool:
    """Whether a parameter was sent."""
    return value is not UNSET


def or_default(value: Opt[T], default: T) -> T:
    """The parameter's value, or ``default`` when it was not sent."""
    return default if isinstance(value, Unset) else value


@dataclass(frozen=True)
class IntRange:
    """A ``created[gt]=…`` style filter; an exact ``created=N`` sets both bounds."""

    gt: int | None = None
    gte: int | None = None
    lt: int | None = None
    lte: int | None = None

    def contains(self, value: int) -> bool:
        """Whether ``value`` satisfies every bound."""
        return ((self.gt is None or value > self.gt) and (self.gte is None or value >= self.gte)
                and (self.lt is None or value < self.lt)
                and (self.lte is None or value <= self.lte))


class Params:
    """Read-once view of one level of decoded parameters.

    Args:
        data: the decoded mapping.
        path: how this level is named in error messages (``items[0]``); empty at the top.
    """

    def __init__(self, data: dict[str, FormValue], path: str = "") -> None:
        self._data = data
        self._path = path
        self._seen: set[str] = set()
        self._children: list[Params] = []

    def name(self, key: str) -> str:
        """The full bracketed name of ``key`` at this level."""
        return f"{self._path}[{key}]" if self._path else key

    def has(self, key: str) -> bool:
        """Whether ``key`` was sent (does not mark it read)."""
        return key in self._data

    def finish(self) -> None:
        """Raise ``parameter_unknown`` for the first parameter nobody read."""
        for key in self._data:
            if key not in self._seen:
                raise unknown(self.name(key))
        for child in self._children:
            child.finish()

    def _raw(self, key: str) -> FormValue | Unset:
        self._seen.add(key)
        return self._data.get(key, UNSET)

    def _scalar(self, key: str) -> str | Unset:
        raw = self._raw(key)
        if isinstance(raw, list | dict):
            raise invalid(f"Invalid string: {self.name(key)} must be a string",
                          param=self.name(key))
        return raw

    def text(self, key: str) -> Opt[str | None]:
        """A string; ``""`` means "clear" and reads as None."""
        raw = self._scalar(key)
        return None if raw == "" else raw

    def required_text(self, key: str) -> str:
        """A string that must be present and non-empty."""
        raw = self._scalar(key)
        if isinstance(raw, Unset) or raw == "":
            raise missing(self.name(key))
        return raw

    def integer(self, key: str) -> Opt[int | None]:
        """An integer; ``""`` reads as None."""
        raw = self._scalar(key)
        if isinstance(raw, Unset) or raw == "":
            return None if raw == "" else UNSET
        try:
            return int(raw)
        except ValueError:
            raise invalid(f"Invalid integer: {raw}", param=self.name(key)) from None

    def required_integer(self, key: str) -> int:
        """An integer that must be present."""
        value = self.integer(key)
        if isinstance(value, Unset) or value is None:
            raise missing(self.name(key))
        return value

    def number(self, key: str) -> Opt[float | None]:
        """A decimal number (``percent_off``)."""
        raw = self._scalar(key)
        if isinstance(raw, Unset) or raw == "":
            return None if raw == "" else UNSET
        try:
            return float(raw)
        except ValueError:
            raise invalid(f"Invalid decimal: {raw}", param=self.name(key)) from None

    def boolean(self, key: str) -> Opt[bool]:
        """``true`` or ``false``."""
        raw = self._scalar(key)
        if isinstance(raw, Unset):
            return UNSET
        if raw not in ("true", "false"):
            raise invalid(f"Invalid boolean: {raw}", param=self.name(key))
        return raw == "true"

    def choice(self, key: str, options: Sequence[str]) -> Opt[str]:
        """One of ``options``."""
        raw = self._scalar(key)
        if isinstance(raw, Unset):
            return UNSET
        if raw not in options:
            raise invalid(f"Invalid {self.name(key)}: must be one of {', '.join(options)}",
                          param=self.name(key))
        return raw

    def timestamp(self, key: str, *, allow_now: bool = False) -> Opt[int | str | None]:
        """A Unix timestamp; the string ``now`` too when ``allow_now``."""
        raw = self._data.get(key)
        if allow_now and raw == "now":
            self._seen.add(key)
            return "now"
        return self.integer(key)

    def texts(self, key: str) -> Opt[list[str]]:
        """A list of strings (``expand[]``, ``lookup_keys[0]``); ``""`` is the empty list."""
        raw = self._raw(key)
        if isinstance(raw, Unset) or raw == "":
            return [] if raw == "" else UNSET
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise invalid(f"Invalid array: {self.name(key)}", param=self.name(key))
        return [item for item in raw if isinstance(item, str)]

    def child(self, key: str) -> Params | None:
        """A nested hash (``invoice_settings[...]``), or None when absent or cleared."""
        raw = self._raw(key)
        if isinstance(raw, Unset) or raw == "":
            return None
        if not isinstance(raw, dict):
            raise invalid(f"Invalid hash: {self.name(key)}", param=self.name(key))
        return self._adopt(Params(raw, self.name(key)))

    def children(self, key: str) -> Opt[list[Params]]:
        """A list of hashes (``items[0][...]``); ``""`` is the empty list."""
        raw = self._raw(key)
        if isinstance(raw, Unset) or raw == "":
            return [] if raw == "" else UNSET
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            raise invalid(f"Invalid array: {self.name(key)}", param=self.name(key))
        return [self._adopt(Params(item, f"{self.name(key)}[{index}]"))
                for index, item in enumerate(raw) if isinstance(item, dict)]

    def metadata(self) -> Opt[dict[str, str | None] | None]:
        """``metadata[k]=v`` pairs (``""`` deletes a key); ``metadata=""`` clears all (None)."""
        raw = self._raw("metadata")
        if isinstance(raw, Unset) or raw == "":
            return None if raw == "" else UNSET
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise invalid("Invalid hash: metadata", param="metadata")
        return {key: (value if value else None) for key, value in raw.items()
                if isinstance(value, str)}

    def range(self, key: str) -> Opt[IntRange]:
        """``created=N`` or ``created[gt|gte|lt|lte]=N``."""
        if isinstance(self._data.get(key), str):
            exact = self.integer(key)
            return IntRange(gte=exact, lte=exact) if isinstance(exact, int) else UNSET
        bounds = self.child(key)
        if bounds is None:
            return UNSET
        return IntRange(**{op: _int_or_none(bounds.integer(op))
                           for op in ("gt", "gte", "lt", "lte")})

    def _adopt(self, child: Params) -> Params:
        self._children.append(child)
        return child


def _int_or_none(value: Opt[int | None]) -> int | None:
    return None if isinstance(value, Unset) else value


def merge_metadata(current: dict[str, str],
                   update: Opt[dict[str, str | None] | None]) -> dict[str, str]:
    """Apply a metadata update the way Stripe does: merge, ``""`` deletes, ``None`` clears."""
    if isinstance(update, Unset):
        return current
    if update is None:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
