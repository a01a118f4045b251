"""The systemd notification protocol (``sd_notify``), through the ``sdnotify`` library.

Every message is a no-op when the process was not started by systemd with ``Type=notify``
(``$NOTIFY_SOCKET`` unset), so the daemon runs the same in a terminal, a container or a test.
The watchdog interval is read the way ``sd_watchdog_enabled(3)`` reads it: ``$WATCHDOG_USEC``,
for this process only when ``$WATCHDOG_PID`` is unset or names it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

import sdnotify


class Sender(Protocol):
    """Sends one notification datagram (``sdnotify.SystemdNotifier`` is one)."""

    def notify(self, state: str) -> None:
        """Send ``state`` (``KEY=value`` lines); never raises."""


def watchdog_interval(environ: Mapping[str, str], pid: int | None = None) -> float | None:
    """The watchdog timeout systemd set for this process, in seconds, or None when off.

    Args:
        environ: the process environment.
        pid: this process's id (default: ``os.getpid()``).
    """
    usec, owner = environ.get("WATCHDOG_USEC", ""), environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if owner and owner != str(os.getpid() if pid is None else pid):
        return None
    return int(usec) / 1_000_000


class Notifier:
    """The messages the daemon sends to systemd, each one line of the protocol.

    Args:
        sender: where datagrams go (default: a ``sdnotify.SystemdNotifier`` on
            ``$NOTIFY_SOCKET``, silent when that is unset).
        enabled: whether a service manager listens (``$NOTIFY_SOCKET`` was set).
    """

    def __init__(self, sender: Sender | None = None, *, enabled: bool = True) -> None:
        self._sender: Sender = sender or sdnotify.SystemdNotifier()
        self.enabled = enabled

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """A notifier on ``$NOTIFY_SOCKET``; every message is dropped when it is unset."""
        env = os.environ if environ is None else environ
        return cls(enabled=bool(env.get("NOTIFY_SOCKET")))

    def ready(self, status: str) -> None:
        """Start-up is complete: ``READY=1`` with the first ``STATUS=`` line."""
        self._send(f"READY=1\nSTATUS={_one_line(status)}")

    def status(self, status: str) -> None:
        """Replace the status line ``systemctl status`` shows."""
        self._send(f"STATUS={_one_line(status)}")

    def watchdog(self) -> None:
        """The daemon is alive and its cycles progress: ``WATCHDOG=1``."""
        self._send("WATCHDOG=1")

    def extend_start(self, seconds: float) -> None:
        """Start-up is still progressing: allow it ``seconds`` more (``EXTEND_TIMEOUT_USEC``)."""
        self._send(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}")

    def stopping(self, status: str) -> None:
        """Shutdown has begun: ``STOPPING=1`` with a last status line."""
        self._send(f"STOPPING=1\nSTATUS={_one_line(status)}")

    def _send(self, state: str) -> None:
        if self.enabled:
            self._sender.notify(state)


def _one_line(text: str) -> str:
    """A status is one line: systemd would read a newline as the start of another field."""
    return " ".join(text.split())
