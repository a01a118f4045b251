"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.world import World, start


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Emulators up, sample org and catalog seeded, an engine on an empty ledger."""
    started = start(tmp_path)
    try:
        yield started
    finally:
        started.stack.stop()
