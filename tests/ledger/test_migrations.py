"""Schema migrations: up, down, from the CLI, and in step with the models."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, Engine, inspect

from connector.ledger.database import (
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    migrate,
)
from connector.ledger.models import metadata

REPO_ROOT = Path(__file__).resolve().parents[2]


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_migrate_creates_every_table_from_empty(engine: Engine) -> None:
    assert current_revision(engine) is None

    migrate(engine)

    assert current_revision(engine) == head_revision() is not None
    assert _tables(engine) == set(metadata.tables) | {"alembic_version"}


def test_migrate_again_is_a_no_op(ledger: Engine) -> None:
    migrate(ledger)

    assert current_revision(ledger) == head_revision()


def test_concurrent_migrations_take_turns(engine: Engine) -> None:
    # Replicas of the daemon start together and each migrates on start.
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda _: migrate(engine), range(3)))

    assert current_revision(engine) == head_revision()


@pytest.mark.filterwarnings(  # migration 0005's SQLite expression index (see MoneyEntry)
    "ignore:Skipped unsupported reflection of expression-based index")
def test_models_match_the_migrations(ledger: Engine) -> None:
    with ledger.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_check_constraints_match_the_migrations(ledger: Engine) -> None:
    # Autogenerate does not compare CHECK constraints; their names at least must agree.
    inspector = inspect(ledger)
    for table in metadata.sorted_tables:
        declared = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        reflected = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert reflected == declared, table.name


def test_downgrade_to_base_drops_every_table(ledger: Engine) -> None:
    with ledger.begin() as connection:
        command.downgrade(alembic_config(connection), "base")

    assert current_revision(ledger) is None
    assert _tables(ledger) == {"alembic_version"}


def _alembic(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRM_CONNECTOR_LEDGER_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True,
    )


def test_alembic_cli_upgrades_from_the_repo_root(ledger_url: str) -> None:
    _alembic("upgrade", "head", url=ledger_url)

    engine = make_engine(ledger_url)
    try:
        assert current_revision(engine) == head_revision()
        assert _tables(engine) >= set(metadata.tables)
    finally:
        engine.dispose()


def test_alembic_cli_prints_offline_sql(tmp_path: Path) -> None:
    result = _alembic("upgrade", "head", "--sql", url=f"sqlite:///{tmp_path / 'x.db'}")

    assert "CREATE TABLE accounts" in result.stdout
    assert not (tmp_path / "x.db").exists()
