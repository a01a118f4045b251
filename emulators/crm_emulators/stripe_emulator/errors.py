"""Stripe's error responses as one exception type, raised anywhere and rendered at the edge.

Every failure the emulator reports is an :class:`ApiError`; the gateway turns it into
``{"error": {...}}`` with the status code real Stripe uses for that case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DOCS = "https://stripe.com/docs/error-codes"


@dataclass
class ApiError(Exception):
    """An error response in Stripe's shape.

    Attributes:
        status: HTTP status code.
        type: ``invalid_request_error``, ``card_error``, ``idempotency_error`` or ``api_error``.
        message: the human-readable text.
        code: Stripe's machine-readable code, when it has one.
        param: the parameter at fault, when one is.
        extra: further keys of the error object (``decline_code``, ``charge``, ...).
        replayable: whether an idempotent retry should get this same answer back (errors
            raised while validating a request are not saved, as on real Stripe).
    """

    status: int
    type: str
    message: str
    code: str | None = None
    param: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    replayable: bool = False

    def __str__(self) -> str:
        return f"{self.status} {self.type}: {self.message}"

    def body(self, request_id: str) -> dict[str, Any]:
        """The JSON body Stripe sends for this error."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"{DOCS}/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    """A 400 ``invalid_request_error``."""
    return ApiError(400, "invalid_request_error", message, code=code, param=param)


def missing(param: str) -> ApiError:
    """A required parameter was not sent."""
    return invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")


def unknown(param: str) -> ApiError:
    """A parameter the endpoint does not accept was sent."""
    return invalid(f"Received unknown parameter: {param}", param=param,
                   code="parameter_unknown")


def no_such(label: str, ident: str, param: str = "id") -> ApiError:
    """A 404 for an object id that does not exist."""
    return ApiError(404, "invalid_request_error", f"No such {label}: '{ident}'",
                    code="resource_missing", param=param)


def card_declined(decline_code: str, message: str, **extra: Any) -> ApiError:
    """A 402 ``card_error``; saved for idempotent replay because the charge was attempted."""
    return ApiError(402, "card_error", message, code="card_declined", param="",
                    extra={"decline_code": decline_code, **extra}, replayable=True)


def server_error(status: int = 500) -> ApiError:
    """A 5xx ``api_error``."""
    text = ("An unknown error occurred" if status == 500
            else "Stripe is temporarily unavailable. Please retry the request.")
    return ApiError(status, "api_error", text)
