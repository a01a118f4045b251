"""Running as a service: the systemd notification protocol and one daemon per ledger.

What others use: :func:`systemd_link` (``READY=1``, ``STATUS=``, ``WATCHDOG=1``,
``STOPPING=1`` for a running daemon), :class:`ServiceLink` (its hooks),
:func:`ledger_lock` (refuses a second daemon on the same ledger) and :func:`status_line`.
"""

from __future__ import annotations

from connector.service.link import ServiceLink, systemd_link
from connector.service.lock import LedgerInUseError, ledger_lock
from connector.service.notify import Notifier, watchdog_interval
from connector.service.status import CycleOutcome, status_line

__all__ = [
    "CycleOutcome",
    "LedgerInUseError",
    "Notifier",
    "ServiceLink",
    "ledger_lock",
    "status_line",
    "systemd_link",
    "watchdog_interval",
]
