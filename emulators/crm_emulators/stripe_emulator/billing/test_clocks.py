"""Test clocks: frozen time for the customers on them, moved forward on request."""

from __future__ import annotations

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing.periods import DAY
from crm_emulators.stripe_emulator.billing.scheduler import run_due
from crm_emulators.stripe_emulator.errors import invalid
from crm_emulators.stripe_emulator.records import TestClock

LIFETIME = 30 * DAY
"""Stripe deletes a test clock this long after creating it."""


def create(backend: Backend, frozen_time: int, name: str | None) -> TestClock:
    """A new clock at ``frozen_time``; emits ``test_helpers.test_clock.created``."""
    now = backend.now()
    return backend.add(TestClock(id=backend.ids.new("clock"), created=now,
                                 frozen_time=frozen_time, name=name,
                                 deletes_after=now + LIFETIME))


def advance(backend: Backend, clock: TestClock, frozen_time: int) -> TestClock:
    """Move ``clock`` to ``frozen_time`` and bill everything that came due on it, in order;
    emits ``test_helpers.test_clock.advancing`` and then ``.ready``.

    Raises:
        ApiError: ``frozen_time`` is not after the clock's current time.
    """
    if frozen_time <= clock.frozen_time:
        raise invalid("The frozen time must be after the current frozen time of the test "
                      "clock.", param="frozen_time")
    with backend.changes(clock, "test_helpers.test_clock.advancing"):
        clock.status = "advancing"
    clock.frozen_time = frozen_time
    run_due(backend, clock.id)
    with backend.changes(clock, "test_helpers.test_clock.ready"):
        clock.status = "ready"
    return clock
