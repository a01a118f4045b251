"""List endpoints: ``limit`` and the ``starting_after`` / ``ending_before`` cursors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from crm_emulators.stripe_emulator.errors import invalid, no_such
from crm_emulators.stripe_emulator.params import Params, or_default
from crm_emulators.stripe_emulator.records import Json, Record
from crm_emulators.stripe_emulator.render import list_object

R = TypeVar("R", bound=Record)

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


@dataclass(frozen=True)
class ListQuery:
    """Which page of a list was asked for."""

    limit: int = DEFAULT_LIMIT
    starting_after: str | None = None
    ending_before: str | None = None

    @classmethod
    def read(cls, params: Params) -> ListQuery:
        """Read ``limit``, ``starting_after`` and ``ending_before``.

        Raises:
            ApiError: a limit outside 1..100, or both cursors at once.
        """
        limit = or_default(params.integer("limit"), None) or DEFAULT_LIMIT
        if limit < 1:
            raise invalid("This value must be greater than or equal to 1.", param="limit")
        if limit > MAX_LIMIT:
            raise invalid(f"This value must be less than or equal to {MAX_LIMIT} (it "
                          f"currently is '{limit}').", param="limit")
        after = or_default(params.text("starting_after"), None)
        before = or_default(params.text("ending_before"), None)
        if after and before:
            raise invalid("You may only specify one of these parameters: ending_before, "
                          "starting_after.", param="ending_before")
        return cls(limit, after, before)


def paginate(rows: Sequence[R], query: ListQuery, url: str,
             render: Callable[[R], Json]) -> Json:
    """The page of ``rows`` (newest first) that ``query`` asks for, as a list object.

    Raises:
        ApiError: a cursor that is not among ``rows``.
    """
    ids = [row.id for row in rows]
    if query.starting_after is not None:
        start = _index(ids, query.starting_after, "starting_after", rows) + 1
        chosen, more = rows[start:start + query.limit], start + query.limit < len(rows)
    elif query.ending_before is not None:
        end = _index(ids, query.ending_before, "ending_before", rows)
        chosen, more = rows[max(0, end - query.limit):end], end - query.limit > 0
    else:
        chosen, more = rows[:query.limit], len(rows) > query.limit
    return list_object([render(row) for row in chosen], url, more)


def _index(ids: list[str], cursor: str, param: str, rows: Sequence[Record]) -> int:
    if cursor not in ids:
        label = type(rows[0]).label() if rows else "object"
        raise no_such(label, cursor, param)
    return ids.index(cursor)
