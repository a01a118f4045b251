"""One entry point, :func:`render`, that turns any record into Stripe's JSON for it."""

from __future__ import annotations

from functools import singledispatch

from crm_emulators.stripe_emulator.records import Json, Record
from crm_emulators.stripe_emulator.store import Store


def render(record: Record, store: Store) -> Json:
    """The JSON Stripe returns for ``record`` (a ``deleted`` stub for deleted ones)."""
    if record.deleted:
        return {"id": record.id, "object": record.OBJECT, "deleted": True}
    return render_live(record, store)


@singledispatch
def render_live(record: Record, store: Store) -> Json:
    """Render a live record; each resource module registers its kinds."""
    raise TypeError(f"no renderer for {type(record).__name__}")


def list_object(data: list[Json], url: str, has_more: bool = False) -> Json:
    """Stripe's list envelope."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
