"""Saved answers to ``Idempotency-Key`` requests, per API key, pruned after 24 hours.

Stripe: "Keys are eligible to be removed from the system automatically after they're at
least 24 hours old, and a new request is generated if a key is reused after the original
has been pruned." The emulator prunes a key as soon as it is 24 hours old on the account's
clock (the earliest Stripe may), so a client that relies on a key for longer is caught.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl

from crm_emulators.stripe_emulator.errors import ApiError

KEY_LIFETIME = timedelta(hours=24)
"""How long a saved answer is replayed (measured on the account's clock)."""


@dataclass(frozen=True)
class Saved:
    """The first answer to a keyed request, replayed byte for byte.

    Attributes:
        fingerprint: what the request asked (method, path, parameters).
        status: the HTTP status answered.
        body: the exact body answered.
        request_id: the ``Request-Id`` of the first request.
        saved_at: when it was saved (Unix seconds on the account's clock).
    """

    fingerprint: str
    status: int
    body: bytes
    request_id: str
    saved_at: float = 0.0


class IdempotencyKeys:
    """Answers saved under ``(API key, Idempotency-Key)`` for :data:`KEY_LIFETIME`.

    Args:
        now: the account's time in Unix seconds (it stamps and ages the saved answers).
    """

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._saved: dict[tuple[str, str], Saved] = {}
        self._lock = threading.Lock()

    def replay(self, api_key: str, key: str, fingerprint: str) -> Saved | None:
        """The saved answer for ``key``, or None when the key is new or was pruned.

        Raises:
            ApiError: 400 ``idempotency_error`` when the key was used with other parameters.
        """
        with self._lock:
            self._prune()
            saved = self._saved.get((api_key, key))
        if saved is not None and saved.fingerprint != fingerprint:
            raise ApiError(400, "idempotency_error",
                           "Keys for idempotent requests can only be used with the same "
                           "parameters they were first used with. Try using a key other than "
                           f"'{key}' if you meant to execute a different request.")
        return saved

    def save(self, api_key: str, key: str, status: int, body: bytes, *, fingerprint: str,
             request_id: str) -> None:
        """Keep the answer for ``key``, stamped with the account's current time."""
        with self._lock:
            self._saved[(api_key, key)] = Saved(fingerprint, status, body, request_id,
                                                self._now())

    def _prune(self) -> None:
        # Saved in time order (a slot is saved again only after it was pruned), so the
        # expired answers are the first ones.
        oldest = self._now() - KEY_LIFETIME.total_seconds()
        while self._saved:
            slot, saved = next(iter(self._saved.items()))
            if saved.saved_at > oldest:
                return
            del self._saved[slot]


def fingerprint(method: str, path: str, raw: str) -> str:
    """A digest of the request that ignores the order of its parameters."""
    pairs = sorted(parse_qsl(raw, keep_blank_values=True))
    return hashlib.sha256(repr((method, path, pairs)).encode()).hexdigest()
