"""``reconciliation``: differences from the ledger's last-seen copies, exit 1 when any."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from connector.ledger.models import Invoice, OutboxOperation, StripeInboxEvent, Subscription
from connector.reports import reconciliation

from .conftest import Report

WHEN = datetime(2026, 5, 20, tzinfo=UTC)


def _event(ident: str, obj: dict[str, Any]) -> StripeInboxEvent:
    return StripeInboxEvent(event_id=ident, type=f"{obj['object']}.updated", created=WHEN,
                            payload={"id": ident, "data": {"object": obj}}, status="processed",
                            received_at=WHEN)


def _add(url: str, *rows: Any) -> None:
    engine = create_engine(url)
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
    engine.dispose()


def test_agreeing_systems_show_no_difference(report: Report, books_url: str) -> None:
    _add(books_url, _event("evt_1", {"object": "subscription", "id": "sub_s1", "status": "active",
                                     "items": {"data": [{"quantity": 3, "price": "price-pm"}]}}))

    ran = report("reconciliation", "--format", "json")

    assert (ran.code, ran.rows()) == (0, [])


def test_differences_are_listed_and_exit_1(report: Report, books_url: str) -> None:
    _add(books_url,
         _event("evt_1", {"object": "subscription", "id": "sub_s1", "status": "past_due",
                          "items": {"data": [{"quantity": 4, "price": "price-pm"}]}}),
         _event("evt_2", {"object": "invoice", "id": "in_jan", "status": "paid",
                          "amount_paid": 9000}),
         OutboxOperation(key="w1", target="salesforce", operation="upsert:Subscription__c",
                         entity_type="subscription", entity_id="sub-s3",
                         payload={"Ledger_Id__c": "sub-s3", "Quantity__c": 1}, status="dead",
                         attempts=5, next_attempt_at=WHEN, last_error="FIELD_INTEGRITY",
                         created_at=WHEN))

    ran = report("reconciliation", "--format", "json")

    assert ran.code == 1
    found = {(r["ledger_id"], r["field"]): (r["ledger"], r["salesforce"], r["stripe"])
             for r in ran.rows()}
    assert found == {
        ("sub-s1", "status"): ("active", None, "past_due"),
        ("sub-s1", "quantity"): ("3", None, "4"),
        ("inv-jan", "amount_paid"): ("10000", None, "9000"),
        ("sub-s3", "salesforce_write"): ("not delivered", "dead: FIELD_INTEGRITY", None),
    }
    assert {r["stripe_id"] for r in ran.rows() if r["ledger_id"] == "sub-s1"} == {"sub_s1"}


def test_a_subscription_missing_in_stripe_and_an_unbooked_payment(report: Report,
                                                                  books_url: str) -> None:
    _add(books_url,
         Subscription(id="sub-lost", account_id="acc-A", status="active", currency="usd",
                      created_at=WHEN, updated_at=WHEN),
         Invoice(id="inv-unbooked", subscription_id="sub-s3", status="paid", currency="usd",
                 amount_due_minor=700, amount_paid_minor=700, created_at=WHEN, updated_at=WHEN))

    ran = report("reconciliation", "--format", "json")

    assert ran.code == 1
    assert [(r["ledger_id"], r["field"], r["ledger"], r["salesforce"], r["stripe"])
            for r in ran.rows()] == [
        ("sub-lost", "stripe_id", "active", None, "(missing)"),
        ("sub-lost", "salesforce_id", "active", "(missing)", None),
        ("inv-unbooked", "payments_booked", "0", None, "700"),
    ]


def test_ids_read_in_bulk_are_the_ids_read_one_by_one(report: Report, books_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _add(books_url,
         _event("evt_1", {"object": "subscription", "id": "sub_s1", "status": "past_due",
                          "items": {"data": [{"quantity": 4, "price": "price-pm"}]}}),
         _event("evt_2", {"object": "invoice", "id": "in_jan", "status": "paid",
                          "amount_paid": 9000}))
    one_by_one = report("reconciliation", "--format", "json").rows()

    monkeypatch.setattr(reconciliation, "BULK_AFTER", 0)
    in_bulk = report("reconciliation", "--format", "json").rows()

    assert in_bulk == one_by_one
    assert {(r["ledger_id"], r["salesforce_id"], r["stripe_id"]) for r in in_bulk} == {
        ("sub-s1", "a0s1", "sub_s1"), ("inv-jan", None, "in_jan")}
