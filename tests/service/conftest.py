"""Fixtures for the service tests: seeded emulators and a daemon config pointing at them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from crm_emulators.seed import seed_salesforce, seed_stripe
from crm_emulators.stack import EmulatorStack
from service.processes import REPO


@pytest.fixture
def stack() -> Iterator[EmulatorStack]:
    """The three emulators with the sample org and price catalog."""
    started = EmulatorStack.start()
    try:
        seed_salesforce(started.salesforce, date.today())
        seed_stripe(started.stripe)
        time.sleep(1.1)  # the daemon reads only finished seconds
        yield started
    finally:
        started.stop()


@pytest.fixture
def config(stack: EmulatorStack, tmp_path: Path) -> Path:
    """A config.toml for a daemon against ``stack``, with a SQLite ledger in ``tmp_path``."""
    return stack.write_config(tmp_path, REPO / "mappings", REPO / "templates")


def with_ledger(config: Path, url: str) -> Path:
    """Point ``config`` at the ledger ``url`` instead of its SQLite file; return it."""
    lines = config.read_text(encoding="utf-8").splitlines()
    lines = [f'url = "{url}"' if line.startswith("url = ") else line for line in lines]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config
