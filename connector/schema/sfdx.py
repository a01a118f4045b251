"""Read custom fields and objects from SFDX source (``objects/<Obj>/fields/<F>.field-meta.xml``).

Field types are translated to describe types, so the offline model answers like the org's
describe would: a formula or roll-up summary is neither createable nor updateable, a lookup
is a ``reference`` followed by its name with ``__r`` for ``__c``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from connector.errors import ConfigError
from connector.schema.sobjects import FieldInfo

_NS = "{http://soap.sforce.com/2006/04/metadata}"

_TYPES = {
    "Checkbox": "boolean", "Currency": "currency", "Date": "date", "DateTime": "datetime",
    "Email": "email", "Lookup": "reference", "MasterDetail": "reference",
    "Hierarchy": "reference", "Number": "double", "Percent": "percent", "Phone": "phone",
    "Picklist": "picklist", "MultiselectPicklist": "multipicklist", "Text": "string",
    "TextArea": "textarea", "LongTextArea": "textarea", "Html": "textarea", "Url": "url",
    "EncryptedText": "encryptedstring", "AutoNumber": "string", "Summary": "double",
    "Time": "time",
}


def read_sfdx_objects(salesforce_dir: Path) -> dict[str, dict[str, FieldInfo]]:
    """Fields of every object found under ``salesforce_dir`` (any package folder).

    Custom objects (``__c``) also get the system fields every record has (Id, Name, OwnerId,
    CreatedDate, SystemModstamp, ...).

    Raises:
        ConfigError: no object metadata under ``salesforce_dir``.
    """
    field_files = salesforce_dir.glob("**/objects/*/fields/*.field-meta.xml")
    folders = sorted({path.parent.parent for path in field_files})
    folders += sorted(set(salesforce_dir.glob("**/objects/*__c")) - set(folders))
    if not folders:
        raise ConfigError([
            f"{salesforce_dir}: no SFDX object metadata found "
            "(expected objects/<Object>/fields/<Field>.field-meta.xml below it)"
        ])
    return {folder.name: _object_fields(folder) for folder in folders}


def _object_fields(folder: Path) -> dict[str, FieldInfo]:
    fields = _system_fields(folder) if folder.name.endswith("__c") else {}
    for path in sorted(folder.glob("fields/*.field-meta.xml")):
        info = read_field(path)
        fields[info.name] = info
    return fields


def read_field(path: Path) -> FieldInfo:
    """One ``.field-meta.xml`` file as a FieldInfo."""
    root = ET.parse(path).getroot()  # noqa: S314 - our own metadata, not untrusted input
    name = _text(root, "fullName") or path.name.removesuffix(".field-meta.xml")
    sfdx_type = _text(root, "type") or "Text"
    calculated = _text(root, "formula") is not None or sfdx_type in ("Summary", "AutoNumber")
    master_detail = sfdx_type == "MasterDetail"
    return FieldInfo(
        name=name,
        type=_TYPES.get(sfdx_type, "string"),
        reference_to=tuple(e.text or "" for e in root.iter(f"{_NS}referenceTo")),
        relationship_name=_relationship(name, sfdx_type),
        picklist_values=tuple(
            _text(value, "fullName") or "" for value in root.iter(f"{_NS}value")
            if _text(value, "isActive") != "false"
        ),
        updateable=not calculated
        and (not master_detail or _text(root, "reparentableMasterDetail") == "true"),
        createable=not calculated,
    )


def _relationship(name: str, sfdx_type: str) -> str | None:
    """The forward relationship name: ``Product__c`` is followed as ``Product__r``.

    (``<relationshipName>`` in the XML names the *child* relationship on the parent object.)
    """
    if sfdx_type not in ("Lookup", "MasterDetail", "Hierarchy"):
        return None
    return name.removesuffix("__c") + "__r"


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(f"{_NS}{tag}")
    return None if child is None else (child.text or "").strip()


def _system_fields(folder: Path) -> dict[str, FieldInfo]:
    name_type = _name_field_type(folder)
    fields = [
        FieldInfo("Id", "id", updateable=False, createable=False),
        FieldInfo("Name", "string", updateable=name_type != "AutoNumber",
                  createable=name_type != "AutoNumber"),
        FieldInfo("OwnerId", "reference", ("User",), "Owner"),
        FieldInfo("IsDeleted", "boolean", updateable=False, createable=False),
    ]
    fields += [FieldInfo(n, "datetime", updateable=False, createable=False)
               for n in ("CreatedDate", "LastModifiedDate", "SystemModstamp")]
    fields += [FieldInfo(n + "Id", "reference", ("User",), n, updateable=False, createable=False)
               for n in ("CreatedBy", "LastModifiedBy")]
    return {info.name: info for info in fields}


def _name_field_type(folder: Path) -> str:
    meta = folder / f"{folder.name}.object-meta.xml"
    if not meta.exists():
        return "Text"
    name_field = ET.parse(meta).getroot().find(f"{_NS}nameField")  # noqa: S314 - our own file
    found = None if name_field is None else _text(name_field, "type")
    return found or "Text"
