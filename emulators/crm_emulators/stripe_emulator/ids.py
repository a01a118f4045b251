"""Object ids with Stripe's prefixes and lengths (``cus_QXg1o8vcGmoR32``, ``sub_1Pgc…``)."""

from __future__ import annotations

import random
import string
import threading

_ALPHABET = string.ascii_letters + string.digits
_SHORT = frozenset({"cus", "prod", "si", "clock", "req", "cnli"})


class IdFactory:
    """Makes unique ids; safe to share between threads.

    Args:
        seed: makes the sequence of ids reproducible when given.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._issued: set[str] = set()

    def new(self, prefix: str) -> str:
        """A fresh id ``{prefix}_{random}``, 14 random characters for short kinds, else 24."""
        size = 14 if prefix in _SHORT else 24
        with self._lock:
            while True:
                ident = f"{prefix}_{self.token(size)}"
                if ident not in self._issued:
                    self._issued.add(ident)
                    return ident

    def token(self, size: int) -> str:
        """``size`` random letters and digits (for secrets, prefixes and client secrets)."""
        return "".join(self._random.choice(_ALPHABET) for _ in range(size))

    def hex(self, size: int) -> str:
        """``size`` random upper-case hexadecimal digits (invoice prefixes)."""
        return "".join(self._random.choice("0123456789ABCDEF") for _ in range(size))
