"""Matching ``METHOD /v1/...`` to the handler that answers it.

A handler gets a :class:`Call` (the account, the request's parameters and the ids in its
path) and returns the rendered JSON; it reads every parameter it accepts, calls
:meth:`Params.finish` before changing anything, and raises :class:`ApiError` to refuse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.errors import ApiError
from crm_emulators.stripe_emulator.params import Params
from crm_emulators.stripe_emulator.records import Json

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Call:
    """One API call as a handler sees it.

    Attributes:
        backend: the emulated account (its lock is held).
        params: the decoded query or form parameters, minus ``expand``.
        path: the ids named in the URL (``{"id": "cus_..."}``).
        url: the request path, as list objects report it.
    """

    backend: Backend
    params: Params
    path: dict[str, str]
    url: str


Handler = Callable[[Call], Json]


@dataclass(frozen=True)
class Route:
    """A method and path template (``/v1/customers/{id}``) and the handler serving it."""

    method: str
    template: str
    handler: Handler

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path's ids when this route serves ``method path``, else None."""
        if method != self.method:
            return None
        found = re.fullmatch(_PLACEHOLDER.sub(r"(?P<\1>[^/]+)", self.template), path)
        return found.groupdict() if found else None


class Router:
    """The routes of the API, tried in order.

    Args:
        routes: every route served.
    """

    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes = list(routes)

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler for ``method path`` and the ids in the path.

        Raises:
            ApiError: 404 for a URL (or method) the API does not have, as Stripe words it.
        """
        for route in self._routes:
            ids = route.match(method, path)
            if ids is not None:
                return route.handler, ids
        raise ApiError(404, "invalid_request_error",
                       f"Unrecognized request URL ({method}: {path}). Please see "
                       "https://stripe.com/docs or we can help at https://support.stripe.com/.")
