"""Salesforce record ids: key prefixes, the case-safe 18-character form, and allocation.

An id is 15 case-sensitive base-62 characters (a 3-character key prefix naming the object,
then the record number); the API always answers with the 18-character form, whose last three
characters encode which of the first 15 are upper case, so the id survives case-insensitive
tools. Either form (and an 18-character id in the wrong case) names the same record.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Iterator

CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
POD = "Hp"  # the instance characters every id of this org carries after the key prefix


def case_safe(id15: str) -> str:
    """The 18-character form of a 15-character id (Salesforce's ``CASESAFEID``)."""
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(id15[start:start + 5]) if char.isupper())
        suffix += CHECKSUM_ALPHABET[bits]
    return id15 + suffix


def is_well_formed(text: str) -> bool:
    """Whether ``text`` has the shape of an id: 15 or 18 ASCII letters and digits."""
    return len(text) in (15, 18) and text.isascii() and text.isalnum()


def canonical(text: str) -> str | None:
    """The 18-character id ``text`` names, or None when it is not an id.

    A 15-character id gains its suffix; an 18-character id has its case restored from the
    suffix (so ``001hp0000000001iaa`` and ``001Hp0000000001IAA`` are one record).
    """
    if not is_well_formed(text):
        return None
    if len(text) == 15:
        return case_safe(text)
    restored = ""
    for chunk, mark in zip((0, 5, 10), text[15:].upper(), strict=True):
        if mark not in CHECKSUM_ALPHABET:
            return None
        bits = CHECKSUM_ALPHABET.index(mark)
        restored += "".join(c.upper() if bits >> i & 1 else c.lower()
                            for i, c in enumerate(text[chunk:chunk + 5]))
    return case_safe(restored)


def key_prefix(record_id: str) -> str:
    """The first three characters, which name the object an id belongs to."""
    return record_id[:3]


def _base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    return digits.rjust(width, "0")


class IdAllocator:
    """Hands out fresh 18-character ids per key prefix, in increasing order; thread-safe."""

    def __init__(self) -> None:
        self._counters: defaultdict[str, Iterator[int]] = defaultdict(lambda: itertools.count(1))
        self._lock = threading.Lock()

    def next(self, prefix: str) -> str:
        """A new id starting with the 3-character ``prefix``."""
        with self._lock:
            number = next(self._counters[prefix])
        return case_safe(f"{prefix}{POD}{_base62(number, 10)}")
