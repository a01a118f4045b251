"""Links between ledger entities and their ids in Salesforce and Stripe.

Each entity has at most one id per system and object type (``Subscription__c``,
``subscription``, ...), and each external id belongs to at most one entity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from connector.errors import SkippableError
from connector.ledger.models import Link, System, metadata

CHUNK = 500  # ids per IN (...) query, well under every database's parameter limit


class LinkConflictError(SkippableError):
    """A link would give an external id two entities, or an entity two external ids."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="LINK_CONFLICT")


def link(
    session: Session,
    *,
    entity_type: str,
    entity_id: str,
    system: System | str,
    object_type: str,
    external_id: str,
) -> Link:
    """Record that ``entity_id`` is ``external_id`` in ``system``; idempotent.

    Returns:
        The link, new (added and flushed) or the one already there.

    Raises:
        LinkConflictError: the external id is linked to another entity, or the entity
            already has another id for this system and object type.
    """
    system = str(system)
    existing = _by_external(session, system, object_type, external_id)
    if existing is not None:
        if (existing.entity_type, existing.entity_id) != (entity_type, entity_id):
            raise LinkConflictError(
                f"{system} {object_type} {external_id} is already linked to "
                f"{existing.entity_type} {existing.entity_id}, not {entity_type} {entity_id}"
            )
        return existing
    other = _by_entity(session, entity_type, entity_id, system, object_type)
    if other is not None:
        raise LinkConflictError(
            f"{entity_type} {entity_id} is already linked to {system} {object_type} "
            f"{other.external_id}, not {external_id}"
        )
    new = Link(entity_type=entity_type, entity_id=entity_id, system=system,
               object_type=object_type, external_id=external_id)
    session.add(new)
    session.flush()
    return new


def link_many(
    session: Session,
    *,
    entity_type: str,
    system: System | str,
    object_type: str,
    pairs: Sequence[tuple[str, str]],
) -> None:
    """:func:`link` for many ``(entity_id, external_id)`` pairs of one entity type, system
    and object type: the links already there are read in two queries per ``CHUNK`` pairs and
    the new ones written in one multi-row INSERT; idempotent.

    Raises:
        LinkConflictError: a pair that :func:`link` would refuse (nothing is written then).
    """
    system = str(system)
    by_external, by_entity = _existing_links(session, entity_type, system, object_type, pairs)
    new = []
    for entity_id, external_id in pairs:
        _refuse_conflict(by_external, by_entity, (entity_type, entity_id), system=system,
                         object_type=object_type, external_id=external_id)
        if external_id not in by_external:
            new.append({"entity_type": entity_type, "entity_id": entity_id, "system": system,
                        "object_type": object_type, "external_id": external_id})
            by_external[external_id] = (entity_type, entity_id)
            by_entity[entity_id] = external_id
    if new:
        session.execute(insert(metadata.tables["links"]), new)


def _existing_links(session: Session, entity_type: str, system: str, object_type: str,
                    pairs: Sequence[tuple[str, str]],
                    ) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """The links already there for ``pairs``: owner by external id, external id by entity
    id (two queries per ``CHUNK`` pairs)."""
    by_external: dict[str, tuple[str, str]] = {}
    by_entity: dict[str, str] = {}
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start:start + CHUNK]
        for found in session.scalars(select(Link).where(
                Link.system == system, Link.object_type == object_type,
                Link.external_id.in_([e for _, e in chunk]))):
            by_external[found.external_id] = (found.entity_type, found.entity_id)
        for found in session.scalars(select(Link).where(
                Link.entity_type == entity_type, Link.system == system,
                Link.object_type == object_type, Link.entity_id.in_([i for i, _ in chunk]))):
            by_entity[found.entity_id] = found.external_id
    return by_external, by_entity


def _refuse_conflict(by_external: dict[str, tuple[str, str]], by_entity: dict[str, str],
                     entity: tuple[str, str], *, system: str, object_type: str,
                     external_id: str) -> None:
    """Raise :class:`LinkConflictError` where linking ``entity`` to ``external_id`` would
    take a link another entity holds, or replace the entity's own."""
    entity_type, entity_id = entity
    owner = by_external.get(external_id, entity)
    if owner != entity:
        raise LinkConflictError(
            f"{system} {object_type} {external_id} is already linked to {owner[0]} "
            f"{owner[1]}, not {entity_type} {entity_id}")
    if by_entity.get(entity_id, external_id) != external_id:
        raise LinkConflictError(
            f"{entity_type} {entity_id} is already linked to {system} {object_type} "
            f"{by_entity[entity_id]}, not {external_id}")


def externals_of(session: Session, entity_type: str, entity_ids: Sequence[str],
                 system: System | str, object_type: str) -> dict[str, str]:
    """The ids that ``entity_ids`` have in ``system`` as ``object_type``, by entity id (one
    query; the caller keeps ``entity_ids`` to a few hundred)."""
    query = select(Link.entity_id, Link.external_id).where(
        Link.entity_type == entity_type, Link.entity_id.in_(list(entity_ids)),
        Link.system == str(system), Link.object_type == object_type)
    return {entity: external for entity, external in session.execute(query)}


def find_entity(
    session: Session, system: System | str, object_type: str, external_id: str
) -> str | None:
    """Return the ledger id linked to ``external_id``, or None."""
    found = _by_external(session, str(system), object_type, external_id)
    return found.entity_id if found is not None else None


def find_external(
    session: Session, entity_type: str, entity_id: str, system: System | str, object_type: str
) -> str | None:
    """Return the id ``entity_id`` has in ``system`` as ``object_type``, or None."""
    found = _by_entity(session, entity_type, entity_id, str(system), object_type)
    return found.external_id if found is not None else None


def find_externals(
    session: Session, entity_type: str, entity_ids: Iterable[str], system: System | str,
    object_type: str, *, chunk: int = 500,
) -> dict[str, str]:
    """The ids ``entity_ids`` have in ``system`` as ``object_type``, by entity id (entities
    without one are absent), in one query per ``chunk`` ids."""
    wanted = list(dict.fromkeys(entity_ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), chunk):
        query = select(Link.entity_id, Link.external_id).where(
            Link.entity_type == entity_type, Link.system == str(system),
            Link.object_type == object_type, Link.entity_id.in_(wanted[start:start + chunk]))
        found.update({entity: external for entity, external in session.execute(query)})
    return found


def _by_external(session: Session, system: str, object_type: str, external_id: str) -> Link | None:
    return session.scalars(
        select(Link).where(
            Link.system == system, Link.object_type == object_type, Link.external_id == external_id
        )
    ).one_or_none()


def _by_entity(
    session: Session, entity_type: str, entity_id: str, system: str, object_type: str
) -> Link | None:
    return session.scalars(
        select(Link).where(
            Link.entity_type == entity_type, Link.entity_id == entity_id,
            Link.system == system, Link.object_type == object_type,
        )
    ).one_or_none()
