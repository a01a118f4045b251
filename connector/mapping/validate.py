"""Checks of single mapping values against the data model, each returning its problems.

Every function returns ``(key path, reason)`` pairs relative to the key it was given, and
never raises for an admin's mistake; the builder turns the pairs into located problems.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connector.mapping.problems import Loc
from connector.schema.datamodel import STRIPE_PREFIX, DataModel, PathError, Resolved, did_you_mean
from connector.schema.kinds import KIND_NAMES, Kind, compatible, kind_of_value
from connector.schema.paths import is_valid_path

Found = list[tuple[Loc, str]]

OWNERS = ("salesforce", "stripe", "ledger", "latest")
PER_VALUES = ("line_item", "opportunity")
LINK_SYSTEMS = ("salesforce", "stripe", "ledger")
LINK_ENTITIES = ("account", "opportunity", "line_item", "subscription", "product", "user")
STRIPE_LINK_OBJECTS = ("customer", "subscription", "subscription_item", "price", "product")


def choice(value: str, allowed: Iterable[str], what: str) -> str | None:
    """Why ``value`` is not one of ``allowed`` (with a suggestion), or None if it is."""
    options = list(allowed)
    if value in options:
        return None
    hint = did_you_mean(value, options)
    return f"unknown {what} {value!r}{hint}; choose one of {', '.join(options)}"


def read_path(model: DataModel, obj: str, path: Any) -> tuple[Resolved | None, str | None]:
    """What ``path`` reads on ``obj``, or why it cannot be read."""
    if not isinstance(path, str) or not is_valid_path(path):
        return None, f"{path!r} is not a field path (names joined by dots)"
    try:
        return model.resolve_read(obj, path), None
    except PathError as exc:
        return None, str(exc)


def object_problem(model: DataModel, name: str, *, salesforce_only: bool) -> str | None:
    """Why ``name`` is not a usable object, or None."""
    if salesforce_only and name.startswith(STRIPE_PREFIX):
        return f"must be a Salesforce object, not {name!r}"
    if model.has_object(name):
        return None
    return f"unknown object {name!r}{did_you_mean(name, model.object_names())}"


def writable_problem(resolved: Resolved, target_object: str, writes: str) -> str | None:
    """Why a Salesforce field cannot be written by a mapping that ``writes`` (create/update)."""
    info = resolved.field
    if info is None:
        return None
    allowed = info.createable if writes == "create" else info.updateable
    if allowed:
        return None
    flag = "createable" if writes == "create" else "updateable"
    return (
        f"{target_object}.{info.name} cannot be written: Salesforce calculates or maintains "
        f"it (not {flag})"
    )


def kind_problem(produced: Kind, producer: str, target: Resolved, label: str) -> str | None:
    """Why a value of kind ``produced`` cannot go to ``target``, or None."""
    if compatible(produced, target.kind):
        return None
    return f"{producer} gives {KIND_NAMES[produced]}, but {label} takes {KIND_NAMES[target.kind]}"


def picklist_problem(value: Any, target: Resolved, label: str) -> str | None:
    """Why ``value`` is not a value of the target picklist, or None (also when not a picklist)."""
    info = target.field
    if info is None or not info.picklist_values or value is None:
        return None
    if value in info.picklist_values:
        return None
    values = ", ".join(info.picklist_values)
    hint = did_you_mean(str(value), info.picklist_values)
    return f"{value!r} is not a value of the picklist {label}{hint}; values: {values}"


def const_problems(value: Any, key: str, target: Resolved, label: str) -> Found:
    """Problems of a ``const`` or ``default`` written as is to ``target``."""
    found: Found = []
    kind = kind_problem(kind_of_value(value), f"{key} {value!r}", target, label)
    if kind:
        found.append(((key,), kind))
    picklist = picklist_problem(value, target, label)
    if picklist and not kind:
        found.append(((key,), picklist))
    return found


def link_problems(model: DataModel, entity: str, system: str, obj: str | None) -> Found:
    """Problems of a ``link`` table."""
    found: Found = []
    checks = (("entity", entity, LINK_ENTITIES), ("system", system, LINK_SYSTEMS))
    for key, value, allowed in checks:
        reason = choice(value, allowed, key)
        if reason:
            found.append(((key,), reason))
    if system == "stripe":
        reason = choice(obj or "", STRIPE_LINK_OBJECTS, "Stripe object")
        if reason:
            found.append((("object",), reason))
    elif system == "salesforce":
        reason = object_problem(model, obj or "", salesforce_only=True)
        if reason:
            found.append((("object",), reason))
    return found
