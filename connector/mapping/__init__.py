"""The mapping language: ``mappings/*.toml`` files that say how records move between systems,
loaded, checked against the schema and built into immutable runtime objects (fields,
transforms, money, expressions, templates). May import the root modules and
``connector.schema``; never the ledger or the sync stages.

Usage::

    from connector.mapping import DataModel, load_mappings

    mappings = load_mappings(Path("mappings"), DataModel.offline(Path("salesforce")))
    values = mappings.stripe_to_subscription.apply(stripe_subscription)

See ``docs/mappings.md`` for the file format and the list of transforms.
"""

from __future__ import annotations

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
from connector.schema.datamodel import DataModel
from connector.schema.sobjects import FieldInfo, ObjectInfo

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
