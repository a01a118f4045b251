"""The emulated org's data model: the shipped SFDX metadata plus the standard objects.

Field names, types, relationships and picklists of the standard objects are listed in
:mod:`.standard_fields`; custom objects and fields are read from the SFDX source
(:mod:`.sfdx`), which also gives what describe reports beyond that (labels, required,
unique, external id, length, restricted picklists, defaults, child relationships). Key
prefixes and what standard objects require are listed here.

What the org's settings decide is the emulator's own, as in Salesforce: ``CurrencyIsoCode``
exists only in a multi-currency org (:class:`Currencies`), on the objects that have it there
(every custom object among them), and the read-only ``Organization`` object is always there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crm_emulators.salesforce.model import FieldInfo, ObjectInfo
from crm_emulators.salesforce.sfdx import custom_fields, field_extras, object_header
from crm_emulators.salesforce.standard_fields import standard_objects

SHIPPED_METADATA = Path(__file__).resolve().parents[3] / "salesforce"
PACKAGES = Path(__file__).resolve().parent / "packages"
"""Installed-package objects an emulated org may have (``PACKAGES / <namespace>``, SFDX
source): ``sfLma`` is the License Management App (``sfLma__License__c``)."""

STANDARD_PREFIXES = {
    "Account": "001", "Opportunity": "006", "OpportunityLineItem": "00k", "Product2": "01t",
    "Pricebook2": "01s", "PricebookEntry": "01u", "User": "005", "Organization": "00D",
    "Contact": "003", "OpportunityContactRole": "00K",
}
CURRENCY_FIELD = "CurrencyIsoCode"
# Standard objects that get CurrencyIsoCode when multiple currencies are enabled (custom
# objects all do), and whether it can be set on create and changed later. A line item's is
# its opportunity's; a price book entry's is fixed when it is created.
CURRENCY_WRITABLE = {
    "Account": (True, True), "Opportunity": (True, True), "OpportunityLineItem": (False, False),
    "Product2": (True, True), "Pricebook2": (True, True), "PricebookEntry": (True, False),
    "User": (True, True), "Contact": (True, True), "OpportunityContactRole": (True, True),
}
# Required on create. A line item's product is checked when it is stored: either its price
# book entry or its product will do.
STANDARD_REQUIRED = {
    "Account": ("Name",), "Opportunity": ("Name", "StageName", "CloseDate"),
    "OpportunityLineItem": ("OpportunityId", "Quantity"),
    "Product2": ("Name",), "Pricebook2": ("Name",),
    "PricebookEntry": ("Pricebook2Id", "Product2Id", "UnitPrice"),
    "User": ("Username", "LastName", "Email"), "Contact": ("LastName",),
    "OpportunityContactRole": ("OpportunityId", "ContactId"),
}
STANDARD_UNIQUE = {"User": ("Username",)}
ORGANIZATION_TYPES = ("Developer Edition", "Enterprise Edition", "Professional Edition",
                      "Unlimited Edition", "Team Edition", "Personal Edition",
                      "Contact Manager Edition", "Base Edition")
STANDARD_LENGTHS = {"string": 255, "textarea": 32768, "email": 80, "phone": 40, "url": 255,
                    "picklist": 255, "id": 18, "reference": 18}
STANDARD_CHILD_RELATIONSHIPS = {
    ("Opportunity", "AccountId"): "Opportunities",
    ("OpportunityLineItem", "OpportunityId"): "OpportunityLineItems",
    ("PricebookEntry", "Product2Id"): "PricebookEntries",
    ("PricebookEntry", "Pricebook2Id"): "PricebookEntries",
    ("Account", "ParentId"): "ChildAccounts",
    ("Contact", "AccountId"): "Contacts",
    ("OpportunityContactRole", "OpportunityId"): "OpportunityContactRoles",
    ("OpportunityContactRole", "ContactId"): "OpportunityContactRoles",
}
STANDARD_LABELS = {"OpportunityLineItem": "Opportunity Product", "Product2": "Product",
                   "Pricebook2": "Price Book", "PricebookEntry": "Price Book Entry",
                   "OpportunityContactRole": "Contact Role"}
FIELD_LABELS = {"CurrencyIsoCode": "Currency ISO Code",
                "DefaultCurrencyIsoCode": "Currency ISO Code", "OrganizationType": "Edition",
                "DefaultLocaleSidKey": "Locale", "LanguageLocaleKey": "Language",
                "TimeZoneSidKey": "Time Zone"}


@dataclass(frozen=True)
class Currencies:
    """The org's currency settings.

    Attributes:
        multi_currency: multiple currencies are enabled (Setup → Company Settings): records
            have ``CurrencyIsoCode``. Off, as in most orgs, no object has the field and every
            amount is in ``corporate``.
        corporate: the corporate currency, ``Organization.DefaultCurrencyIsoCode``; new
            records default to it.
        active: the currencies records may use (the corporate one first).
    """

    multi_currency: bool = False
    corporate: str = "USD"
    active: tuple[str, ...] = ("USD",)

    @classmethod
    def of(cls, multi_currency: bool, corporate: str, others: Sequence[str] = ()) -> Currencies:
        """Settings for an org whose corporate currency is ``corporate``; a multi-currency org
        also has the ``others`` active."""
        active = (corporate, *others) if multi_currency else (corporate,)
        return cls(multi_currency, corporate, tuple(dict.fromkeys(active)))


@dataclass(frozen=True)
class FieldSpec:
    """One field as describe reports it."""

    info: FieldInfo
    label: str
    required: bool = False
    unique: bool = False
    external_id: bool = False
    length: int | None = None
    restricted: bool = False
    default: object = None
    child_relationship: str | None = None  # how the parent names its children, if it does

    @property
    def name(self) -> str:
        """The field's API name."""
        return self.info.name

    @property
    def type(self) -> str:
        """The describe type (``string``, ``reference``, ``currency``...)."""
        return self.info.type


@dataclass(frozen=True)
class ObjectSpec:
    """One sObject: labels, key prefix and fields."""

    name: str
    label: str
    key_prefix: str
    fields: Mapping[str, FieldSpec]
    custom: bool
    auto_name: str | None = None  # display format of an AutoNumber name field
    _lower: Mapping[str, str] = field(default_factory=dict)
    writable: bool = True  # False: records cannot be created, updated or deleted by the API

    def field(self, name: str) -> FieldSpec | None:
        """The field called ``name``, case-insensitively as Salesforce matches."""
        exact = self.fields.get(name)
        if exact is not None:
            return exact
        canonical = self._lower.get(name.lower())
        return self.fields[canonical] if canonical else None

    def info(self) -> ObjectInfo:
        """The object in the shape the SOQL engine and the mapping layer read."""
        return ObjectInfo(self.name, {name: spec.info for name, spec in self.fields.items()})


@dataclass(frozen=True)
class Schema:
    """Every object of the org, found case-insensitively and by key prefix."""

    objects: Mapping[str, ObjectSpec]

    def find(self, name: str) -> ObjectSpec | None:
        """The object called ``name`` (any case), or None."""
        exact = self.objects.get(name)
        if exact is not None:
            return exact
        return next((o for o in self.objects.values() if o.name.lower() == name.lower()), None)

    def by_prefix(self, prefix: str) -> ObjectSpec | None:
        """The object whose ids start with ``prefix``, or None."""
        return next((o for o in self.objects.values() if o.key_prefix == prefix), None)

    def infos(self) -> dict[str, ObjectInfo]:
        """Every object as an :class:`ObjectInfo`, for the SOQL engine."""
        return {name: spec.info() for name, spec in self.objects.items()}

    def children(self, parent: str) -> list[tuple[ObjectSpec, FieldSpec]]:
        """``(child object, reference field)`` for every field that points at ``parent``."""
        return [(child, spec) for child in self.objects.values()
                for spec in child.fields.values() if parent in spec.info.reference_to]


def load_schema(metadata_dir: Path = SHIPPED_METADATA,
                currencies: Currencies | None = None,
                packages: Sequence[str] = ()) -> Schema:
    """Every object of the emulated org, custom ones numbered ``a00``, ``a01``... by name,
    with ``CurrencyIsoCode`` where ``currencies`` (default: one currency, USD) puts it.

    ``packages`` are the namespaces of installed managed packages (``sfLma``) whose objects
    the org also has, as an installed package adds them (see :data:`PACKAGES`).
    """
    currencies = currencies or Currencies()
    infos = _object_infos(metadata_dir)
    folders = dict.fromkeys(infos, metadata_dir)
    extras = field_extras(metadata_dir)
    for namespace in packages:
        folder = PACKAGES / namespace
        added = {name: ObjectInfo(name, fields)
                 for name, fields in custom_fields(folder).items()
                 if name.startswith(f"{namespace}__") and name not in infos}
        infos.update(added)
        folders.update(dict.fromkeys(added, folder))
        extras.update(field_extras(folder))
    custom_prefix = iter(f"a0{c}" for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    objects: dict[str, ObjectSpec] = {}
    for name in sorted(infos):
        info = infos[name]
        specs = {f: _field_spec(name, info.fields[f], extras.get((name, f), {}))
                 for f in info.fields if f != CURRENCY_FIELD}
        custom = name.endswith("__c")
        specs.update(_currency_field(name, currencies))
        header = object_header(folders[name], name)
        objects[name] = ObjectSpec(
            name, header.get("label") or STANDARD_LABELS.get(name, name),
            next(custom_prefix) if custom else STANDARD_PREFIXES.get(name, "0Xx"), specs,
            custom, header.get("auto_name"), {f.lower(): f for f in specs})
    objects["Organization"] = _organization(currencies)
    return Schema(objects)


def _object_infos(metadata_dir: Path) -> dict[str, ObjectInfo]:
    """The standard objects, with the SFDX source's fields over and after theirs, and the
    custom objects."""
    objects = standard_objects()
    for name, fields in custom_fields(metadata_dir).items():
        standard = objects[name].fields if name in objects else {}
        objects[name] = ObjectInfo(name, {**standard, **fields})
    return objects


def _currency_field(obj: str, currencies: Currencies) -> dict[str, FieldSpec]:
    """``CurrencyIsoCode`` of ``obj`` in a multi-currency org (nothing otherwise)."""
    custom = obj.endswith("__c")
    if not currencies.multi_currency or not (custom or obj in CURRENCY_WRITABLE):
        return {}
    createable, updateable = (True, True) if custom else CURRENCY_WRITABLE[obj]
    info = FieldInfo(CURRENCY_FIELD, "picklist", picklist_values=currencies.active,
                     createable=createable, updateable=updateable)
    return {CURRENCY_FIELD: FieldSpec(info, FIELD_LABELS[CURRENCY_FIELD], length=3,
                                      restricted=True,
                                      default=currencies.corporate if createable else None)}


def _organization(currencies: Currencies) -> ObjectSpec:
    """The object of the org's one ``Organization`` record: read-only here, with the fields
    clients read (name, edition, sandbox flag, corporate currency, locale, time zone)."""
    specs = [
        _read_only("Id", "id"), _read_only("Name", "string", length=80),
        _read_only("Division", "string", length=80), _read_only("Country", "string", length=80),
        _read_only("OrganizationType", "picklist", ORGANIZATION_TYPES, 40),
        _read_only("IsSandbox", "boolean"), _read_only("InstanceName", "string", length=5),
        _read_only("NamespacePrefix", "string", length=15),
        _read_only("DefaultCurrencyIsoCode", "picklist", currencies.active, 3),
        _read_only("DefaultLocaleSidKey", "picklist", ("en_US",), 40),
        _read_only("LanguageLocaleKey", "picklist", ("en_US",), 40),
        _read_only("TimeZoneSidKey", "picklist", ("GMT",), 40),
        _read_only("FiscalYearStartMonth", "int"),
        _read_only("TrialExpirationDate", "datetime"), _read_only("CreatedDate", "datetime"),
        _read_only("CreatedById", "reference"), _read_only("LastModifiedDate", "datetime"),
        _read_only("LastModifiedById", "reference"), _read_only("SystemModstamp", "datetime"),
    ]
    fields = {spec.name: spec for spec in specs}
    return ObjectSpec("Organization", "Organization", STANDARD_PREFIXES["Organization"], fields,
                      custom=False, _lower={f.lower(): f for f in fields}, writable=False)


def _read_only(name: str, kind: str, values: tuple[str, ...] = (),
               length: int | None = None) -> FieldSpec:
    """A system field; a ``reference`` one points at the User who made the change."""
    reference = ("User",) if kind == "reference" else ()
    info = FieldInfo(name, kind, reference, name.removesuffix("Id") if reference else None,
                     values, createable=False, updateable=False)
    return FieldSpec(info, FIELD_LABELS.get(name) or humanize(name),
                     length=length or STANDARD_LENGTHS.get(kind))


def humanize(name: str) -> str:
    """A label for a field without one: ``StageName`` → ``Stage Name``, ``AccountId`` →
    ``Account ID``, ``Unit_Price__c`` → ``Unit Price``."""
    if name.endswith("__c"):
        return name.removesuffix("__c").replace("_", " ")
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return re.sub(r" Id$", " ID", words)


def _field_spec(obj: str, info: FieldInfo, extra: Mapping[str, str]) -> FieldSpec:
    required = extra.get("required") == "true" or info.name in STANDARD_REQUIRED.get(obj, ())
    length = int(extra["length"]) if "length" in extra else STANDARD_LENGTHS.get(info.type)
    default: object = None
    if info.type == "boolean" and info.createable:
        default = extra.get("defaultValue", "false") == "true"
    elif "picklist_default" in extra:
        default = extra["picklist_default"]
    unique = extra.get("unique") == "true" or info.name in STANDARD_UNIQUE.get(obj, ())
    children = f"{extra['relationshipName']}__r" if extra.get("relationshipName") \
        else STANDARD_CHILD_RELATIONSHIPS.get((obj, info.name))
    return FieldSpec(info, extra.get("label") or humanize(info.name), required=required,
                     unique=unique, external_id=extra.get("externalId") == "true",
                     length=length, restricted=extra.get("restricted") == "true",
                     default=default, child_relationship=children)

