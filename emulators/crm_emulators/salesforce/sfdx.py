"""The org's custom objects and fields, read from SFDX source format.

Salesforce DX keeps one ``objects/<Object>/fields/<Field>.field-meta.xml`` per field (and
``<Object>.object-meta.xml`` per object) in the Metadata API's XML. Field types there are
Metadata API types (``Checkbox``, ``Lookup``, ``Number``...); describe reports them as its
own types (``boolean``, ``reference``, ``double``...). A formula, roll-up summary or
auto-number field is calculated, so describe says it is neither createable nor updateable;
a master-detail field is updateable only when it is reparentable.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from crm_emulators.salesforce.model import FieldInfo

NS = "{http://soap.sforce.com/2006/04/metadata}"

_DESCRIBE_TYPES = {
    "AutoNumber": "string", "Checkbox": "boolean", "Currency": "currency", "Date": "date",
    "DateTime": "datetime", "Email": "email", "EncryptedText": "encryptedstring",
    "Hierarchy": "reference", "Html": "textarea", "LongTextArea": "textarea",
    "Lookup": "reference", "MasterDetail": "reference", "MultiselectPicklist": "multipicklist",
    "Number": "double", "Percent": "percent", "Phone": "phone", "Picklist": "picklist",
    "Summary": "double", "Text": "string", "TextArea": "textarea", "Time": "time",
    "Url": "url",
}
_REFERENCES = ("Lookup", "MasterDetail", "Hierarchy")
_EXTRA_TAGS = ("label", "required", "unique", "externalId", "length", "defaultValue",
               "relationshipName")

Extras = dict[str, str]
"""What describe reports about a field beyond :class:`FieldInfo`, as the XML spells it."""


def custom_fields(metadata_dir: Path) -> dict[str, dict[str, FieldInfo]]:
    """The fields of every object with metadata under ``metadata_dir``, keyed by object.

    A custom object (``__c``) also has the fields every custom record has (Id, Name, OwnerId,
    IsDeleted, the audit fields).

    Raises:
        ValueError: ``metadata_dir`` holds no object metadata.
    """
    folders = _object_folders(metadata_dir)
    if not folders:
        raise ValueError(f"{metadata_dir}: no SFDX object metadata found "
                         "(expected objects/<Object>/fields/<Field>.field-meta.xml below it)")
    found: dict[str, dict[str, FieldInfo]] = {}
    for folder in folders:
        fields = _custom_object_fields(folder) if folder.name.endswith("__c") else {}
        for path in sorted(folder.glob("fields/*.field-meta.xml")):
            info = field_info(ET.parse(path).getroot(), path)  # noqa: S314 - our own files
            fields[info.name] = info
        found[folder.name] = fields
    return found


def field_extras(metadata_dir: Path) -> dict[tuple[str, str], Extras]:
    """Label, required, unique, external id, length, defaults and child relationship name of
    every field file, keyed by ``(object, field)``; ``restricted`` and ``picklist_default``
    come from the value set."""
    extras: dict[tuple[str, str], Extras] = {}
    for path in metadata_dir.glob("**/objects/*/fields/*.field-meta.xml"):
        root = ET.parse(path).getroot()  # noqa: S314 - our own metadata, not untrusted input
        found = {tag: (root.findtext(NS + tag) or "").strip()
                 for tag in _EXTRA_TAGS if root.find(NS + tag) is not None}
        if root.findtext(f"{NS}valueSet/{NS}restricted") == "true":
            found["restricted"] = "true"
        for value in root.iter(NS + "value"):
            if value.findtext(NS + "default") == "true":
                found["picklist_default"] = value.findtext(NS + "fullName") or ""
        extras[(path.parent.parent.name, path.name.removesuffix(".field-meta.xml"))] = found
    return extras


def object_header(metadata_dir: Path, name: str) -> dict[str, str]:
    """The object's ``label`` and, for an auto-numbered name, its ``auto_name`` format."""
    for path in metadata_dir.glob(f"**/objects/{name}/{name}.object-meta.xml"):
        root = ET.parse(path).getroot()  # noqa: S314 - our own metadata
        header = {"label": root.findtext(NS + "label") or ""}
        if root.findtext(f"{NS}nameField/{NS}type") == "AutoNumber":
            header["auto_name"] = root.findtext(f"{NS}nameField/{NS}displayFormat") or ""
        return header
    return {}


def field_info(root: ET.Element, path: Path) -> FieldInfo:
    """The describe view of one ``CustomField`` element read from ``path``."""
    name = _text(root, "fullName") or path.name.removesuffix(".field-meta.xml")
    kind = _text(root, "type") or "Text"
    calculated = _text(root, "formula") is not None or kind in ("Summary", "AutoNumber")
    pinned = kind == "MasterDetail" and _text(root, "reparentableMasterDetail") != "true"
    return FieldInfo(
        name, _DESCRIBE_TYPES.get(kind, "string"),
        reference_to=tuple(e.text or "" for e in root.iter(NS + "referenceTo")),
        # <relationshipName> names the parent's child relationship; a query follows the
        # field itself by its name with __r for __c.
        relationship_name=name.removesuffix("__c") + "__r" if kind in _REFERENCES else None,
        picklist_values=tuple(_text(v, "fullName") or "" for v in root.iter(NS + "value")
                              if _text(v, "isActive") != "false"),
        updateable=not calculated and not pinned, createable=not calculated)


def _object_folders(metadata_dir: Path) -> list[Path]:
    with_fields = sorted({p.parent.parent
                          for p in metadata_dir.glob("**/objects/*/fields/*.field-meta.xml")})
    bare = sorted(set(metadata_dir.glob("**/objects/*__c")) - set(with_fields))
    return with_fields + bare


def _custom_object_fields(folder: Path) -> dict[str, FieldInfo]:
    named_by_number = _name_field_type(folder) == "AutoNumber"
    fields = [
        _system("Id", "id"),
        FieldInfo("Name", "string", updateable=not named_by_number,
                  createable=not named_by_number),
        FieldInfo("OwnerId", "reference", ("User",), "Owner"),
        _system("IsDeleted", "boolean"),
        *(_system(n, "datetime") for n in ("CreatedDate", "LastModifiedDate", "SystemModstamp")),
        *(_system(f"{n}Id", "reference", n) for n in ("CreatedBy", "LastModifiedBy")),
    ]
    return {info.name: info for info in fields}


def _system(name: str, kind: str, followed_as: str | None = None) -> FieldInfo:
    """A field the org maintains; a reference one points at the User who acted."""
    return FieldInfo(name, kind, ("User",) if followed_as else (), followed_as,
                     updateable=False, createable=False)


def _name_field_type(folder: Path) -> str:
    meta = folder / f"{folder.name}.object-meta.xml"
    if not meta.exists():
        return "Text"
    root = ET.parse(meta).getroot()  # noqa: S314 - our own metadata
    return (root.findtext(f"{NS}nameField/{NS}type") or "").strip() or "Text"


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(NS + tag)
    return None if child is None else (child.text or "").strip()
