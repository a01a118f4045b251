"""A throwaway PostgreSQL server for the test session.

The server runs from the machine's own binaries (``initdb`` and ``postgres`` on ``PATH`` or
under ``/usr/lib/postgresql/*/bin``), in a temporary folder, listening on loopback only, with
durability switched off for speed. PostgreSQL refuses to run as root, so under root it runs
as the ``postgres`` user when that exists, else ``nobody``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

STARTUP_TIMEOUT = 30.0
ADMIN_USER = "postgres"


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server binaries were found on this machine."""


def find_bin_dir() -> Path:
    """Return the folder holding ``initdb`` and ``postgres``, newest version first.

    Raises:
        PostgresUnavailableError: when neither ``PATH`` nor ``/usr/lib/postgresql`` has them.
    """
    initdb = shutil.which("initdb")
    if initdb and shutil.which("postgres"):
        return Path(initdb).resolve().parent
    installed = Path("/usr/lib/postgresql").glob("*/bin/initdb")
    candidates = sorted(installed, key=lambda p: _version_key(p.parent.parent.name), reverse=True)
    if candidates:
        return candidates[0].parent
    raise PostgresUnavailableError("no PostgreSQL binaries (initdb, postgres) on PATH or under "
                              "/usr/lib/postgresql/*/bin; install the postgresql package")


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


@dataclass(frozen=True)
class _RunAs:
    uid: int
    gid: int

    @classmethod
    def choose(cls) -> _RunAs | None:
        """The unprivileged user to run as when we are root, else None (run as ourselves)."""
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                return cls(entry.pw_uid, entry.pw_gid)
        raise PostgresUnavailableError("running as root and neither 'postgres' nor 'nobody' exists")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port



@dataclass
class PostgresServer:
    """One running server; use :func:`start` to get one and :meth:`stop` to end it."""

    bin_dir: Path
    root: Path
    run_as: _RunAs | None
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder."""
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        """Where the server writes its log."""
        return self.root / "server.log"

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        """Return the SQLAlchemy URL of ``database`` on this server."""
        return f"{driver}://{ADMIN_USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        user = self.run_as
        subprocess.run(
            args, check=True, capture_output=True, cwd=self.root,
            user=user.uid if user else None, group=user.gid if user else None,
            extra_groups=[] if user else None,
        )

    def init(self) -> None:
        """Create the cluster (trust authentication; the server only listens on loopback)."""
        if self.run_as is not None:
            os.chown(self.root, self.run_as.uid, self.run_as.gid)
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", ADMIN_USER,
            "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync",
        )

    def launch(self) -> None:
        """Start the server on a free loopback port and wait until it accepts connections."""
        self.port = _free_port()
        user = self.run_as
        settings = {
            "listen_addresses": "127.0.0.1", "port": str(self.port),
            "unix_socket_directories": str(self.root), "fsync": "off",
            "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "50",
        }
        options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [str(self.bin_dir / "postgres"), "-D", str(self.data_dir), *options],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.root,
                user=user.uid if user else None, group=user.gid if user else None,
                extra_groups=[] if user else None,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"postgres exited early:\n{self.log_file.read_text()}")
            with contextlib.suppress(psycopg.OperationalError):
                psycopg.connect(self._dsn("postgres"), connect_timeout=2).close()
                return
            time.sleep(0.1)
        raise RuntimeError(f"postgres did not start in {STARTUP_TIMEOUT}s:\n"
                           f"{self.log_file.read_text()}")

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={ADMIN_USER} dbname={database}"

    def _admin(self, statement: sql.Composed) -> None:
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as connection:
            connection.execute(statement)

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """Create an empty database, yield its SQLAlchemy URL, then drop it."""
        name = f"test_{uuid.uuid4().hex[:16]}"
        self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield self.url(name)
        finally:
            self._admin(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        """Shut the server down (fast mode) and delete its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STARTUP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def start() -> PostgresServer:
    """Create and start a server in a fresh temporary folder.

    Raises:
        PostgresUnavailableError: no server binaries on this machine.
    """
    bin_dir = find_bin_dir()
    # Not pytest's tmp_path: its parents are private to root, the server runs as another user.
    root = Path(tempfile.mkdtemp(prefix="crm-connector-pg-"))
    server = PostgresServer(bin_dir=bin_dir, root=root, run_as=_RunAs.choose())
    try:
        server.init()
        server.launch()
    except BaseException:
        server.stop()
        raise
    return server
