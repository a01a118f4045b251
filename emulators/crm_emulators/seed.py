"""The sample org and catalog the demo (and ``python -m crm_emulators … --seed``) loads.

Three accounts with their CSMs, four products (one deliberately without a Stripe price, so the
demo shows a dead letter), and opportunities in the states that matter: won with line items,
open with the "create potential subscription" box ticked, open, and won for the unpriced
product. Amounts are in the org's corporate currency (USD unless the emulator was started
with another); where the org has multiple currencies, each opportunity says so itself.
:func:`seed_licences` adds licences for an org with the License Management App.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from crm_emulators.salesforce import SalesforceEmulator
from crm_emulators.stripe_emulator import StripeEmulator


@dataclass(frozen=True)
class Product:
    """A sample product and, when it has one, its Stripe price."""

    name: str
    code: str
    unit_price: Decimal
    interval: str | None  # None: no Stripe price exists for it


PRODUCTS = (
    Product("Platform (monthly)", "PLATFORM-MONTHLY", Decimal("499.00"), "month"),
    Product("Analytics seat (annual)", "ANALYTICS-SEAT-ANNUAL", Decimal("240.00"), "year"),
    Product("Premium support (monthly)", "SUPPORT-PREMIUM", Decimal("1200.00"), "month"),
    Product("Legacy on-prem licence", "LEGACY-ONPREM", Decimal("5000.00"), None),
)


@dataclass(frozen=True)
class SampleOrg:
    """Ids of the seeded records, for narration and tests."""

    users: dict[str, str]
    accounts: dict[str, str]
    products: dict[str, str]
    opportunities: dict[str, str]


def seed_salesforce(emu: SalesforceEmulator, close_date: date) -> SampleOrg:
    """Load the sample org into the Salesforce emulator."""
    users = {
        "dana": emu.add_user("dana.whitfield@example.com", "demo-password",
                             name="Dana Whitfield", email="dana.whitfield@example.com"),
        "omar": emu.add_user("omar.haddad@example.com", "demo-password",
                             name="Omar Haddad", email="omar.haddad@example.com"),
        "priya": emu.add_user("priya.raman@example.com", "demo-password",
                              name="Priya Raman", email="priya.raman@example.com"),
    }
    accounts = {
        "acme": emu.insert("Account", {"Name": "Acme Robotics", "OwnerId": users["priya"],
                                       "CSM__c": users["dana"]}),
        "globex": emu.insert("Account", {"Name": "Globex Health", "OwnerId": users["priya"],
                                         "CSM__c": users["omar"]}),
        "initech": emu.insert("Account", {"Name": "Initech", "OwnerId": users["priya"]}),
    }
    products, entries = _seed_catalog(emu)
    opportunities = _seed_opportunities(emu, accounts, users, entries, close_date)
    return SampleOrg(users, accounts, products, opportunities)


def _seed_catalog(emu: SalesforceEmulator) -> tuple[dict[str, str], dict[str, str]]:
    book = emu.insert("Pricebook2", {"Name": "Standard Price Book", "IsActive": True})
    products: dict[str, str] = {}
    entries: dict[str, str] = {}
    for product in PRODUCTS:
        products[product.code] = emu.insert("Product2", {
            "Name": product.name, "ProductCode": product.code, "IsActive": True,
        })
        entries[product.code] = emu.insert("PricebookEntry", {
            "Pricebook2Id": book, "Product2Id": products[product.code],
            "UnitPrice": float(product.unit_price), "IsActive": True,
        })
    return products, entries


@dataclass(frozen=True)
class _Deal:
    name: str
    account: str
    stage: str
    ticked: bool
    lines: tuple[tuple[str, int, date | None], ...]  # product code, quantity, service date


def _seed_opportunities(emu: SalesforceEmulator, accounts: dict[str, str],
                        users: dict[str, str], entries: dict[str, str],
                        close_date: date) -> dict[str, str]:
    deals = {
        "acme_won": _Deal("Acme Robotics - platform rollout", "acme", "Closed Won", False, (
            ("PLATFORM-MONTHLY", 1, None),
            ("ANALYTICS-SEAT-ANNUAL", 25, close_date + timedelta(days=14)))),
        "globex_ticked": _Deal("Globex Health - support upgrade", "globex",
                               "Negotiation/Review", True, (("SUPPORT-PREMIUM", 1, None),)),
        "initech_open": _Deal("Initech - pilot", "initech", "Prospecting", False,
                              (("PLATFORM-MONTHLY", 1, None),)),
        "initech_legacy": _Deal("Initech - legacy licence", "initech", "Closed Won", False,
                                (("LEGACY-ONPREM", 1, None),)),
    }
    currency = {"CurrencyIsoCode": emu.currencies.corporate} if emu.multi_currency else {}
    ids: dict[str, str] = {}
    for key, deal in deals.items():
        ids[key] = emu.insert("Opportunity", {
            "Name": deal.name, "AccountId": accounts[deal.account], "StageName": deal.stage,
            "CloseDate": close_date.isoformat(), "OwnerId": users["priya"],
            "Create_Potential_Subscription__c": deal.ticked, **currency,
        })
        for code, quantity, service_date in deal.lines:
            _add_line(emu, ids[key], entries[code], code=code, quantity=quantity,
                      service_date=service_date)
    return ids


def _add_line(emu: SalesforceEmulator, opportunity: str, entry: str, *, code: str,
              quantity: int, service_date: date | None) -> None:
    product = next(p for p in PRODUCTS if p.code == code)
    emu.insert("OpportunityLineItem", {
        "OpportunityId": opportunity, "PricebookEntryId": entry,
        "Product2Id": emu.get("PricebookEntry", entry)["Product2Id"],
        "Quantity": float(quantity), "UnitPrice": float(product.unit_price),
        "ServiceDate": service_date.isoformat() if service_date else None,
    })


def seed_licences(emu: SalesforceEmulator, org: SampleOrg, today: date) -> dict[str, str]:
    """Licences of the License Management App (the emulator must have the ``sfLma`` package):
    Acme uses 30 of its 25 seats (120 %), Globex is on a trial that expires in three days.
    Returns account key → licence id."""
    licence = "sfLma__License__c"
    return {
        "acme": emu.insert(licence, {
            "sfLma__Account__c": org.accounts["acme"], "sfLma__Status__c": "Active",
            "sfLma__Seats__c": 25, "sfLma__Used_Licenses__c": 30,
            "sfLma__Expiration__c": (today + timedelta(days=365)).isoformat(),
            "sfLma__Install_Date__c": today.isoformat(), "sfLma__License_Type__c": "Managed"}),
        "globex": emu.insert(licence, {
            "sfLma__Account__c": org.accounts["globex"], "sfLma__Status__c": "Trial",
            "sfLma__Seats__c": 10, "sfLma__Used_Licenses__c": 4,
            "sfLma__Expiration__c": (today + timedelta(days=3)).isoformat(),
            "sfLma__Install_Date__c": today.isoformat(), "sfLma__License_Type__c": "Managed"}),
    }


def seed_stripe(emu: StripeEmulator) -> dict[str, str]:
    """Create the Stripe prices for every sample product that has one; return code → price id."""
    prices: dict[str, str] = {}
    for product in PRODUCTS:
        if product.interval is None:
            continue
        prices[product.code] = emu.seed_price(product.name, product.code,
                                              int(product.unit_price * 100),
                                              currency="usd", interval=product.interval)
    return prices
