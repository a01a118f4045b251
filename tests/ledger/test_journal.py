"""The journal's diff helper and append-only recording."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.ledger.journal import diff, record_change
from connector.ledger.models import ChangeKind, JournalEntry, Source, SubscriptionStatus

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_equal_records_have_no_diff() -> None:
    record = {"quantity": 3, "status": "active", "end": date(2026, 12, 31)}

    assert diff(record, dict(record)) == {}


def test_diff_lists_only_changed_fields_as_old_new_pairs() -> None:
    old = {"quantity": 3, "status": "potential", "name": "Acme"}
    new = {"quantity": 5, "status": "active", "name": "Acme"}

    assert diff(old, new) == {"quantity": [3, 5], "status": ["potential", "active"]}


def test_a_missing_field_counts_as_none() -> None:
    assert diff({}, {"name": "Acme", "csm": None}) == {"name": [None, "Acme"]}
    assert diff({"name": "Acme"}, {}) == {"name": ["Acme", None]}


def test_values_compare_by_value_not_representation() -> None:
    utc = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    paris = utc.astimezone(timezone(timedelta(hours=1)))

    assert diff({"qty": Decimal("3.00"), "at": utc}, {"qty": 3, "at": paris}) == {}


def test_record_change_stores_a_json_safe_diff(session: Session) -> None:
    changes = diff({"status": "potential", "start": None, "qty": Decimal("1")},
                   {"status": SubscriptionStatus.ACTIVE, "start": date(2026, 4, 1),
                    "qty": Decimal("2.5")})

    entry = record_change(session, entity_type="subscription", entity_id="sub-1",
                          source=Source.SALESFORCE, source_ts=NOW - timedelta(seconds=5),
                          kind=ChangeKind.UPDATE, diff=changes, recorded_at=NOW, run_id="run-1")
    session.commit()
    session.expire_all()

    stored = session.scalars(select(JournalEntry)).one()
    assert stored.id == entry.id
    assert stored.diff == {"qty": ["1", "2.5"], "start": [None, "2026-04-01"],
                           "status": ["potential", "active"]}
    assert (stored.source, stored.kind, stored.run_id) == ("salesforce", "update", "run-1")
    assert stored.source_ts == NOW - timedelta(seconds=5)


def test_an_update_without_changes_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="empty diff"):
        record_change(session, entity_type="account", entity_id="acc-1", source="stripe",
                      source_ts=None, kind="update", diff={}, recorded_at=NOW)
