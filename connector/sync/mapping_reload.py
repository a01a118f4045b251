"""Keeping a running daemon's mapping set current, between cycles.

Before each cycle the daemon compares the digest of the mapping files with the set in use.
A changed set is validated and, when valid, swapped in whole (the engine reads its mappings
only through one attribute, set between cycles, so a cycle never sees half of a change). An
invalid set is refused: the last good one stays in force and the refusal, with every
problem, is logged and kept in the ledger's ``daemon_state`` for ``status``. A refused set
is not tried again until the files change again; SIGHUP forces a reload either way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import structlog
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import Clock
from connector.errors import ConfigError
from connector.ledger import daemon_state
from connector.mapping import MappingSet
from connector.mapping.loader import digest
from connector.sync.engine import SyncEngine

log = structlog.get_logger(__name__)


class MappingReloader:
    """Swaps a changed, valid mapping set into ``engine``; refuses an invalid one.

    Args:
        engine: the engine whose ``mappings`` are kept current.
        load: validates and loads the mapping files (raises ConfigError with the problems).
        directory: the mapping folder (its digest is watched).
        sessions: the ledger, where the outcome is published for ``status``.
        clock: stamps what is published.
    """

    def __init__(self, engine: SyncEngine, load: Callable[[], MappingSet], directory: Path,
                 sessions: sessionmaker[Session], clock: Clock) -> None:
        self._engine = engine
        self._load = load
        self._directory = directory
        self._sessions = sessions
        self._clock = clock
        self._refused: str | None = None

    def publish(self) -> None:
        """Record the set in use (at start) and clear any refusal left from an earlier run."""
        self._publish_in_use()
        daemon_state.put(self._sessions, daemon_state.MAPPINGS_REFUSED, None, self._clock.now())

    def check(self, *, force: bool = False) -> bool:
        """Reload when the files differ from the set in use (or when forced).

        Returns:
            Whether a new set is now in force.
        """
        on_disk = digest(self._directory)
        if on_disk == self._engine.mappings.digest and not force:
            self._forget_refusal()
            return False
        if on_disk == self._refused and not force:
            return False
        try:
            fresh = self._load()
        except ConfigError as exc:
            self._refuse(on_disk, exc.problems)
            return False
        self._swap(fresh)
        return True

    def _swap(self, fresh: MappingSet) -> None:
        previous = self._engine.mappings.digest
        self._engine.mappings = fresh
        self._publish_in_use()
        self._forget_refusal()
        log.info("mappings reloaded", digest=fresh.digest[:12], previous=previous[:12])

    def _refuse(self, on_disk: str, problems: list[str]) -> None:
        self._refused = on_disk
        log.error("mapping change refused; keeping the last good set",
                  in_use=self._engine.mappings.digest[:12], refused=on_disk[:12],
                  problems=problems)
        daemon_state.put(self._sessions, daemon_state.MAPPINGS_REFUSED, {
            "digest": on_disk, "problems": problems, "at": self._clock.now().isoformat(),
        }, self._clock.now())

    def _forget_refusal(self) -> None:
        if self._refused is None:
            return
        self._refused = None
        daemon_state.put(self._sessions, daemon_state.MAPPINGS_REFUSED, None, self._clock.now())

    def _publish_in_use(self) -> None:
        mappings = self._engine.mappings
        daemon_state.put(self._sessions, daemon_state.MAPPINGS_IN_USE, {
            "digest": mappings.digest, "directory": str(mappings.directory),
            "since": self._clock.now().isoformat(),
        }, self._clock.now())
