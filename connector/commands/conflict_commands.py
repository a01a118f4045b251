"""``conflicts list|resolve``: changes made by a field's non-owner, for admins."""

from __future__ import annotations

import argparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.clock import SystemClock
from connector.commands.sync_commands import load
from connector.config import Config
from connector.errors import ConfigError
from connector.ledger.models import Conflict, ConflictStatus
from connector.mapping.subscription_object import SubscriptionFields
from connector.sync.conflict_resolution import resolve
from connector.sync.unit_of_work import unit_of_work
from connector.sync.wiring import load_mapping_set, open_ledger


def conflicts(args: argparse.Namespace) -> int:
    """List the open conflicts, or resolve one by taking a side."""
    config = load(args)
    _, sessions = open_ledger(config)
    if args.action == "list":
        with sessions() as session:
            return _list(session, _field_names(config))
    mappings = load_mapping_set(config)
    with unit_of_work(sessions, SystemClock(), "admin") as uow:
        conflict = uow.session.get(Conflict, args.id)
        if conflict is None:
            raise ConfigError([f"conflicts: no conflict #{args.id}"])
        done = resolve(uow, conflict, args.take, mappings)
        print(f"#{conflict.id} resolved: {done}")
    return 0


def _field_names(config: Config) -> SubscriptionFields:
    """The org's field names, to show conflicts in them; the shipped ones when the mapping
    files do not load (listing conflicts must work while an admin fixes them)."""
    try:
        return load_mapping_set(config).subscription_fields
    except ConfigError:
        return SubscriptionFields()


def _list(session: Session, names: SubscriptionFields) -> int:
    query = select(Conflict).where(Conflict.status == ConflictStatus.OPEN)
    found = list(session.scalars(query.order_by(Conflict.id)))
    if not found:
        print("no open conflicts")
    for conflict in found:
        when = conflict.their_ts.strftime("%Y-%m-%d %H:%M:%S UTC") if conflict.their_ts else "-"
        print(f"#{conflict.id} {conflict.entity_type} {conflict.entity_id} "
              f"{names.org(conflict.field)} "
              f"(owner {conflict.owner})\n"
              f"    {conflict.owner if conflict.owner != 'latest' else 'ledger'}: "
              f"{conflict.ours!r}   {conflict.their_source} ({when}): {conflict.theirs!r}\n"
              f"    recorded {conflict.created_at:%Y-%m-%d %H:%M:%S UTC}; settle with "
              f"'crm-connector conflicts resolve {conflict.id} --take salesforce|stripe'")
    return 0
