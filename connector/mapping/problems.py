"""What can go wrong with mappings: problems found by ``check`` and errors raised by ``apply``.

A :class:`Problem` is one validation finding, printed ``file:line: key.path: reason``.
A :class:`MappingError` is raised while mapping one record; it is a
:class:`~connector.errors.SkippableError`, so the engine dead-letters that record and goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.errors import SkippableError

Loc = tuple[str | int, ...]
"""A key path inside a mapping file: table and key names, with integer array indexes."""


def format_loc(loc: Loc) -> str:
    """Render a key path the way admins read it: ``fields.Status__c.transform[0].values``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a mapping file.

    Attributes:
        file: the file, as the directory was given (``mappings/catalog.toml``).
        line: 1-based line of the key in the file, when it is known.
        loc: the key path inside the file; empty for a problem with the whole file.
        reason: what is wrong and, where possible, how to fix it.
    """

    file: str
    line: int | None
    loc: Loc
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if not self.loc:
            return f"{where}: {self.reason}"
        return f"{where}: {format_loc(self.loc)}: {self.reason}"


class MappingError(SkippableError):
    """One record could not be mapped; the engine dead-letters it and goes on.

    Attributes:
        file: the mapping file's name (``stripe_to_subscription.toml``).
        field: the target field that failed (``Status__c``), or None for the whole record.
        reason: why.
    """

    def __init__(self, file: str, field: str | None, reason: str) -> None:
        self.file = file
        self.field = field
        self.reason = reason
        where = f"{file}: fields.{field}" if field else file
        super().__init__(f"{where}: {reason}", code="MAPPING_FAILED")
