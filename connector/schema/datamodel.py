"""What fields exist: Salesforce objects (offline from the shipped SFDX metadata or online from
describe JSON) and the Stripe objects and parameters we map.

Paths are checked here: ``Opportunity.Account.CSM__c`` from OpportunityLineItem follows the
``Opportunity`` and ``Account`` relationships and names ``CSM__c`` on Account.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.schema import stripe_fields as stripe_schema
from connector.schema.kinds import Kind
from connector.schema.paths import parse_path
from connector.schema.sfdx import read_sfdx_objects
from connector.schema.sobjects import FieldInfo, ObjectInfo
from connector.schema.standard_objects import standard_objects

STRIPE_PREFIX = "stripe."
"""Object names starting with this are Stripe objects: ``stripe.subscription``."""


FEATURE_FIELDS: Mapping[str, str] = {
    "CurrencyIsoCode": "multiple currencies",
    "IsPersonAccount": "person accounts",
    "PersonEmail": "person accounts",
    "PersonContactId": "person accounts",
    "RecordTypeId": "record types (a record type defined for the object)",
}
"""Standard fields that exist only where a feature is on, with the feature's name."""


class PathError(Exception):
    """A path does not name a field; the message says why and suggests a fix."""


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` for the closest of ``known``, or an empty string."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class Resolved:
    """What a valid path names: its kind and, for Salesforce, the field and its object."""

    kind: Kind
    field: FieldInfo | None = None
    object_name: str = ""


@dataclass(frozen=True)
class DataModel:
    """Every object and field the mappings may name.

    Attributes:
        objects: Salesforce objects by API name.
        stripe_objects: Stripe objects as read, by type (``subscription``).
        stripe_params: Stripe create/update parameters, by type.
    """

    objects: Mapping[str, ObjectInfo]
    stripe_objects: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: stripe_schema.OBJECTS
    )
    stripe_params: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: stripe_schema.PARAMS
    )
    of_org: bool = False
    """Whether this is one org's own model (from describe) rather than the shipped one: in an
    org, an optional path (``Opportunity.CurrencyIsoCode?``) may be absent; in the shipped
    model, which has every feature's fields, it must exist (so a typo is caught)."""

    @classmethod
    def offline(cls, salesforce_dir: Path) -> DataModel:
        """The shipped data model: standard fields plus the SFDX source in ``salesforce_dir``.

        Raises:
            ConfigError: the folder holds no SFDX object metadata.
        """
        objects = dict(standard_objects())
        for name, fields in read_sfdx_objects(salesforce_dir).items():
            merged = {**(objects[name].fields if name in objects else {}), **fields}
            objects[name] = ObjectInfo(name, merged)
        return cls(objects)

    @classmethod
    def from_describe(cls, describes: Mapping[str, Mapping[str, Any]]) -> DataModel:
        """The org's data model from sObject describe results, keyed by object name."""
        return cls({name: object_from_describe(name, body) for name, body in describes.items()})

    def object_names(self) -> list[str]:
        """Every object name, Stripe ones as ``stripe.<type>``."""
        return [*self.objects, *(STRIPE_PREFIX + name for name in self.stripe_objects)]

    def has_object(self, name: str) -> bool:
        """Whether ``name`` is a known Salesforce object or ``stripe.<type>``."""
        if name.startswith(STRIPE_PREFIX):
            return name.removeprefix(STRIPE_PREFIX) in self.stripe_objects
        return name in self.objects

    def resolve_read(self, object_name: str, path: str) -> Resolved:
        """What ``path`` reads on a record of ``object_name`` (relationships may be followed).

        Raises:
            PathError: a segment is unknown, or a non-relationship is followed.
        """
        if object_name.startswith(STRIPE_PREFIX):
            kind = object_name.removeprefix(STRIPE_PREFIX)
            missing = f"a Stripe {kind} has no field"
            return Resolved(_walk_stripe(self.stripe_objects[kind], path, missing))
        return self._resolve_salesforce(object_name, path)

    def resolve_write(self, object_name: str, target: str) -> Resolved:
        """What writing ``target`` on ``object_name`` sets: a field, or a Stripe parameter.

        Raises:
            PathError: unknown field or parameter, or a Salesforce path through a relationship.
        """
        if object_name.startswith(STRIPE_PREFIX):
            kind = object_name.removeprefix(STRIPE_PREFIX)
            missing = f"Stripe {kind} parameters have no"
            return Resolved(_walk_stripe(self.stripe_params[kind], target, missing))
        if "." in target:
            raise PathError(
                f"only fields of {object_name} itself can be written, not a path through "
                "a relationship"
            )
        return self._resolve_salesforce(object_name, target)

    def _resolve_salesforce(self, object_name: str, path: str) -> Resolved:
        if object_name not in self.objects:
            raise PathError(f"the org has no object {object_name!r}")
        obj = self.objects[object_name]
        *hops, last = parse_path(path)
        for hop in hops:
            obj = self._follow(obj, hop)
        if isinstance(last, int) or last not in obj.fields:
            raise PathError(_unknown_field(obj, last))
        return Resolved(obj.fields[last].kind, obj.fields[last], obj.name)

    def _follow(self, obj: ObjectInfo, hop: str | int) -> ObjectInfo:
        reference = obj.relationship(str(hop))
        if reference is None:
            raise PathError(_not_a_relationship(obj, str(hop)))
        target = reference.reference_to[0] if reference.reference_to else ""
        if target not in self.objects:
            raise PathError(
                f"{obj.name}.{hop} leads to {target or 'an unknown object'}, "
                "which is not in the data model"
            )
        return self.objects[target]


def _unknown_field(obj: ObjectInfo, name: str | int) -> str:
    reference = obj.relationship(str(name))
    if reference is not None:
        return (
            f"{name!r} is a relationship of {obj.name}; name one of its fields "
            f"({name}.Name) or the reference field itself ({reference.name!r})"
        )
    found = f"{obj.name} has no field {str(name)!r}{did_you_mean(str(name), obj.fields)}"
    feature = FEATURE_FIELDS.get(str(name))
    if feature is None:
        return found
    return (f"{found}: it exists only in orgs with {feature} enabled; enable it, drop the "
            f"field, or mark the path optional with a trailing '?' and give a fallback")


def _not_a_relationship(obj: ObjectInfo, hop: str) -> str:
    info = obj.fields.get(hop)
    if info is not None and info.relationship_name:
        return (
            f"{hop!r} is a reference field holding an id; follow its relationship "
            f"{info.relationship_name!r} instead"
        )
    if info is not None:
        return (
            f"{obj.name}.{hop} is a {info.type} field, not a relationship, "
            "so it cannot be followed"
        )
    known = obj.relationship_names()
    return f"{obj.name} has no relationship {hop!r}{did_you_mean(hop, known)}"


def _walk_stripe(node: Mapping[str, Any], path: str, missing: str) -> Kind:
    segments = parse_path(path)
    current: Any = node
    for index, segment in enumerate(segments):
        done = segments[:index]
        if not isinstance(current, Mapping):
            raise PathError(f"{_dotted(done)!r} is a single value; it has no {str(segment)!r}")
        current = _stripe_child(current, segment, done, missing)
    return current if isinstance(current, str) else "any"  # type: ignore[return-value]


def _stripe_child(
    node: Mapping[str, Any], segment: str | int, done: tuple[str | int, ...], missing: str
) -> Any:
    if isinstance(segment, int):
        if "[]" in node:
            return node["[]"]
        keys = ", ".join(key for key in node if key not in ("[]", "*"))
        raise PathError(f"{_dotted(done)!r} is not a list; its keys are {keys}")
    if segment in node and segment not in ("[]", "*"):
        return node[segment]
    if "*" in node:
        return node["*"]
    if "[]" in node:
        raise PathError(f"{_dotted(done)!r} is a list; index it: {_dotted((*done, 0))!r}")
    full = _dotted((*done, segment))
    known = [_dotted((*done, key)) for key in node]
    raise PathError(f"{missing} {full!r}{did_you_mean(full, known)}")


def _dotted(segments: Iterable[str | int]) -> str:
    return ".".join(str(segment) for segment in segments)


def object_from_describe(name: str, body: Mapping[str, Any]) -> ObjectInfo:
    """One object from its sObject describe result (active picklist values only)."""
    fields = {entry["name"]: _describe_field(entry) for entry in body.get("fields", [])}
    return ObjectInfo(name, fields)


def _describe_field(entry: Mapping[str, Any]) -> FieldInfo:
    return FieldInfo(
        name=entry["name"],
        type=entry.get("type", "string"),
        reference_to=tuple(entry.get("referenceTo") or ()),
        relationship_name=entry.get("relationshipName"),
        picklist_values=tuple(
            value["value"]
            for value in entry.get("picklistValues") or ()
            if value.get("active", True)
        ),
        updateable=bool(entry.get("updateable", False)),
        createable=bool(entry.get("createable", False)),
    )
