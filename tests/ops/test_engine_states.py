"""The engine sets connection states around each system's part of a cycle (emulators)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.world import World, start
from sqlalchemy import text

from connector.cli import main
from connector.commands.status_command import EXIT_ATTENTION
from connector.config import load_config
from connector.errors import FatalError
from connector.ledger import daemon_state
from connector.ledger.models import ConnectionState
from connector.ops import states
from connector.ops.hooks import LAST_CYCLE
from connector.ops.states import set_paused
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.engine import SyncEngine
from connector.sync.wiring import build_engine


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    started = start(tmp_path)
    try:
        yield started
    finally:
        started.stack.stop()


def _kept(world: World) -> dict[str, ConnectionState]:
    with world.engine.sessions() as session:
        return {system: c.state for system, c in states.read(session).items()}


def _engine(world: World, **secrets: str) -> SyncEngine:
    config = load_config(world.folder / "config.toml")
    return build_engine(config, Secrets({**world.stack.environment(), **secrets}),
                        world.clock, retry=NO_WAIT)


def test_a_clean_cycle_leaves_both_systems_idle_and_reports_itself(world: World) -> None:
    world.cycle()

    assert _kept(world) == {"salesforce": ConnectionState.IDLE,
                            "stripe": ConnectionState.IDLE}
    last = daemon_state.get(world.engine.sessions, LAST_CYCLE)
    assert last is not None
    assert last["ok"] is True
    assert last["last_success"] == world.clock.now().isoformat()


def test_a_paused_system_is_skipped_until_resumed(world: World) -> None:
    set_paused(world.engine.sessions, ["stripe"], True, world.clock.now())
    calls = world.engine.services.stripe.transport.total_calls

    report = world.cycle()

    assert "stripe" in report.paused
    assert world.engine.services.stripe.transport.total_calls == calls
    assert report.generated.subscriptions  # Salesforce went on
    assert _kept(world)["stripe"] == ConnectionState.PAUSED

    set_paused(world.engine.sessions, ["stripe"], False, world.clock.now())
    world.cycle()
    assert world.engine.services.stripe.transport.total_calls > calls
    assert _kept(world)["stripe"] == ConnectionState.IDLE


def test_a_refused_stripe_key_is_unauthorized_and_a_recorded_fact(world: World) -> None:
    engine = _engine(world, STRIPE_API_KEY="sk_live_not_this_account")

    with pytest.raises(FatalError, match="Invalid API Key"):
        engine.run_cycle()

    assert _kept(world)["stripe"] == ConnectionState.UNAUTHORIZED
    with engine.sessions() as session:
        facts = states.changes(session)
    assert [(f.system, f.new) for f in facts] == [("stripe", ConnectionState.UNAUTHORIZED)]


def test_a_refused_salesforce_login_is_unauthorized(world: World) -> None:
    engine = _engine(world, SALESFORCE_CLIENT_SECRET="wrong")

    with pytest.raises(FatalError):
        engine.run_cycle()

    assert _kept(world)["salesforce"] == ConnectionState.UNAUTHORIZED


def test_stripe_failing_after_retries_is_a_system_error_then_recovers(world: World) -> None:
    world.stack.stripe.faults.fail_next(1000, status=503)

    report = world.cycle()

    assert "stripe" in report.deferred
    assert _kept(world) == {"salesforce": ConnectionState.IDLE,
                            "stripe": ConnectionState.SYSTEM_ERROR}
    assert world.engine.ops.last_success is None
    world.stack.stripe.faults.clear()
    world.cycle()
    assert _kept(world)["stripe"] == ConnectionState.IDLE
    assert world.engine.ops.last_success == world.clock.now()


def test_a_ledger_that_cannot_be_used_stops_the_cycle_as_db_unavailable(world: World) -> None:
    world.cycle()
    with world.engine.sessions() as session, session.begin():
        session.execute(text("ALTER TABLE connection_states RENAME TO away"))

    with pytest.raises(FatalError, match="the ledger cannot be used"):
        world.cycle()

    shown = world.engine.ops.states.current()
    assert {c.state for c in shown.values()} == {ConnectionState.DB_UNAVAILABLE}


def test_status_shows_the_states(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.cycle()
    set_paused(world.engine.sessions, ["salesforce"], True, world.clock.now())

    assert main(["status", "--config", str(world.folder / "config.toml")]) == EXIT_ATTENTION
    out = capsys.readouterr().out
    assert "ATTENTION:     salesforce is paused by an admin" in out
    assert "  salesforce   PAUSED since " in out
    assert "paused by an admin" in out
    assert "  stripe       IDLE since " in out
    assert "last cycle:    full at " in out


def test_plan_changes_no_state(world: World) -> None:
    world.cycle()
    world.stack.stripe.faults.fail_next(1000, status=503)

    world.engine.dry_run(lambda ledger, report: report.deferred)

    assert _kept(world)["stripe"] == ConnectionState.IDLE
    with world.engine.sessions() as session:
        assert states.changes(session) == []


def test_pause_and_resume_commands(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(world.folder / "config.toml")

    assert main(["pause", "salesforce", "--config", config]) == 0
    assert main(["pause", "--config", config]) == 0
    out = capsys.readouterr().out
    assert "salesforce: paused; the daemon skips it from its next cycle" in out
    assert "salesforce: already paused" in out
    report = world.cycle()
    assert sorted(report.paused) == ["salesforce", "stripe"]
    assert not report.generated.subscriptions

    assert main(["resume", "all", "--config", config]) == 0
    assert world.cycle().generated.subscriptions
    assert _kept(world) == {"salesforce": ConnectionState.IDLE,
                            "stripe": ConnectionState.IDLE}
