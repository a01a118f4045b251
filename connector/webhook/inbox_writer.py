"""Storing webhook deliveries by group commit: one writer thread, one transaction per batch.

Each request hands its parsed event to the writer and waits for the answer. The writer takes
every event waiting (up to ``max_batch``), stores them in one transaction, commits it durably
(:func:`~connector.ledger.stripe_inbox.store_all_committed`), and only then answers each
request, so "committed before 2xx" holds exactly as with one transaction per request, at the
price of one disk sync per batch instead of per request. Under load the batches grow and the
syncs stay few; alone, an event is committed at once. The ledger's write lock is taken by one
thread instead of one per request, so requests never wait on each other's lock.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import Clock
from connector.errors import RetriableError
from connector.ledger import stripe_inbox
from connector.ledger.stripe_inbox import StripeEventRecord

log = structlog.get_logger(__name__)

MAX_BATCH = 256
"""Events committed together at most."""


class LedgerUnavailableError(RetriableError):
    """The inbox could not be written (locked, disk full, database down): answer 503."""


@dataclass(frozen=True)
class _Pending:
    event: StripeEventRecord
    answer: Future[bool] = field(default_factory=Future)


_STOP = object()


class InboxWriter:
    """The inbox's single writer for the webhook receiver.

    Args:
        sessions: the ledger.
        clock: stamps ``received_at`` (the moment the batch is written).
        durable: sync each commit to disk (``synchronous=FULL``); False only to measure.
        max_batch: events committed together at most.
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, *, durable: bool = True,
                 max_batch: int = MAX_BATCH) -> None:
        self._sessions = sessions
        self._clock = clock
        self._durable = durable
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> InboxWriter:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Store what was submitted, then stop the thread."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    def submit(self, event: StripeEventRecord) -> Future[bool]:
        """Queue ``event``; the future gives whether it was new once it is committed.

        The future fails with :class:`LedgerUnavailableError` when the ledger could not
        store it (nothing was committed for it).

        Raises:
            RuntimeError: the writer is not running.
        """
        if self._thread is None:
            raise RuntimeError("the inbox writer is not running")
        pending = _Pending(event)
        self._queue.put(pending)
        return pending.answer

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._next_batch()
            if batch:
                self._write(batch)

    def _next_batch(self) -> tuple[list[_Pending], bool]:
        """What is waiting (blocking for the first), and whether a stop came with it."""
        batch: list[_Pending] = []
        item = self._queue.get()
        while item is not _STOP:
            assert isinstance(item, _Pending)
            batch.append(item)
            if len(batch) >= self._max_batch:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
        return batch, True

    def _write(self, batch: list[_Pending]) -> None:
        # A request cancelled while it waited (the server shutting down) was never answered;
        # the others can no longer be cancelled once marked running.
        batch = [pending for pending in batch if pending.answer.set_running_or_notify_cancel()]
        if not batch:
            return
        try:
            added = stripe_inbox.store_all_committed(
                self._sessions, [p.event for p in batch], self._clock.now(),
                durable=self._durable)
        except SQLAlchemyError as exc:
            log.error("stripe inbox write failed", events=len(batch), error=str(exc))
            _fail(batch, LedgerUnavailableError(f"the ledger could not store the event: {exc}"))
            return
        except Exception as exc:  # a bug: fail these requests, keep the writer alive
            log.exception("stripe inbox writer error", events=len(batch))
            _fail(batch, exc)
            return
        for pending, new in zip(batch, added, strict=True):
            pending.answer.set_result(new)


def _fail(batch: list[_Pending], failure: BaseException) -> None:
    for pending in batch:
        pending.answer.set_exception(failure)
