"""The operations surface: connection states, metrics, health, the listener (with the
``/dashboard`` page of reports), diagnose.

Others import from here: :class:`OpsHooks` (the engine's hooks), :class:`ConnectionStates`,
:class:`ConnectionStateChanged` (the fact notifications are built from) and
:func:`~connector.ops.states.set_paused`.
"""

from __future__ import annotations

from connector.ops.hooks import OpsHooks
from connector.ops.states import ConnectionStateChanged, ConnectionStates, set_paused

__all__ = ["ConnectionStateChanged", "ConnectionStates", "OpsHooks", "set_paused"]
