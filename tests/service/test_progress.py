"""The cycle monitor: a running cycle is alive while it progresses, an idle daemon while the
next cycle is still expected."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, text

from connector.service.progress import CycleMonitor


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _monitor(clock: Clock, calls: list[int]) -> CycleMonitor:
    return CycleMonitor(lambda: calls[0], stall=10, idle=70, monotonic=clock)


def test_a_cycle_that_keeps_calling_apis_stays_alive() -> None:
    clock, calls = Clock(), [0]
    monitor = _monitor(clock, calls)
    monitor.started("full")
    for _ in range(10):
        clock.now += 9
        calls[0] += 1
        assert monitor.check().alive


def test_a_cycle_quiet_for_the_stall_limit_is_hung() -> None:
    clock, calls = Clock(), [0]
    monitor = _monitor(clock, calls)
    monitor.started("full")
    monitor.check()
    clock.now += 9.9
    assert monitor.check().alive
    clock.now += 0.2

    health = monitor.check()

    assert not health.alive
    assert health.running == "full"
    assert health.quiet > 10


def test_between_cycles_the_daemon_is_alive_until_the_next_cycle_is_overdue() -> None:
    clock, calls = Clock(), [0]
    monitor = _monitor(clock, calls)
    monitor.started("full")
    monitor.finished()
    clock.now += 69
    assert monitor.check().alive
    clock.now += 2
    assert not monitor.check().alive
    monitor.started("stripe")
    assert monitor.check().alive


def test_ledger_statements_count_only_on_the_cycles_thread() -> None:
    clock, calls = Clock(), [0]
    monitor = _monitor(clock, calls)
    engine = create_engine("sqlite://")
    monitor.watch(engine)
    ready, done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def cycle() -> None:
        monitor.started("full")
        monitor.check()
        ready.set()
        done.wait(5)
        clock.now += 11
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        seen.append(monitor.check().alive)  # progressed on its own thread

    worker = threading.Thread(target=cycle)
    worker.start()
    ready.wait(5)
    clock.now += 11
    with engine.connect() as connection:  # a webhook's statement, on another thread
        connection.execute(text("SELECT 1"))
    assert not monitor.check().alive
    done.set()
    worker.join(5)
    engine.dispose()
    assert seen == [True]
