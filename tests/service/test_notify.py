"""The notifier: the protocol's lines, silence without $NOTIFY_SOCKET, the watchdog interval."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from connector.service.notify import Notifier, watchdog_interval


class Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def notify(self, state: str) -> None:
        self.sent.append(state)


def test_each_message_is_the_protocols_line() -> None:
    recorder = Recorder()
    notifier = Notifier(recorder)

    notifier.ready("running; all ok")
    notifier.status("two\nlines")
    notifier.watchdog()
    notifier.extend_start(4.5)
    notifier.stopping("stopping")

    assert recorder.sent == ["READY=1\nSTATUS=running; all ok", "STATUS=two lines",
                             "WATCHDOG=1", "EXTEND_TIMEOUT_USEC=4500000",
                             "STOPPING=1\nSTATUS=stopping"]


def test_without_notify_socket_nothing_is_sent_and_nothing_fails() -> None:
    notifier = Notifier.from_environment({})

    notifier.ready("x")
    notifier.watchdog()
    notifier.stopping("y")

    assert not notifier.enabled


def test_with_notify_socket_the_datagrams_reach_it(tmp_path: Path) -> None:
    path = tmp_path / "n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(path))
        listener.settimeout(5)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("NOTIFY_SOCKET", str(path))
            notifier = Notifier.from_environment()
        notifier.status("hello")
        notifier.watchdog()

        assert listener.recv(100) == b"STATUS=hello"
        assert listener.recv(100) == b"WATCHDOG=1"


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, None),
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "junk"}, None),
    ({"WATCHDOG_USEC": "300000000"}, 300.0),
    ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "42"}, 2.0),
    ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "43"}, None),  # meant for another process
])
def test_the_watchdog_interval_is_read_as_sd_watchdog_enabled_reads_it(
        environ: dict[str, str], expected: float | None) -> None:
    assert watchdog_interval(environ, pid=42) == expected
