"""The thread-safe table of records behind the emulated account.

One re-entrant lock guards everything: the HTTP thread, the test thread (``advance``,
``objects``) and the webhook worker all take it, so a request sees and makes changes
atomically. Callers hold :attr:`Store.lock` around multi-step changes.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TypeVar

from crm_emulators.stripe_emulator.errors import no_such
from crm_emulators.stripe_emulator.records import KINDS, Record

R = TypeVar("R", bound=Record)


class Store:
    """Records by kind and id, in insertion order."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._tables: dict[type[Record], dict[str, Record]] = {kind: {} for kind in KINDS}
        self._seq = itertools.count(1)

    def add(self, record: R) -> R:
        """Store a new record and stamp its insertion order."""
        with self.lock:
            record.seq = next(self._seq)
            self._tables[type(record)][record.id] = record
            return record

    def find(self, kind: type[R], ident: str) -> R | None:
        """The record of ``kind`` with id ``ident`` (deleted ones included), or None."""
        with self.lock:
            record = self._tables[kind].get(ident)
            return record if isinstance(record, kind) else None

    def get(self, kind: type[R], ident: str, param: str = "id") -> R:
        """Like :meth:`find` but a missing or deleted record is a 404 naming ``param``."""
        record = self.find(kind, ident)
        if record is None or record.deleted:
            raise no_such(kind.label(), ident, param)
        return record

    def all(self, kind: type[R], where: Callable[[R], bool] | None = None) -> list[R]:
        """Live records of ``kind``, oldest first, optionally filtered."""
        with self.lock:
            rows = [r for r in self._tables[kind].values() if isinstance(r, kind)]
        return [r for r in rows if not r.deleted and (where is None or where(r))]

    def newest_first(self, kind: type[R], where: Callable[[R], bool] | None = None) -> list[R]:
        """Live records of ``kind``, newest first, optionally filtered."""
        return list(reversed(self.all(kind, where)))

    def locate(self, ident: str) -> Record | None:
        """Any record with id ``ident``, whatever its kind."""
        with self.lock:
            for table in self._tables.values():
                if ident in table:
                    return table[ident]
        return None


def kind_named(object_name: str) -> type[Record]:
    """The record class whose Stripe ``object`` is ``object_name``."""
    for kind in KINDS:
        if object_name in (kind.OBJECT, kind.__name__.lower()):
            return kind
    raise KeyError(f"unknown object kind {object_name!r}")
