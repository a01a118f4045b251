"""The emulated account: records, time, events and settings, and the helpers every
operation uses to create and change objects so the right events follow."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from crm_emulators.clock import Clock
from crm_emulators.stripe_emulator.events import EventLog, previous_attributes
from crm_emulators.stripe_emulator.ids import IdFactory
from crm_emulators.stripe_emulator.records import Json, Record, TestClock
from crm_emulators.stripe_emulator.render import render
from crm_emulators.stripe_emulator.settings import DunningPolicy
from crm_emulators.stripe_emulator.store import Store
from crm_emulators.stripe_emulator.timeline import Timeline

R = TypeVar("R", bound=Record)


class Backend:
    """Everything an API call or the billing engine reads and changes.

    Callers hold :attr:`lock` for the whole of a multi-step change.

    Args:
        clock: the global time source.
        api_version: the version events are rendered in.
        dunning: retry and give-up rules for failed payments.
        ids: id source (seeded in tests for reproducible ids).
    """

    def __init__(self, clock: Clock, api_version: str, dunning: DunningPolicy,
                 ids: IdFactory | None = None) -> None:
        self.store = Store()
        self.ids = ids or IdFactory()
        self.timeline = Timeline(clock)
        self.events = EventLog(self.store, self.ids, api_version)
        self.dunning = dunning
        self.api_version = api_version
        self.failing_customers: set[str] = set()
        self.lock = self.store.lock
        self._pinned: int | None = None

    def now(self, test_clock: str | None = None) -> int:
        """Current time for objects on ``test_clock`` (its frozen time), else global time.

        While the billing engine processes a due action, time is pinned to that moment.
        """
        if self._pinned is not None:
            return self._pinned
        if test_clock is not None:
            clock = self.store.find(TestClock, test_clock)
            if clock is not None:
                return clock.frozen_time
        return self.timeline.now()

    def now_for(self, record: Record) -> int:
        """Current time on ``record``'s clock."""
        return self.now(record.test_clock)

    @contextmanager
    def pinned(self, moment: int) -> Iterator[None]:
        """Make :meth:`now` answer ``moment`` inside the block."""
        previous, self._pinned = self._pinned, moment
        try:
            yield
        finally:
            self._pinned = previous

    def render(self, record: Record) -> Json:
        """The record's JSON as the API returns it."""
        return render(record, self.store)

    def add(self, record: R, *, announce: bool = True) -> R:
        """Store a new record; emit ``<kind>.created`` when the kind has events."""
        self.store.add(record)
        if announce and record.EVENTS:
            self.emit(f"{record.EVENTS}.created", record)
        return record

    def emit(self, event_type: str, record: Record, previous: Json | None = None) -> None:
        """Emit ``event_type`` with a snapshot of ``record``."""
        self.events.emit(event_type, self.render(record), self.now_for(record), previous)

    @contextmanager
    def changes(self, record: Record, *event_types: str) -> Iterator[None]:
        """Emit events for the changes made to ``record`` inside the block.

        With no ``event_types``, emits ``<kind>.updated`` if anything changed. Otherwise
        emits each given type; ``*.updated`` ones only if something changed, with
        ``previous_attributes``.
        """
        before = self.render(record)
        yield
        after = self.render(record)
        for event_type in event_types or (f"{record.EVENTS}.updated",):
            if event_type.endswith(".updated"):
                if before != after:
                    self.events.emit(event_type, after, self.now_for(record),
                                     previous_attributes(before, after))
            else:
                self.events.emit(event_type, after, self.now_for(record))
