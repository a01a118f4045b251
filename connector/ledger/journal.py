"""The journal: an append-only history of every change to every ledger entity.

There is deliberately no way to edit history here: this module only appends, and the ORM
refuses to update or delete a :class:`~connector.ledger.models.JournalEntry`
(:class:`~connector.ledger.models.AppendOnlyError`).

Applying the same change twice must be a no-op ("echoes die by value"): callers compute
:func:`diff` between the ledger's values and the incoming ones and record nothing when it is
empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from connector.ledger.models import ChangeKind, JournalEntry, Source, metadata

Diff = dict[str, list[Any]]


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> Diff:
    """Return ``{field: [old, new]}`` for every field whose value differs.

    A field missing from one side counts as ``None`` there, so ``diff({}, new)`` describes a
    creation and ``diff(old, {})`` a deletion. Values compare with ``==`` (``Decimal("1.0")``
    equals ``1``; aware datetimes compare as instants). Equal mappings give ``{}``.
    """
    changed: Diff = {}
    for field in sorted(old.keys() | new.keys()):
        before, after = old.get(field), new.get(field)
        if before != after:
            changed[field] = [before, after]
    return changed


def record_change(
    session: Session,
    *,
    entity_type: str,
    entity_id: str,
    source: Source | str,
    source_ts: datetime | None,
    kind: ChangeKind | str,
    diff: Mapping[str, list[Any]],
    recorded_at: datetime,
    run_id: str | None = None,
) -> JournalEntry:
    """Append one journal entry to ``session`` (flushed, not committed).

    The entry commits with the caller's transaction, together with the entity change it
    describes. Values in ``diff`` are stored as JSON: datetimes and dates become ISO 8601
    strings, ``Decimal`` a string, enums their value.

    Args:
        session: the session of the ingest transaction.
        entity_type: e.g. ``"subscription"``, with ``entity_id`` its ledger id.
        source: who changed it (a :class:`~connector.ledger.models.Source` value), and
            ``source_ts`` when the source says it changed, if it says.
        kind: ``create``, ``update`` or ``delete``.
        diff: ``{field: [old, new]}`` as returned by :func:`diff`.
        recorded_at: now, from the caller's clock; ``run_id`` the sync run or batch.

    Raises:
        ValueError: an update with an empty diff (there is nothing to record).
    """
    if kind == ChangeKind.UPDATE and not diff:
        raise ValueError(f"empty diff for an update of {entity_type} {entity_id}")
    entry = JournalEntry(
        entity_type=entity_type, entity_id=entity_id, source=str(source), source_ts=source_ts,
        kind=str(kind), diff={field: [jsonable(v) for v in pair] for field, pair in diff.items()},
        recorded_at=recorded_at, run_id=run_id,
    )
    session.add(entry)
    session.flush()
    return entry


def append_all(session: Session, entries: list[dict[str, Any]]) -> None:
    """Append many journal entries at once (one multi-row INSERT), for bulk ingest.

    Each entry holds the arguments of :func:`record_change` after ``session`` (``source_ts``
    and ``run_id`` may be left out); the same rules apply.

    Raises:
        ValueError: an update with an empty diff.
    """
    rows = []
    for entry in entries:
        if entry["kind"] == ChangeKind.UPDATE and not entry["diff"]:
            raise ValueError(f"empty diff for an update of {entry['entity_type']} "
                             f"{entry['entity_id']}")
        rows.append({**entry, "source": str(entry["source"]), "kind": str(entry["kind"]),
                     "source_ts": entry.get("source_ts"), "run_id": entry.get("run_id"),
                     "diff": {f: [jsonable(v) for v in pair] for f, pair in entry["diff"].items()}})
    if rows:  # a Core INSERT: ORM bookkeeping would cost more than the write itself
        session.execute(insert(metadata.tables["journal"]), rows)


_PLAIN = frozenset({str, int, float, bool})


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it: enums by value, dates in ISO 8601, decimals as text."""
    if value is None or type(value) in _PLAIN:  # the common case, checked cheaply
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
