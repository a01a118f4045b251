"""Connection states in the ledger: pauses survive restarts, error transitions are facts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import ManualClock
from connector.ledger.models import ConnectionState
from connector.ops import states
from connector.ops.states import ConnectionStateChanged, ConnectionStates, set_paused


def _read(sessions: sessionmaker[Session]) -> dict[str, states.Connection]:
    with sessions() as session:
        return states.read(session)


def _facts(sessions: sessionmaker[Session]) -> list[ConnectionStateChanged]:
    with sessions() as session:
        return states.changes(session)


def test_a_state_is_kept_in_the_ledger_and_routine_ones_are_no_facts(
        sessions: sessionmaker[Session], clock: ManualClock) -> None:
    tracker = ConnectionStates(sessions, clock)
    tracker.set("salesforce", ConnectionState.POLLING)
    tracker.set("salesforce", ConnectionState.IDLE)

    kept = _read(sessions)
    assert kept["salesforce"].state == ConnectionState.IDLE
    assert kept["stripe"].state == ConnectionState.IDLE
    assert kept["stripe"].since is None
    assert _facts(sessions) == []


def test_entering_and_leaving_an_error_state_are_recorded_facts(
        sessions: sessionmaker[Session], clock: ManualClock) -> None:
    tracker = ConnectionStates(sessions, clock)
    tracker.set("stripe", ConnectionState.POLLING)
    tracker.set("stripe", ConnectionState.SYSTEM_ERROR, "Stripe 503: unavailable")
    clock.advance(timedelta(minutes=5))
    tracker.set("stripe", ConnectionState.SYSTEM_ERROR, "Stripe 503: unavailable")  # no fact
    tracker.set("stripe", ConnectionState.IDLE)

    facts = _facts(sessions)
    assert [(f.system, f.old, f.new, f.entered_error) for f in facts] == [
        ("stripe", ConnectionState.POLLING, ConnectionState.SYSTEM_ERROR, True),
        ("stripe", ConnectionState.SYSTEM_ERROR, ConnectionState.IDLE, False)]
    assert facts[0].reason == "Stripe 503: unavailable"
    assert facts[1].at - facts[0].at == timedelta(minutes=5)
    with sessions() as session:
        assert len(states.changes(session, unnotified=True)) == 2


def test_a_pause_persists_until_resumed(sessions: sessionmaker[Session],
                                        clock: ManualClock) -> None:
    assert set_paused(sessions, ["stripe"], True, clock.now()) == ["stripe"]
    assert set_paused(sessions, ["stripe", "salesforce"], True, clock.now()) == ["salesforce"]

    restarted = ConnectionStates(sessions, clock)
    assert restarted.paused() == {"salesforce", "stripe"}
    assert _read(sessions)["stripe"].state == ConnectionState.PAUSED

    assert set_paused(sessions, ["stripe"], False, clock.now()) == ["stripe"]
    assert restarted.paused() == {"salesforce"}
    assert _read(sessions)["stripe"].state == ConnectionState.IDLE


def test_a_restart_continues_from_the_kept_state(sessions: sessionmaker[Session],
                                                 clock: ManualClock) -> None:
    ConnectionStates(sessions, clock).set("salesforce", ConnectionState.UNAUTHORIZED, "refused")
    restarted = ConnectionStates(sessions, clock)
    restarted.restore()
    restarted.set("salesforce", ConnectionState.IDLE)

    assert [f.new for f in _facts(sessions)] == [ConnectionState.UNAUTHORIZED,
                                                 ConnectionState.IDLE]


def test_a_ledger_that_cannot_be_written_leaves_db_unavailable_in_memory(
        sessions: sessionmaker[Session], engine: Engine, clock: ManualClock) -> None:
    tracker = ConnectionStates(sessions, clock)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE connection_states RENAME TO away"))

    tracker.set("stripe", ConnectionState.POLLING)

    assert tracker.current()["stripe"].state == ConnectionState.DB_UNAVAILABLE
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE away RENAME TO connection_states"))
    tracker.set("stripe", ConnectionState.IDLE)  # the ledger is back: the facts land
    assert [(f.old, f.new) for f in _facts(sessions)] == [
        (ConnectionState.POLLING, ConnectionState.DB_UNAVAILABLE),
        (ConnectionState.DB_UNAVAILABLE, ConnectionState.IDLE)]
    assert _read(sessions)["stripe"].state == ConnectionState.IDLE
