"""``conflicts list|resolve``: changes made by a field's non-owner, for admins."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.clock import SystemClock
from connector.commands.output import Table, display, print_json
from connector.commands.sync_commands import load
from connector.config import Config
from connector.errors import ConfigError
from connector.ledger.models import Conflict, ConflictStatus
from connector.ledger.names import RecordName, RecordNames
from connector.ledger.unit_of_work import unit_of_work
from connector.mapping.subscription_fields import SubscriptionFields
from connector.sync.wiring import load_mapping_set, open_ledger
from connector.workflows.conflict_resolution import resolve


def conflicts(args: argparse.Namespace) -> int:
    """List the open conflicts, or resolve one by taking a side."""
    config = load(args)
    _, sessions = open_ledger(config)
    if args.action == "list":
        with sessions() as session:
            return _list(session, _field_names(config), everything=args.all,
                         output=args.format)
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


def _list(session: Session, fields: SubscriptionFields, *, everything: bool,
          output: str) -> int:
    query = select(Conflict).order_by(Conflict.id)
    if not everything:
        query = query.where(Conflict.status == ConflictStatus.OPEN)
    found = list(session.scalars(query))
    names = RecordNames(session)
    rows = [_row(c, fields, names.of(c.entity_type, c.entity_id)) for c in found]
    if output == "json":
        print_json(rows)
    elif not found:
        print("no conflicts" if everything else "no open conflicts")
    else:
        Table(["id", "status", "Salesforce Id", "name", "field (owner)", "ledger value",
               "their value", "changed by"],
              [[f"#{r['id']}", r["status"], r["salesforce_id"] or r["entity_id"], r["name"],
                f"{r['field']} (owner {r['owner']})", r["ours"], r["theirs"],
                f"{r['their_source']} ({display(r['their_ts'])})"] for r in rows],
              [_hint(c) for c in found]).print()
    return 0


def _row(conflict: Conflict, fields: SubscriptionFields, name: RecordName) -> dict[str, Any]:
    return {"id": conflict.id, "status": conflict.status,
            "entity_type": conflict.entity_type, "entity_id": conflict.entity_id,
            "salesforce_id": name.salesforce_id, "name": name.name,
            "field": fields.org(conflict.field), "owner": conflict.owner,
            "ours": conflict.ours, "theirs": conflict.theirs,
            "their_source": conflict.their_source, "their_ts": conflict.their_ts,
            "created_at": conflict.created_at, "resolved_at": conflict.resolved_at}


def _hint(conflict: Conflict) -> str | None:
    if conflict.status != ConflictStatus.OPEN:
        return None
    return (f"settle with 'crm-connector conflicts resolve {conflict.id} "
            "--take salesforce|stripe'")
