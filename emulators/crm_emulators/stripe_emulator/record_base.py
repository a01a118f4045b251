"""What every record of the emulated account has, and the JSON type responses are built as.

Timestamps are Unix seconds, as on Stripe's wire; money is integer minor units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

Json = dict[str, Any]


@dataclass(kw_only=True)
class Record:
    """Fields every stored object has.

    Attributes:
        id: the Stripe id.
        created: creation time (the object's own clock: its test clock's, when it has one).
        seq: insertion order in the store; lists sort on it, newest first.
        metadata: the user's key-value pairs.
        test_clock: the test clock whose time governs this object, if any.
        deleted: deleted objects stay retrievable as ``{"deleted": true}`` stubs.
    """

    OBJECT: ClassVar[str] = ""
    PREFIX: ClassVar[str] = ""
    EVENTS: ClassVar[str] = ""
    LABEL: ClassVar[str] = ""

    id: str
    created: int
    seq: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    test_clock: str | None = None
    deleted: bool = False

    @classmethod
    def label(cls) -> str:
        """How "No such …" errors name this kind."""
        return cls.LABEL or cls.OBJECT
