"""``plan``: what the next sync would create, update or leave, per system, without writing.

Usage::

    from connector.plan import plan_next_sync

    plan = plan_next_sync(engine)          # engine: connector.sync.engine.SyncEngine
    plan.as_json()                          # the documented structure of ``plan --format json``
"""

from __future__ import annotations

from connector.plan.collect import plan_next_sync
from connector.plan.records import SYSTEMS, Change, FieldChange, Plan

__all__ = ["SYSTEMS", "Change", "FieldChange", "Plan", "plan_next_sync"]
