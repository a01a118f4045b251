"""Knobs that make the emulated org misbehave the way a real one and its network do.

Faults apply to every request (OAuth included) in arrival order; they are decided before the
request is authenticated or counted, so a failed request never spends the daily allocation.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RESET = 0  # the status of a fault that drops the connection instead of answering

# What Salesforce puts in the error array for the statuses tests usually inject.
_CODES = {500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this "
                "ErrorId if you contact support: 1421981043-34875 (-1883185163)"),
          502: ("SERVER_UNAVAILABLE", "Bad Gateway"),
          503: ("SERVER_UNAVAILABLE", "Service temporarily unavailable, please retry"),
          504: ("SERVER_UNAVAILABLE", "Gateway Timeout")}


@dataclass(frozen=True)
class Fault:
    """What to do to one request: answer ``status`` or, when ``status`` is RESET, drop the
    connection without answering."""

    status: int

    @property
    def resets(self) -> bool:
        """Whether the connection is dropped."""
        return self.status == RESET

    def error(self) -> dict[str, str]:
        """The element of the error array answered with ``status``."""
        code, message = _CODES.get(self.status, ("UNKNOWN_EXCEPTION", f"HTTP {self.status}"))
        return {"message": message, "errorCode": code}


# Salesforce's wording of the per-record errors tests usually make records fail with.
_RECORD_MESSAGES = {
    "UNABLE_TO_LOCK_ROW": "unable to obtain exclusive access to this record or 1 records",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "Quantity must be positive",
    "DUPLICATE_VALUE": "duplicate value found: Ledger_Id__c duplicates value on record",
}


@dataclass
class _Rejection:
    field: str
    value: Any
    code: str
    message: str
    remaining: int | None


class Faults:
    """Scheduled and random failures plus added latency; thread-safe.

    Scheduled failures (:meth:`fail_next`, :meth:`reset_next`) come first, in the order they
    were scheduled; otherwise a request fails with probability :meth:`fail_fraction`.
    :meth:`reject_record` makes single records of sObject Collections and Bulk API ingest
    jobs fail with a chosen error while the rest of the batch is written.
    """

    def __init__(self) -> None:
        self._rejections: list[_Rejection] = []
        self._scheduled: deque[int] = deque()
        self._fraction = 0.0
        self._status = 503
        self._random = random.Random(0)
        self._latency = 0.0
        self._lock = threading.Lock()

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` requests with HTTP ``status`` and Salesforce's error body."""
        with self._lock:
            self._scheduled.extend([status] * count)

    def reset_next(self, count: int) -> None:
        """Drop the connection of the next ``count`` requests without answering."""
        with self._lock:
            self._scheduled.extend([RESET] * count)

    def fail_fraction(self, fraction: float, seed: int = 0, status: int = 503) -> None:
        """Answer a random ``fraction`` (0 to 1) of requests with ``status``, reproducibly."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        with self._lock:
            self._fraction, self._status, self._random = fraction, status, random.Random(seed)

    def latency(self, seconds: float) -> None:
        """Delay every answer by ``seconds`` (0 to stop)."""
        with self._lock:
            self._latency = max(0.0, seconds)

    def reject_record(self, field: str, value: Any, code: str, message: str | None = None,
                      times: int | None = None) -> None:
        """Fail each written record whose ``field`` is ``value`` with ``code`` (``times`` times,
        or always), as a validation rule, a lock or a trigger would."""
        text = message or _RECORD_MESSAGES.get(code, f"{code} on {field} = {value}")
        with self._lock:
            self._rejections.append(_Rejection(field, value, code, text, times))

    def rejection(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        """The per-record error a write of ``record`` suffers, if any (counts one use)."""
        with self._lock:
            for rule in self._rejections:
                if rule.remaining != 0 and record.get(rule.field) == rule.value:
                    rule.remaining = None if rule.remaining is None else rule.remaining - 1
                    return {"statusCode": rule.code, "message": rule.message,
                            "fields": [] if rule.code == "UNABLE_TO_LOCK_ROW" else [rule.field]}
        return None

    def clear(self) -> None:
        """Behave normally again."""
        with self._lock:
            self._rejections.clear()
            self._scheduled.clear()
            self._fraction, self._latency = 0.0, 0.0

    @property
    def delay(self) -> float:
        """Seconds every answer is currently delayed by."""
        return self._latency

    def pick(self) -> Fault | None:
        """The fault the current request suffers, if any."""
        with self._lock:
            if self._scheduled:
                return Fault(self._scheduled.popleft())
            if self._fraction and self._random.random() < self._fraction:
                return Fault(self._status)
        return None
