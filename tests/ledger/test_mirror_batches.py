"""Mirroring a batch in one unit of work: prefetched links and rows, new rows written in
multi-row INSERTs, later changes in the same unit kept, the journal complete."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import ManualClock
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.mirrors import upsert_mirror
from connector.ledger.models import Account, JournalEntry, Link, Opportunity, System
from connector.ledger.unit_of_work import unit_of_work

CLOCK = ManualClock(datetime(2026, 11, 22, 10, tzinfo=UTC))


def _ledger(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(engine)
    return session_factory(engine)


def _opportunity(account_id: str, name: str) -> dict[str, object]:
    return {"account_id": account_id, "name": name, "stage": "Prospecting", "currency": "usd"}


def test_rows_added_and_changed_in_one_unit_land_with_their_last_values(tmp_path: Path) -> None:
    sessions = _ledger(tmp_path)
    with unit_of_work(sessions, CLOCK, "run-1") as uow:
        uow.prefetch(System.SALESFORCE, "Account", Account, ["001A"])
        account = upsert_mirror(uow, Account, "Account", "001A", {"name": "Acme"})
        upsert_mirror(uow, Opportunity, "Opportunity", "006A", _opportunity(account.id, "Deal"))
        upsert_mirror(uow, Account, "Account", "001A", {"name": "Acme Robotics"})
        uow.session.flush()  # a flush in the middle writes the new rows first
        upsert_mirror(uow, Account, "Account", "001A", {"name": "Acme Robotics Inc"})

    with sessions() as session:
        stored = session.scalars(select(Account)).one()
        journal = list(session.scalars(select(JournalEntry).order_by(JournalEntry.id)))
        links = session.scalar(select(func.count()).select_from(Link))
    assert stored.name == "Acme Robotics Inc"
    assert [(e.entity_type, e.kind) for e in journal] == [
        ("account", "create"), ("opportunity", "create"), ("account", "update"),
        ("account", "update")]
    assert links == 2


def test_a_prefetched_batch_finds_what_earlier_batches_stored(tmp_path: Path) -> None:
    sessions = _ledger(tmp_path)
    with unit_of_work(sessions, CLOCK, "run-1") as uow:
        first = upsert_mirror(uow, Account, "Account", "001A", {"name": "Acme"})

    with unit_of_work(sessions, CLOCK, "run-2") as uow:
        uow.prefetch(System.SALESFORCE, "Account", Account, ["001A", "001B"])
        again = upsert_mirror(uow, Account, "Account", "001A", {"name": "Acme"})
        other = upsert_mirror(uow, Account, "Account", "001B", {"name": "Globex"})

    with sessions() as session:
        names = sorted(session.scalars(select(Account.name)))
        entries = session.scalar(select(func.count()).select_from(JournalEntry))
    assert again.id == first.id
    assert other.id != first.id
    assert names == ["Acme", "Globex"]
    assert entries == 2  # the unchanged account is not journaled again
