"""The standard Salesforce fields the mappings may use, as describe would report them.

Picklist values of standard picklists (``StageName``, ``Type``) differ from org to org, so
they are left empty here (not checked offline); the online check uses the org's describe.
"""

from __future__ import annotations

from connector.schema.sobjects import FieldInfo, ObjectInfo


def _f(name: str, type_: str) -> FieldInfo:
    """A field that can be set on create and update."""
    return FieldInfo(name, type_)


def _ro(name: str, type_: str) -> FieldInfo:
    """A read-only (calculated or system) field."""
    return FieldInfo(name, type_, updateable=False, createable=False)


def _ref(name: str, to: str, *, writable: str = "both") -> FieldInfo:
    """A reference ``XId`` followed as ``X``; ``writable`` is both, create or none."""
    return FieldInfo(
        name, "reference", (to,), name.removesuffix("Id"),
        updateable=writable == "both", createable=writable in ("both", "create"),
    )


def _system() -> list[FieldInfo]:
    return [
        _ro("Id", "id"), _ro("IsDeleted", "boolean"), _ro("CreatedDate", "datetime"),
        _ro("LastModifiedDate", "datetime"), _ro("SystemModstamp", "datetime"),
        _ref("CreatedById", "User", writable="none"),
        _ref("LastModifiedById", "User", writable="none"),
    ]


_OBJECTS: dict[str, list[FieldInfo]] = {
    "User": [
        _ro("Name", "string"), _f("FirstName", "string"), _f("LastName", "string"),
        _f("Email", "email"), _f("Username", "string"), _f("IsActive", "boolean"),
        _f("Title", "string"), _ref("ManagerId", "User"),
    ],
    "Account": [
        _f("Name", "string"), _ref("OwnerId", "User"), _ref("ParentId", "Account"),
        _f("Type", "picklist"), _f("Industry", "picklist"), _f("AccountNumber", "string"),
        _f("Phone", "phone"), _f("Website", "url"), _f("Description", "textarea"),
        _f("BillingStreet", "textarea"), _f("BillingCity", "string"),
        _f("BillingState", "string"), _f("BillingPostalCode", "string"),
        _f("BillingCountry", "string"), _f("CurrencyIsoCode", "picklist"),
    ],
    "Opportunity": [
        _f("Name", "string"), _ref("AccountId", "Account"), _ref("OwnerId", "User"),
        _f("StageName", "picklist"), _ro("IsWon", "boolean"), _ro("IsClosed", "boolean"),
        _f("CloseDate", "date"), _f("Amount", "currency"), _f("CurrencyIsoCode", "picklist"),
        _f("Probability", "percent"), _f("Type", "picklist"), _f("LeadSource", "picklist"),
        _f("Description", "textarea"), _f("NextStep", "string"),
        _ref("Pricebook2Id", "Pricebook2"), _ro("HasOpportunityLineItem", "boolean"),
        _ro("ExpectedRevenue", "currency"), _f("TotalOpportunityQuantity", "double"),
        _f("ForecastCategoryName", "picklist"),
    ],
    "OpportunityLineItem": [
        _ref("OpportunityId", "Opportunity", writable="create"),
        _ref("Product2Id", "Product2", writable="create"),
        _ref("PricebookEntryId", "PricebookEntry", writable="create"),
        _ro("Name", "string"), _ro("ProductCode", "string"), _f("Quantity", "double"),
        _f("UnitPrice", "currency"), _ro("ListPrice", "currency"),
        _ro("TotalPrice", "currency"), _f("Discount", "percent"), _f("ServiceDate", "date"),
        _f("Description", "string"), _f("SortOrder", "int"),
        _ro("CurrencyIsoCode", "picklist"),
    ],
    "Product2": [
        _f("Name", "string"), _f("ProductCode", "string"), _f("Description", "textarea"),
        _f("IsActive", "boolean"), _f("Family", "picklist"),
        _f("QuantityUnitOfMeasure", "picklist"), _f("StockKeepingUnit", "string"),
        _f("CurrencyIsoCode", "picklist"),
    ],
    "PricebookEntry": [
        _ro("Name", "string"), _ref("Pricebook2Id", "Pricebook2", writable="create"),
        _ref("Product2Id", "Product2", writable="create"), _f("UnitPrice", "currency"),
        _f("IsActive", "boolean"), _f("UseStandardPrice", "boolean"),
        _ro("ProductCode", "string"), _f("CurrencyIsoCode", "picklist"),
    ],
    "Pricebook2": [
        _f("Name", "string"), _f("IsActive", "boolean"), _ro("IsStandard", "boolean"),
        _f("Description", "textarea"),
    ],
}


def standard_objects() -> dict[str, ObjectInfo]:
    """The standard objects (with their system fields), keyed by API name."""
    return {
        name: ObjectInfo(name, {info.name: info for info in [*_system(), *fields]})
        for name, fields in _OBJECTS.items()
    }
