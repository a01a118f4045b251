"""Every request the API answered, for tests that count calls."""

from __future__ import annotations

import threading
from typing import NamedTuple


class LoggedRequest(NamedTuple):
    """One answered request."""

    method: str
    path: str
    status: int


class RequestLog:
    """The answered requests, in order; safe between threads."""

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def record(self, method: str, path: str, status: int) -> None:
        """Note one answered request."""
        with self._lock:
            self._entries.append(LoggedRequest(method, path, status))

    def entries(self) -> list[LoggedRequest]:
        """A copy of the log."""
        with self._lock:
            return list(self._entries)

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Requests of ``method`` (any when None) whose path starts with ``path_prefix``."""
        return sum(1 for entry in self.entries()
                   if (method is None or entry.method == method.upper())
                   and (path_prefix is None or entry.path.startswith(path_prefix)))

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._entries.clear()
