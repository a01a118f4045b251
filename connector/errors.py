"""The exceptions callers catch, named by what the caller should do.

Adapters convert vendor errors (``requests``, ``stripe``, ``sqlalchemy``) into these in
exactly one function each; nothing above an adapter catches a vendor exception.

    ConnectorError
    ├── ConfigError                 bad config or mapping: fix the file, the daemon refuses it
    ├── FatalError                  stop this run; retrying cannot help (bad credentials, ...)
    │   └── AuthenticationError     the login itself was refused
    ├── RetriableError              transient: retry later with backoff (5xx, timeouts, resets)
    │   ├── RateLimitedError        the service asked us to slow down (429, Retry-After)
    │   └── BudgetExhaustedError    our own API budget or the org's allocation is spent: pause
    ├── SkippableError              this one record cannot be applied: dead-letter it, go on
    │   ├── ValidationRejectedError the target refused the record (validation rule, picklist)
    │   └── IdempotencyConflictError a reused idempotency key with other parameters
    └── NotAvailableError           the capability is not built yet
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error the connector raises on purpose."""


class ConfigError(ConnectorError):
    """A configuration or mapping file is invalid.

    Attributes:
        problems: every problem found, each formatted ``file: key.path: reason``.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class FatalError(ConnectorError):
    """The current run must stop; retrying the same call cannot succeed."""


class AuthenticationError(FatalError):
    """The service refused our credentials."""


class RetriableError(ConnectorError):
    """A transient failure; the same call may succeed later.

    Attributes:
        retry_after: seconds the service asked us to wait, when it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class RateLimitedError(RetriableError):
    """The service answered 429 (or its equivalent)."""


class BudgetExhaustedError(RetriableError):
    """The API allocation we may spend is used up; pause this system until it recovers."""


class SkippableError(ConnectorError):
    """One record cannot be applied; dead-letter it with ``code`` and go on with the batch.

    Attributes:
        code: the service's error code (e.g. ``DUPLICATE_VALUE``), or ours.
    """

    def __init__(self, message: str, *, code: str = "UNKNOWN") -> None:
        self.code = code
        super().__init__(message)


class ValidationRejectedError(SkippableError):
    """The target system rejected the record's content."""


class IdempotencyConflictError(SkippableError):
    """An idempotency key was reused with different parameters; never retried."""


class NotAvailableError(ConnectorError):
    """The requested capability does not exist yet in this version."""
