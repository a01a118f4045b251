"""Saved answers to ``Idempotency-Key`` requests, per API key."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from urllib.parse import parse_qsl

from connector.sandbox.stripe_emulator.errors import ApiError


@dataclass(frozen=True)
class Saved:
    """The first answer to a keyed request, replayed byte for byte.

    Attributes:
        fingerprint: what the request asked (method, path, parameters).
        status: the HTTP status answered.
        body: the exact body answered.
        request_id: the ``Request-Id`` of the first request.
    """

    fingerprint: str
    status: int
    body: bytes
    request_id: str


class IdempotencyKeys:
    """Answers saved under ``(API key, Idempotency-Key)``, kept for the emulator's life."""

    def __init__(self) -> None:
        self._saved: dict[tuple[str, str], Saved] = {}
        self._lock = threading.Lock()

    def replay(self, api_key: str, key: str, fingerprint: str) -> Saved | None:
        """The saved answer for ``key``, or None when the key is new.

        Raises:
            ApiError: 400 ``idempotency_error`` when the key was used with other parameters.
        """
        with self._lock:
            saved = self._saved.get((api_key, key))
        if saved is not None and saved.fingerprint != fingerprint:
            raise ApiError(400, "idempotency_error",
                           "Keys for idempotent requests can only be used with the same "
                           "parameters they were first used with. Try using a key other than "
                           f"'{key}' if you meant to execute a different request.")
        return saved

    def save(self, api_key: str, key: str, saved: Saved) -> None:
        """Keep ``saved`` as the answer for ``key``."""
        with self._lock:
            self._saved[(api_key, key)] = saved


def fingerprint(method: str, path: str, raw: str) -> str:
    """A digest of the request that ignores the order of its parameters."""
    pairs = sorted(parse_qsl(raw, keep_blank_values=True))
    return hashlib.sha256(repr((method, path, pairs)).encode()).hexdigest()
