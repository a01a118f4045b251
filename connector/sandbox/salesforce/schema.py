"""The emulated org's data model: the shipped SFDX metadata plus the standard objects.

Field names, types, relationships and picklists come from
:meth:`connector.mapping.DataModel.offline`, so the emulator and ``mappings check --offline``
agree by construction. What describe reports beyond that (required, unique, external id,
length, restricted picklists, key prefixes) is read from the XML or listed here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from connector.mapping.datamodel import DataModel
from connector.mapping.sobjects import FieldInfo, ObjectInfo

SHIPPED_METADATA = Path(__file__).resolve().parents[3] / "salesforce"
_NS = "{http://soap.sforce.com/2006/04/metadata}"

STANDARD_PREFIXES = {
    "Account": "001", "Opportunity": "006", "OpportunityLineItem": "00k", "Product2": "01t",
    "Pricebook2": "01s", "PricebookEntry": "01u", "User": "005",
}
STANDARD_REQUIRED = {
    "Account": ("Name",), "Opportunity": ("Name", "StageName", "CloseDate"),
    "OpportunityLineItem": ("OpportunityId", "PricebookEntryId", "Quantity"),
    "Product2": ("Name",), "Pricebook2": ("Name",),
    "PricebookEntry": ("Pricebook2Id", "Product2Id", "UnitPrice"), "User": ("Username",),
}
STANDARD_LENGTHS = {"string": 255, "textarea": 32768, "email": 80, "phone": 40, "url": 255,
                    "picklist": 255, "id": 18, "reference": 18}


@dataclass(frozen=True)
class FieldSpec:
    """One field as describe reports it."""

    info: FieldInfo
    required: bool = False
    unique: bool = False
    external_id: bool = False
    length: int | None = None
    restricted: bool = False
    default: object = None

    @property
    def name(self) -> str:
        """The field's API name."""
        return self.info.name


@dataclass(frozen=True)
class ObjectSpec:
    """One sObject: its key prefix and fields."""

    name: str
    key_prefix: str
    fields: Mapping[str, FieldSpec]
    custom: bool
    auto_name: str | None = None  # display format of an AutoNumber name field
    lower: Mapping[str, str] = field(default_factory=dict)

    def field(self, name: str) -> FieldSpec | None:
        """The field called ``name``, case-insensitively as Salesforce matches."""
        exact = self.fields.get(name)
        if exact is not None:
            return exact
        canonical = self.lower.get(name.lower())
        return self.fields[canonical] if canonical else None


def load_schema(metadata_dir: Path = SHIPPED_METADATA) -> dict[str, ObjectSpec]:
    """Every object of the emulated org."""
    model = DataModel.offline(metadata_dir)
    xml = _xml_extras(metadata_dir)
    custom_prefix = iter(f"a0{c}" for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    objects: dict[str, ObjectSpec] = {}
    for name in sorted(model.objects):
        info: ObjectInfo = model.objects[name]
        specs = {f: _spec(name, info.fields[f], xml.get((name, f), {})) for f in info.fields}
        custom = name.endswith("__c")
        prefix = next(custom_prefix) if custom else STANDARD_PREFIXES.get(name, "0Xx")
        objects[name] = ObjectSpec(name, prefix, specs, custom, _auto_name(metadata_dir, name),
                                   {f.lower(): f for f in specs})
    return objects


def as_object_infos(schema: Mapping[str, ObjectSpec]) -> dict[str, ObjectInfo]:
    """The schema in the shape the SOQL engine reads."""
    return {name: ObjectInfo(name, {f: s.info for f, s in spec.fields.items()})
            for name, spec in schema.items()}


def _spec(obj: str, info: FieldInfo, extra: dict[str, str]) -> FieldSpec:
    required = extra.get("required") == "true" or info.name in STANDARD_REQUIRED.get(obj, ())
    length = int(extra["length"]) if "length" in extra else STANDARD_LENGTHS.get(info.type)
    default: object = None
    if info.type == "boolean" and info.createable:
        default = extra.get("defaultValue", "false") == "true"
    elif "picklist_default" in extra:
        default = extra["picklist_default"]
    return FieldSpec(info, required=required, unique=extra.get("unique") == "true",
                     external_id=extra.get("externalId") == "true", length=length,
                     restricted=extra.get("restricted") == "true", default=default)


def _xml_extras(metadata_dir: Path) -> dict[tuple[str, str], dict[str, str]]:
    extras: dict[tuple[str, str], dict[str, str]] = {}
    for path in metadata_dir.glob("**/objects/*/fields/*.field-meta.xml"):
        root = ET.parse(path).getroot()  # noqa: S314 - our own metadata, not untrusted input
        found = {tag: (root.findtext(f"{_NS}{tag}") or "").strip()
                 for tag in ("required", "unique", "externalId", "length", "defaultValue")
                 if root.find(f"{_NS}{tag}") is not None}
        if root.findtext(f"{_NS}valueSet/{_NS}restricted") == "true":
            found["restricted"] = "true"
        for value in root.iter(f"{_NS}value"):
            if value.findtext(f"{_NS}default") == "true":
                found["picklist_default"] = value.findtext(f"{_NS}fullName") or ""
        extras[(path.parent.parent.name, path.name.removesuffix(".field-meta.xml"))] = found
    return extras


def _auto_name(metadata_dir: Path, name: str) -> str | None:
    for path in metadata_dir.glob(f"**/objects/{name}/{name}.object-meta.xml"):
        root = ET.parse(path).getroot()  # noqa: S314 - our own metadata
        if root.findtext(f"{_NS}nameField/{_NS}type") == "AutoNumber":
            return root.findtext(f"{_NS}nameField/{_NS}displayFormat")
    return None
