"""The Salesforce API budget: our calls by kind and the org's daily usage.

Every response carries ``Sforce-Limit-Info: api-usage=USED/LIMIT``; the meter keeps the last
reading. Once the org's usage reaches ``max_share`` of its allocation (or Salesforce answers
403 ``REQUEST_LIMIT_EXCEEDED``) the meter refuses further calls, except a usage probe, until a
reading shows usage has fallen again.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from connector.errors import BudgetExhaustedError


@dataclass
class ApiMeter:
    """Counts our Salesforce calls and tracks the org's daily usage.

    Attributes:
        max_share: the share of the org's daily allocation we may spend (0 < share <= 1).
        calls: our calls by kind (query, upsert, describe, ...), since start.
        used: the org's usage as last reported by ``Sforce-Limit-Info``.
        limit: the org's daily allocation as last reported.
    """

    max_share: float = 0.5
    calls: Counter[str] = field(default_factory=Counter)
    used: int | None = None
    limit: int | None = None
    _unsaved: int = field(default=0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, kind: str, usage: tuple[int, int] | None) -> None:
        """Count one call of ``kind`` and remember the usage the response reported."""
        with self._lock:
            self.calls[kind] += 1
            self._unsaved += 1
            if usage is not None:
                self.used, self.limit = usage

    def mark_exhausted(self) -> None:
        """Salesforce refused a call for the daily allocation: treat the budget as spent."""
        with self._lock:
            if self.limit:
                self.used = max(self.used or 0, self.limit)
            else:
                self.used, self.limit = 1, 1

    def take_unsaved(self) -> int:
        """Calls made since the last time this was asked (for the ledger's daily tally)."""
        with self._lock:
            count, self._unsaved = self._unsaved, 0
            return count

    @property
    def total_calls(self) -> int:
        """Every call we made, all kinds together."""
        return sum(self.calls.values())

    @property
    def allowance(self) -> int | None:
        """Org usage at which we stop: ``max_share`` of the allocation (None before a reading)."""
        return None if not self.limit else int(self.limit * self.max_share)

    @property
    def paused(self) -> bool:
        """Whether our share of the allocation is spent."""
        allowance = self.allowance
        return allowance is not None and self.used is not None and self.used >= allowance

    def check(self) -> None:
        """Raise BudgetExhaustedError when our share of the daily allocation is spent."""
        if self.paused:
            raise BudgetExhaustedError(
                f"Salesforce API budget reached: {self.used}/{self.limit} calls used today, "
                f"max_api_share = {self.max_share}; pausing Salesforce work until usage falls"
            )
