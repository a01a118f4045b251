"""Between cycles: a changed, valid mapping set is swapped in; an invalid one is refused."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connector.clock import ManualClock
from connector.ledger import daemon_state
from connector.ledger.database import make_engine, migrate, session_factory
from connector.mapping import DataModel, MappingSet, load_mappings
from connector.sync.mapping_reload import MappingReloader

REPO = Path(__file__).resolve().parents[2]
MODEL = DataModel.offline(REPO / "salesforce")
OPP = "opportunity_to_subscription.toml"


@dataclass
class FakeEngine:
    """All the reloader touches of the engine: its mapping set."""

    mappings: MappingSet


@dataclass
class Setup:
    folder: Path
    engine: FakeEngine
    reloader: MappingReloader
    sessions: Any
    loads: list[str]

    def edit(self, old: str, new: str) -> None:
        path = self.folder / OPP
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    def state(self) -> dict[str, dict[str, Any]]:
        with self.sessions() as session:
            return daemon_state.read_all(session)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    folder = tmp_path / "mappings"
    shutil.copytree(REPO / "mappings", folder)
    ledger = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(ledger)
    sessions = session_factory(ledger)
    loads: list[str] = []

    def load() -> MappingSet:
        loads.append("load")
        return load_mappings(folder, MODEL)

    engine = FakeEngine(load_mappings(folder, MODEL))
    reloader = MappingReloader(engine, load, folder, sessions,  # type: ignore[arg-type]
                               ManualClock(datetime(2026, 12, 2, tzinfo=UTC)))
    reloader.publish()
    yield Setup(folder, engine, reloader, sessions, loads)
    ledger.dispose()


def test_unchanged_files_are_not_even_read_again(setup: Setup) -> None:
    assert setup.reloader.check() is False
    assert setup.loads == []


def test_a_valid_change_is_swapped_in_and_published(setup: Setup) -> None:
    setup.edit("default = 12", "default = 24")

    assert setup.reloader.check() is True
    assert setup.engine.mappings.opportunity_to_subscription.apply(
        {"Opportunity": {"Id": "006"}})["Term_Months__c"] == 24
    assert setup.state()[daemon_state.MAPPINGS_IN_USE]["digest"] == setup.engine.mappings.digest


def test_an_invalid_change_is_refused_once_and_cleared_when_fixed(setup: Setup) -> None:
    good = setup.engine.mappings
    setup.edit('transform = ["upper"]', 'transform = ["uper"]')

    assert setup.reloader.check() is False
    assert setup.reloader.check() is False  # the same refused files are not tried again
    assert setup.loads == ["load"]
    assert setup.engine.mappings is good
    refused = setup.state()[daemon_state.MAPPINGS_REFUSED]
    assert refused["problems"] == [
        f"{setup.folder / OPP}:51: fields.Currency__c.transform[0]: unknown transform 'uper' "
        "(did you mean 'upper'?)"]

    setup.edit('transform = ["uper"]', 'transform = ["upper"]')

    assert setup.reloader.check() is False  # back to the set in use: nothing to swap
    assert daemon_state.MAPPINGS_REFUSED not in setup.state()
    assert setup.state()[daemon_state.MAPPINGS_IN_USE]["digest"] == good.digest


def test_a_forced_reload_reads_the_files_even_when_unchanged(setup: Setup) -> None:
    assert setup.reloader.check(force=True) is True
    assert setup.loads == ["load"]
