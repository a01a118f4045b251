"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from currency_orgs import multi_currency

from e2e.world import World, start


@pytest.fixture
def world(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    """Emulators up, sample org and catalog seeded, an engine on an empty ledger.

    The org has one currency unless the test runs ``@in_both_currency_orgs()``.
    """
    started = start(tmp_path, multi_currency=multi_currency(request))
    try:
        yield started
    finally:
        started.stack.stop()
