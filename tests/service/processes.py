"""``daemon.py`` in a subprocess against the emulators, and a stand-in for systemd's
notification socket (an AF_UNIX datagram socket the test binds)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from crm_emulators.stack import EmulatorStack

REPO = Path(__file__).resolve().parents[2]
WAIT = 90.0
"""Seconds a wait on the daemon may take before the test fails (a hang, not a measure)."""


@dataclass
class Message:
    """One datagram the daemon sent, and what the test saw when it arrived."""

    fields: dict[str, str]
    seen: dict[str, object]


@dataclass
class NotifySocket:
    """A bound ``NOTIFY_SOCKET``; a thread keeps every datagram in :attr:`messages`.

    ``observe`` is called as each datagram arrives; what it returns is kept with it (for
    example what the emulators held at that moment).
    """

    path: Path
    observe: Callable[[], dict[str, object]] = dict
    messages: list[Message] = field(default_factory=list)
    _socket: socket.socket | None = None
    _thread: threading.Thread | None = None

    def start(self) -> NotifySocket:
        """Bind and listen."""
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(self.path))
        self._socket.settimeout(0.2)
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()
        return self

    def _receive(self) -> None:
        assert self._socket is not None
        while self._socket.fileno() >= 0:
            try:
                data = self._socket.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            lines = data.decode().splitlines()
            self.messages.append(Message(dict(line.split("=", 1) for line in lines),
                                         self.observe()))

    def stop(self) -> None:
        """Close the socket."""
        if self._socket is not None:
            self._socket.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def having(self, key: str, value: str | None = None) -> list[Message]:
        """The messages so far that carry ``key`` (equal to ``value`` if given)."""
        return [m for m in list(self.messages)
                if key in m.fields and (value is None or m.fields[key] == value)]

    def wait_for(self, key: str, value: str | None = None, *, count: int = 1,
                 process: DaemonProcess | None = None) -> list[Message]:
        """Wait until ``count`` messages carry ``key`` (= ``value``); return them."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            found = self.having(key, value)
            if len(found) >= count:
                return found
            if process is not None and process.process.poll() is not None:
                raise AssertionError(f"daemon exited before {key}:\n{process.logs()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"fewer than {count} {key} messages within {WAIT} s: "
                             f"{[m.fields for m in self.messages]}")


@contextmanager
def notify_socket(observe: Callable[[], dict[str, object]] = dict) -> Iterator[NotifySocket]:
    """A listening notification socket in a short private folder (AF_UNIX paths are short)."""
    folder = Path(tempfile.mkdtemp(prefix="sdn-"))
    listener = NotifySocket(folder / "notify", observe).start()
    try:
        yield listener
    finally:
        listener.stop()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class DaemonProcess:
    """A ``daemon.py`` process whose stderr (JSON logs) goes to a file."""

    process: subprocess.Popen[bytes]
    stderr: Path

    def logs(self) -> str:
        """Everything it wrote to stderr so far."""
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str) -> None:
        """Wait until stderr holds ``text``; fail if the process exits first."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if text in self.logs():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"daemon exited ({self.process.returncode}) before "
                                     f"{text!r}:\n{self.logs()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} within {WAIT} s:\n{self.logs()[-3000:]}")

    def finish(self) -> int:
        """Wait for it to exit by itself; return its exit status."""
        return self.process.wait(timeout=WAIT)

    def terminate(self) -> int:
        """SIGTERM, then wait; return its exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.finish()

    def kill9(self) -> None:
        """SIGKILL by pid, then reap it."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WAIT)


def start_daemon(stack: EmulatorStack, config: Path, *args: str,
                 env: dict[str, str] | None = None) -> DaemonProcess:
    """Start ``daemon.py ARGS --config CONFIG`` with the emulators' secrets (and ``env``)."""
    name = "-".join(args).replace("/", "_")
    stderr = config.parent / f"{name}-{time.monotonic_ns()}.log"
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                                 "CRM_CONNECTOR_CRASHPOINT")}
    environment.update(stack.environment())
    environment.update(env or {})
    with stderr.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "daemon.py", *args, "--config", str(config)], cwd=REPO,
            env=environment, stdout=subprocess.DEVNULL, stderr=sink)
    return DaemonProcess(process, stderr)
