"""``plan``: what the next sync would create, update or leave, per system, without writing: the
engine's reading steps on a private copy of the ledger. Part of the operations surface; may
import ``sync`` and everything below it.

Usage::

    from connector.plan import plan_next_sync

    plan = plan_next_sync(engine)          # engine: connector.sync.engine.SyncEngine
    plan.as_json()                          # the documented structure of ``plan --format json``
"""

from __future__ import annotations

from connector.plan.collect import plan_next_sync
from connector.plan.records import SYSTEMS, Change, FieldChange, Plan

__all__ = ["SYSTEMS", "Change", "FieldChange", "Plan", "plan_next_sync"]
