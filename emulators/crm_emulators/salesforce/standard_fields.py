"""The standard objects of the emulated org and their fields, as describe lists them in an
org with one currency (``CurrencyIsoCode`` is added by :mod:`.objects` where the org's
currency settings put it).

Each field is written ``Name:type``; a reference is ``NameId:reference>Target`` and is
followed as ``Name``. A suffix says who may write it: none (create and update), ``/create``
(set on create only) or ``/read`` (calculated or system, never written through the API).
"""

from __future__ import annotations

from crm_emulators.salesforce.model import FieldInfo, ObjectInfo

_EVERY_RECORD = ("Id:id/read IsDeleted:boolean/read CreatedDate:datetime/read "
                 "LastModifiedDate:datetime/read SystemModstamp:datetime/read "
                 "CreatedById:reference>User/read LastModifiedById:reference>User/read")

_OBJECTS = {
    "User": "Name:string/read FirstName:string LastName:string Email:email Username:string "
            "IsActive:boolean Title:string ManagerId:reference>User",
    "Account": "Name:string OwnerId:reference>User ParentId:reference>Account Type:picklist "
               "Industry:picklist AccountNumber:string Phone:phone Website:url "
               "Description:textarea BillingStreet:textarea BillingCity:string "
               "BillingState:string BillingPostalCode:string BillingCountry:string",
    "Opportunity": "Name:string AccountId:reference>Account OwnerId:reference>User "
                   "StageName:picklist IsWon:boolean/read IsClosed:boolean/read CloseDate:date "
                   "Amount:currency Probability:percent Type:picklist LeadSource:picklist "
                   "Description:textarea NextStep:string Pricebook2Id:reference>Pricebook2 "
                   "HasOpportunityLineItem:boolean/read ExpectedRevenue:currency/read "
                   "TotalOpportunityQuantity:double ForecastCategoryName:picklist",
    "OpportunityLineItem": "OpportunityId:reference>Opportunity/create "
                           "Product2Id:reference>Product2/create "
                           "PricebookEntryId:reference>PricebookEntry/create Name:string/read "
                           "ProductCode:string/read Quantity:double UnitPrice:currency "
                           "ListPrice:currency/read TotalPrice:currency/read Discount:percent "
                           "ServiceDate:date Description:string SortOrder:int",
    "Product2": "Name:string ProductCode:string Description:textarea IsActive:boolean "
                "Family:picklist QuantityUnitOfMeasure:picklist StockKeepingUnit:string",
    "PricebookEntry": "Name:string/read Pricebook2Id:reference>Pricebook2/create "
                      "Product2Id:reference>Product2/create UnitPrice:currency "
                      "IsActive:boolean UseStandardPrice:boolean ProductCode:string/read",
    "Pricebook2": "Name:string IsActive:boolean IsStandard:boolean/read Description:textarea",
    "Contact": "Name:string/read FirstName:string LastName:string Email:email Phone:phone "
               "Title:string AccountId:reference>Account OwnerId:reference>User",
    # Each opportunity has at most one primary contact role (see derived.py).
    "OpportunityContactRole": "OpportunityId:reference>Opportunity/create "
                              "ContactId:reference>Contact IsPrimary:boolean Role:picklist",
}


def standard_objects() -> dict[str, ObjectInfo]:
    """Every standard object, the fields every record has first, keyed by API name."""
    return {name: ObjectInfo(name, _fields(f"{_EVERY_RECORD} {spec}"))
            for name, spec in _OBJECTS.items()}


def _fields(spec: str) -> dict[str, FieldInfo]:
    fields = (_field(item) for item in spec.split())
    return {field.name: field for field in fields}


def _field(item: str) -> FieldInfo:
    """One ``Name:type[>Target][/create|/read]`` item."""
    declared, _, access = item.partition("/")
    name, _, kind = declared.partition(":")
    kind, _, target = kind.partition(">")
    return FieldInfo(
        name, kind, (target,) if target else (),
        name.removesuffix("Id") if target else None,
        updateable=access == "", createable=access in ("", "create"),
    )
