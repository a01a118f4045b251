"""The service link: READY once a full cycle connected, the start timeout extended only
during the first full cycle, watchdog pings only while the cycles are alive."""

from __future__ import annotations

from datetime import UTC, datetime

from connector.service.link import ServiceLink
from connector.service.notify import Notifier
from connector.service.progress import CycleMonitor
from connector.sync.report import CycleReport


class Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def notify(self, state: str) -> None:
        self.sent.append(state)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _link() -> tuple[ServiceLink, Recorder, Clock, list[int]]:
    recorder, clock, calls = Recorder(), Clock(), [0]
    monitor = CycleMonitor(lambda: calls[0], stall=10, idle=70, monotonic=clock)
    link = ServiceLink(Notifier(recorder), monitor, beat=2.5,
                       now=lambda: datetime(2026, 12, 7, 16, 0, tzinfo=UTC))
    return link, recorder, clock, calls


def test_the_first_full_cycle_extends_the_start_then_ready_then_watchdog() -> None:
    link, sent, _clock, calls = _link()
    link.cycle_started("full")
    calls[0] += 1
    link.heartbeat()
    link.cycle_finished("full", CycleReport("r"), None)
    link.heartbeat()

    assert sent.sent[0] == "EXTEND_TIMEOUT_USEC=20000000"
    assert sent.sent[1].startswith("READY=1\nSTATUS=running; last full cycle ok at 16:00:00")
    assert sent.sent[2:] == ["WATCHDOG=1"]


def test_a_first_cycle_that_cannot_connect_is_not_ready_and_later_ones_do_not_extend() -> None:
    link, sent, _clock, calls = _link()
    link.cycle_started("full")
    link.cycle_finished("full", CycleReport("r", deferred=["salesforce"]), None)
    link.cycle_started("full")
    calls[0] += 1
    link.heartbeat()
    link.cycle_finished("full", None, "AuthenticationError")

    assert not link.ready
    assert [s.split("=")[0] for s in sent.sent] == ["STATUS", "STATUS"]
    assert "salesforce deferred" in sent.sent[0]
    assert "failed (AuthenticationError)" in sent.sent[1]


def test_a_stripe_cycle_alone_does_not_make_the_daemon_ready() -> None:
    link, sent, _, _ = _link()
    link.cycle_started("stripe")
    link.cycle_finished("stripe", CycleReport("r"), None)

    assert not link.ready
    assert sent.sent[0].startswith("STATUS=starting; last stripe cycle ok")


def test_a_hung_cycle_gets_no_ping() -> None:
    link, sent, clock, _ = _link()
    link.cycle_started("full")
    link.cycle_finished("full", CycleReport("r"), None)
    link.cycle_started("full")
    link.heartbeat()
    clock.now += 11
    link.heartbeat()
    link.heartbeat()

    assert sent.sent[1:] == ["WATCHDOG=1"]


def test_stopping_says_so_with_the_last_status() -> None:
    link, sent, _, _ = _link()
    link.cycle_started("full")
    link.cycle_finished("full", CycleReport("r"), None)
    link.stopping()

    assert sent.sent[-1].startswith("STOPPING=1\nSTATUS=stopping; last full cycle ok")
