"""Opening the ledger database and bringing its schema up to date.

SQLite connections are tuned for a long-running daemon sharing one file between threads:
write-ahead logging, enforced foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for
every transaction. The last one means a transaction takes the write lock when it starts,
so a read-then-write batch waits for a concurrent writer instead of failing with
"database is locked" halfway through; the price is that a session must not stay open
across slow work (network calls), or it blocks every other writer.

The ledger holds names, emails and whole event payloads, so a SQLite file is created readable
by its owner only (0600); SQLite gives its ``-wal`` and ``-shm`` files the database file's
mode. A file found with a wider mode is tightened, with a warning in the log.

Commits use ``synchronous=NORMAL``: in WAL mode a commit survives a crash of the process but
may be lost on power loss until the next checkpoint. Writes that are acknowledged to someone
outside (the webhook receiver's 2xx) go through :func:`durable_connection`, which syncs
the commit to disk before it returns.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from connector.errors import ConfigError

log = structlog.get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
LEDGER_FILE_MODE = 0o600
"""Permissions of a SQLite ledger file and its ``-wal``/``-shm`` companions."""
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
# Any fixed number: replicas starting together take turns to migrate a PostgreSQL ledger.
_MIGRATION_LOCK_ID = 0x4C454447


def make_engine(url: str) -> Engine:
    """Create an engine for the ledger at ``url`` (any SQLAlchemy URL).

    For a SQLite file the parent folder is created when missing, and the file is created
    (or tightened to) mode 0600, its WAL and shared-memory files likewise.

    Args:
        url: e.g. ``sqlite:////var/lib/crm-connector/ledger.db`` or
            ``postgresql+psycopg://user@host/db``.

    Returns:
        An engine; nothing is connected until first use.
    """
    sa_url = make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        return _sqlite_engine(sa_url)
    return create_engine(sa_url, pool_pre_ping=True)


def open_migrated(url: str) -> Engine:
    """An engine for the ledger at ``url`` with its schema brought up to date.

    Raises:
        ConfigError: the URL names no database this installation can open, the SQLite file
            cannot be created, or the database refuses the connection; one problem, keyed
            ``ledger.url``, with the password hidden.
    """
    shown = _shown(url)
    try:
        engine = make_engine(url)
        migrate(engine)
    except (ArgumentError, NoSuchModuleError):
        raise ConfigError([f"ledger.url: {shown!r} is not a database URL this installation "
                           "can open (sqlite:///PATH, or postgresql+psycopg://USER@HOST/DB "
                           "with the postgres extra installed)"]) from None
    except OSError as exc:
        raise ConfigError([f"ledger.url: cannot create the ledger file for {shown}: "
                           f"{exc.strerror or exc} ({exc.filename or ''})"]) from None
    except OperationalError as exc:
        reason = (str(exc.orig).strip().splitlines() or [str(exc)])[0]
        raise ConfigError([f"ledger.url: cannot open the ledger at {shown}: {reason}"]
                          ) from None
    return engine


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.rsplit("@", maxsplit=1)[-1] if "@" in url else url


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        _private_file(Path(url.database).expanduser())
    engine = create_engine(url)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _private_file(path: Path) -> None:
    """Create ``path`` (and its folder) readable by its owner only, or tighten it and its
    companions; SQLite creates ``-wal``/``-shm`` later with the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, LEDGER_FILE_MODE))
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        try:
            mode = stat.S_IMODE(companion.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & ~LEDGER_FILE_MODE:
            companion.chmod(LEDGER_FILE_MODE)
            log.warning("ledger file was readable by others; tightened", path=str(companion),
                        mode=f"{mode:04o}", now=f"{LEDGER_FILE_MODE:04o}")


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    # Take transaction control away from the sqlite3 module; _begin_immediate emits BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 64 MiB of page cache instead of 2: the links and journal indexes of a 100,000-record
        # backfill stay in memory.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def durable_connection(sessions: sessionmaker[Session], *, durable: bool = True,
                       ) -> Iterator[Connection]:
    """A connection whose commits are on disk when ``commit()`` returns, power loss included.

    On SQLite the connection runs with ``synchronous=FULL`` (the WAL is synced at every
    commit); on PostgreSQL with ``synchronous_commit = on`` whatever the server's default.
    Either gets its previous setting back before it returns to the pool.

    Args:
        sessions: the ledger's session maker (its engine is used).
        durable: False gives an ordinary connection (the benchmark's comparison).
    """
    bind = sessions.kw["bind"]
    with bind.connect() as connection, _synchronous(connection, durable):
        yield connection


@contextmanager
def durable_session(sessions: sessionmaker[Session], *, durable: bool = True,
                    ) -> Iterator[Session]:
    """A session on a :func:`durable_connection`; the caller begins and commits as usual
    (``with durable_session(s) as session, session.begin():``)."""
    with durable_connection(sessions, durable=durable) as connection, \
            Session(connection, expire_on_commit=False) as session:
        yield session


@contextmanager
def _synchronous(connection: Connection, durable: bool) -> Iterator[None]:
    dialect = connection.dialect.name
    if durable and dialect == "sqlite":
        with _sqlite_synchronous_full(connection):
            yield
    elif durable and dialect == "postgresql":
        connection.exec_driver_sql("SET synchronous_commit = on")
        connection.commit()
        try:
            yield
        finally:
            connection.rollback()
            connection.exec_driver_sql("RESET synchronous_commit")
            connection.commit()
    else:
        yield


@contextmanager
def _sqlite_synchronous_full(connection: Connection) -> Iterator[None]:
    # Through the driver's connection: a SQLAlchemy statement would begin a transaction,
    # and SQLite refuses to change ``synchronous`` inside one.
    driver = connection.connection.driver_connection
    assert driver is not None
    (previous,) = driver.execute("PRAGMA synchronous").fetchone()
    driver.execute("PRAGMA synchronous=FULL")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA synchronous={int(previous)}")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session maker bound to ``engine``.

    Objects stay readable after ``commit()`` (``expire_on_commit=False``): a daemon
    commits a batch and then logs or dispatches what it wrote.
    """
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def rolled_back(sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """Sessions like ``sessions`` whose work is all undone when the block ends.

    Everything runs on one connection inside one transaction; each session's commit becomes
    the release of a savepoint, each rollback the rollback of its savepoint, and the outer
    transaction is rolled back at the end, so code that commits behaves exactly as it would
    and leaves no trace (``plan``). While the block runs it holds the ledger's write lock on
    SQLite.
    """
    bind = sessions.kw["bind"]
    with bind.connect() as connection:
        transaction = connection.begin()
        try:
            yield sessionmaker(connection, expire_on_commit=False,
                               join_transaction_mode="create_savepoint")
        finally:
            transaction.rollback()


@contextmanager
def private_copy(sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """Sessions whose work touches nothing another process or thread can see (``plan``).

    A SQLite ledger is copied page by page (SQLite's online backup, which in WAL mode only
    reads, so webhooks and the daemon go on writing meanwhile) into a private folder next to
    the ledger; the sessions work on the copy, which is deleted when the block ends. They may
    commit and hold the copy's write lock for as long as they like, across network calls,
    without making a single writer of the real ledger wait.

    PostgreSQL has no ledger-wide write lock: there the work runs in one transaction that is
    rolled back (:func:`rolled_back`); other writers wait on it only for a row it also wrote.
    An in-memory SQLite ledger (tests) cannot be copied and is rolled back the same way.
    """
    engine = sessions.kw["bind"]
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        with rolled_back(sessions) as undone:
            yield undone
        return
    with tempfile.TemporaryDirectory(prefix=".plan-", dir=Path(database).parent) as folder:
        copy = create_engine(f"sqlite:///{Path(folder) / 'ledger.db'}")
        try:
            _backup(engine, copy)
            event.listen(copy, "connect", _configure_sqlite_connection)
            event.listen(copy, "begin", _begin_immediate)
            copy.dispose()  # reconnect with the daemon's settings
            yield session_factory(copy)
        finally:
            copy.dispose()


def _backup(source: Engine, target: Engine) -> None:
    """Copy the SQLite database behind ``source`` into the one behind ``target``."""
    reading, writing = source.raw_connection(), target.raw_connection()
    try:
        reading.driver_connection.backup(writing.driver_connection)  # type: ignore[union-attr]
    finally:
        writing.close()
        reading.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic config for the packaged migrations.

    Args:
        connection: when given, migrations run on it (inside its transaction).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the ledger schema to the newest revision, in one transaction.

    Safe to call on every start and from several processes at once: on PostgreSQL the
    upgrade holds an advisory lock, on SQLite the write lock.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:id)")
            connection.execute(lock, {"id": _MIGRATION_LOCK_ID})
        command.upgrade(alembic_config(connection), "head")


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision the ledger is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """Return the newest schema revision this version of the connector ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
