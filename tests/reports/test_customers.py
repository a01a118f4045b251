"""``customer-summary``: the figures of :mod:`books` plus a licence, worked out by hand.

Acme (001A) bills S1 (Pro x 3, MRR 150.00) and S3 (Pro yearly x 1, MRR 100.00): 4 seats,
MRR 250.00, ARR 3,000.00; its licence grants 5 seats and 6 are used (150.0 %), which is two
discrepancies. Its newest payment is March's 135.00 (the refund of 03-20 is not a payment).
Bento KK (001B) bills only S4 (Add-on x 2, MRR 50.00) since S2 was canceled; its newest
payment is S4's failed 25.00 of 05-11, newer than S2's 120,000 JPY.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from connector.ledger.licences import Licence
from connector.ledger.models import MoneyEntry

from .books import at
from .conftest import Report

ACME = {
    "account": "001A", "name": "Acme", "licence_status": "Active",
    "expiration": "2027-01-31", "seats": 4, "used_seats": 6, "utilisation": "150.0",
    "status": "active", "currency": "usd", "mrr": "250.00", "arr": "3000.00",
    "last_payment": "135.00", "last_payment_currency": "usd", "last_payment_status": "paid",
    "last_payment_at": "2026-03-10T12:00:00+00:00",
    "discrepancies": "6 seats used of 4 bought; licence grants 5 seats, billing 4",
}
BENTO = {
    "account": "001B", "name": "Bento KK", "licence_status": None, "expiration": None,
    "seats": 2, "used_seats": None, "utilisation": None, "status": "active",
    "currency": "usd", "mrr": "50.00", "arr": "600.00", "last_payment": "25.00",
    "last_payment_currency": "usd", "last_payment_status": "failed",
    "last_payment_at": "2026-05-11T12:00:00+00:00", "discrepancies": None,
}


def _add_licence_and_a_failed_payment(url: str) -> None:
    engine = create_engine(url)
    with Session(engine) as session:
        session.add_all([
            Licence(id="lic-A", account_id="acc-A", source_object="sfLma__License__c",
                    status="Active", expiration=date(2027, 1, 31), seats=5, used_seats=6,
                    created_at=at(1, 1), updated_at=at(1, 1)),
            MoneyEntry(kind="failed_payment", subscription_id="sub-s4", amount_minor=2500,
                       currency="usd", occurred_at=at(5, 11), external_id="in_s4_may",
                       created_at=at(5, 11)),
        ])
        session.commit()
    engine.dispose()


def test_each_account_gets_its_licence_seats_mrr_status_and_last_payment(
        report: Report, books_url: str) -> None:
    _add_licence_and_a_failed_payment(books_url)

    ran = report("customer-summary", "--format", "json")

    assert ran.code == 0
    assert ran.rows() == [ACME, BENTO]


def test_one_account_by_its_salesforce_id_or_ledger_id(report: Report, books_url: str) -> None:
    _add_licence_and_a_failed_payment(books_url)

    by_salesforce_id = report("customer-summary", "--account", "001B", "--format", "json")
    by_ledger_id = report("customer-summary", "--account", "acc-A", "--format", "json")

    assert (by_salesforce_id.code, by_salesforce_id.rows()) == (0, [BENTO])
    assert (by_ledger_id.code, by_ledger_id.rows()) == (0, [ACME])


def test_an_unknown_account_is_a_clear_error(report: Report) -> None:
    ran = report("customer-summary", "--account", "001NOPE")

    assert ran.code == 2
    assert "--account 001NOPE: no such account in the ledger" in ran.err
    assert "Traceback" not in ran.err


def test_the_table_shows_both_accounts(report: Report) -> None:
    ran = report("customer-summary")

    assert ran.code == 0
    assert [line.split()[0] for line in ran.out.splitlines()[1:]] == ["001A", "001B"]
