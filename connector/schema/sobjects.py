"""Salesforce objects and fields, described the way the describe API describes them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connector.schema.kinds import Kind, salesforce_kind


@dataclass(frozen=True)
class FieldInfo:
    """One Salesforce field, with the attributes of describe that validation uses.

    Attributes:
        name: API name (``AccountId``, ``Status__c``).
        type: describe type (``string``, ``boolean``, ``reference``, ``picklist``, ``date``...).
        reference_to: objects a reference field points to (first one is followed).
        relationship_name: name to follow the reference by (``Account``, ``Product__r``).
        picklist_values: allowed values; empty when unknown (then not checked).
        updateable: can be changed on an existing record.
        createable: can be set when a record is created.
    """

    name: str
    type: str
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist_values: tuple[str, ...] = ()
    updateable: bool = True
    createable: bool = True

    @property
    def kind(self) -> Kind:
        """The coarse kind of this field's values."""
        return salesforce_kind(self.type)


@dataclass(frozen=True)
class ObjectInfo:
    """One Salesforce object: its fields by API name."""

    name: str
    fields: Mapping[str, FieldInfo]

    def relationship(self, name: str) -> FieldInfo | None:
        """The reference field whose relationship is called ``name``, if any."""
        for info in self.fields.values():
            if info.relationship_name == name:
                return info
        return None

    def relationship_names(self) -> list[str]:
        """Every relationship name on this object."""
        return [f.relationship_name for f in self.fields.values() if f.relationship_name]
