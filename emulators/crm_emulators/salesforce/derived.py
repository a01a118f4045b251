"""Fields Salesforce computes rather than stores as sent: stage flags, line totals, product
details copied from the price book, a line item's currency (a multi-currency org's), the
opportunity's amount, users' and contacts' full names and auto-numbered names.

Each function fills in a record about to be stored; ``lookup`` reads other records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from crm_emulators.salesforce import errors

Record = dict[str, Any]
Lookup = Callable[[str, str], Mapping[str, Any] | None]
Scan = Callable[[str], Iterable[Mapping[str, Any]]]
CURRENCY = "CurrencyIsoCode"


def derive(sobject: str, record: Record, lookup: Lookup, scan: Scan) -> None:
    """Fill in the computed fields of ``record`` (an ``sobject`` about to be stored).

    Raises:
        ApiError: REQUIRED_FIELD_MISSING when a line item's price book entry cannot be found.
    """
    if sobject == "Opportunity":
        stage = str(record.get("StageName") or "")
        record["IsWon"] = stage == "Closed Won"
        record["IsClosed"] = stage in ("Closed Won", "Closed Lost")
    elif sobject == "OpportunityLineItem":
        _line_item(record, lookup, scan)
    elif sobject == "PricebookEntry":
        _copy_product(record, lookup("Product2", str(record.get("Product2Id") or "")))
    elif sobject == "OpportunityContactRole":
        record["IsPrimary"] = bool(record.get("IsPrimary"))  # defaulted on create: false
    elif sobject in ("User", "Contact"):
        record["Name"] = " ".join(p for p in (record.get("FirstName"), record.get("LastName"))
                                  if p)


def roll_up_opportunity(opportunity: Record, lines: Iterable[Mapping[str, Any]]) -> bool:
    """Set ``Amount`` and ``HasOpportunityLineItem`` from the live line items; return whether
    the opportunity changed."""
    live = [line for line in lines if not line.get("IsDeleted")]
    before = (opportunity.get("Amount"), opportunity.get("HasOpportunityLineItem"))
    opportunity["HasOpportunityLineItem"] = bool(live)
    if live:
        opportunity["Amount"] = float(sum(float(line.get("TotalPrice") or 0) for line in live))
    return before != (opportunity.get("Amount"), opportunity.get("HasOpportunityLineItem"))


def auto_number(display_format: str, number: int) -> str:
    """``SUB-{000000}`` and 7 → ``SUB-000007``."""
    head, _, rest = display_format.partition("{")
    zeros, _, tail = rest.partition("}")
    return f"{head}{number:0{len(zeros)}d}{tail}"


def _line_item(record: Record, lookup: Lookup, scan: Scan) -> None:
    entry = lookup("PricebookEntry", str(record.get("PricebookEntryId") or "")) \
        if record.get("PricebookEntryId") else _entry_for(record, lookup, scan)
    if entry is None:
        raise errors.required_missing(["PricebookEntryId"])
    record["PricebookEntryId"] = entry["Id"]
    record["Product2Id"] = entry.get("Product2Id")
    record["ListPrice"] = entry.get("UnitPrice")
    if record.get("UnitPrice") is None:
        record["UnitPrice"] = entry.get("UnitPrice")
    product = lookup("Product2", str(record.get("Product2Id") or ""))
    opportunity = lookup("Opportunity", str(record.get("OpportunityId") or ""))
    _take_currency(record, entry, opportunity)
    _copy_product(record, product)
    if product is not None and opportunity is not None:
        record["Name"] = f"{opportunity.get('Name')} {product.get('Name')}"
    if record.get("Quantity") is not None and record.get("UnitPrice") is not None:
        record["TotalPrice"] = float(record["Quantity"]) * float(record["UnitPrice"])


def _entry_for(record: Record, lookup: Lookup, scan: Scan) -> Mapping[str, Any] | None:
    """The price book entry of the line's product: in the opportunity's price book if it has
    one, else any active entry of the product."""
    product = record.get("Product2Id")
    if not product:
        return None
    opportunity = lookup("Opportunity", str(record.get("OpportunityId") or "")) or {}
    book = opportunity.get("Pricebook2Id")
    currency = opportunity.get(CURRENCY)
    entries = [e for e in scan("PricebookEntry")
               if e.get("Product2Id") == product and not e.get("IsDeleted")
               and (book is None or e.get("Pricebook2Id") == book)
               and e.get(CURRENCY) == currency]
    return next((e for e in entries if e.get("IsActive")), entries[0] if entries else None)


def _take_currency(record: Record, entry: Mapping[str, Any],
                   opportunity: Mapping[str, Any] | None) -> None:
    """A multi-currency org's line item is in its opportunity's currency, which its price
    book entry must be in too (single-currency records have no currency field)."""
    if CURRENCY not in record:
        return
    currency = (opportunity or {}).get(CURRENCY)
    if entry.get(CURRENCY) != currency:
        raise errors.currency_mismatch()
    record[CURRENCY] = currency


def _copy_product(record: Record, product: Mapping[str, Any] | None) -> None:
    if product is not None:
        record["Name"] = product.get("Name")
        record["ProductCode"] = product.get("ProductCode")
