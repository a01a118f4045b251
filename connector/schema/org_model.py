"""The org's data model, read from sObject describe as validation asks for each object.

``mappings check`` (without ``--offline``) validates the same way against this model as
against the shipped metadata, so the org's own answer decides: a field removed from the org,
a field made read-only, a picklist value deactivated. Each object is described at most once
per run (one API call each) and only when a mapping reaches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from connector.schema.datamodel import DataModel, object_from_describe
from connector.schema.sobjects import ObjectInfo

Describe = Callable[[str], Mapping[str, Any] | None]
"""The describe result of an object, or None when the org has no such object."""


class DescribedObjects(Mapping[str, ObjectInfo]):
    """Salesforce objects by name, each described on first use and then kept.

    Args:
        describe: asks the org for one object.
        candidates: the object names offered as suggestions and listed by iteration
            (the objects the connector knows); any other name is still looked up.
    """

    def __init__(self, describe: Describe, candidates: Iterable[str]) -> None:
        self._describe = describe
        self._candidates = list(candidates)
        self._cache: dict[str, ObjectInfo | None] = {}

    def __getitem__(self, name: str) -> ObjectInfo:
        if name not in self._cache:
            body = self._describe(name)
            self._cache[name] = None if body is None else object_from_describe(name, body)
        found = self._cache[name]
        if found is None:
            raise KeyError(name)
        return found

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._candidates if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def described(self) -> list[str]:
        """The objects described so far (each cost one API call)."""
        return sorted(self._cache)


def org_data_model(describe: Describe, offline: DataModel) -> DataModel:
    """The org's data model, with the Stripe side of ``offline``."""
    objects = DescribedObjects(describe, offline.objects)
    return DataModel(objects, offline.stripe_objects, offline.stripe_params, of_org=True)
