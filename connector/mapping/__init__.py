"""The mapping language: ``mappings/*.toml`` files that say how records move between systems.

Usage::

    from connector.mapping import DataModel, load_mappings

    mappings = load_mappings(Path("mappings"), DataModel.offline(Path("salesforce")))
    values = mappings.stripe_to_subscription.apply(stripe_subscription)

See ``docs/mappings.md`` for the file format and the list of transforms.
"""

from __future__ import annotations

from connector.mapping.datamodel import DataModel
from connector.mapping.loader import ROLES, check_mappings, load_mappings
from connector.mapping.mapping import (
    Catalog,
    FieldMapping,
    GenerationMapping,
    LinkResolver,
    MappingSet,
    ObjectMapping,
    Trigger,
)
from connector.mapping.problems import MappingError, Problem
from connector.mapping.sobjects import FieldInfo, ObjectInfo

__all__ = [
    "ROLES",
    "Catalog",
    "DataModel",
    "FieldInfo",
    "FieldMapping",
    "GenerationMapping",
    "LinkResolver",
    "MappingError",
    "MappingSet",
    "ObjectInfo",
    "ObjectMapping",
    "Problem",
    "Trigger",
    "check_mappings",
    "load_mappings",
]
