"""A one-off invoice (no subscription) in the reports: revenue, not recurring revenue."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from connector.ledger.models import Invoice

from . import books
from .conftest import Report


@pytest.fixture
def one_off(books_url: str) -> None:
    """Customer ``cust-B`` bought a 200.00 USD workshop on 2026-04-08 with coupon WELCOME
    (20.00 off, 180.00 paid), refunded 50.00 on 04-20; unlinked customer ``cust-X`` paid
    30.00 USD on 04-09. Neither invoice bills a subscription."""
    engine = create_engine(books_url)
    with Session(engine) as session:
        workshop = _invoice(session, "workshop", "cust-B", 18000, discount=2000,
                            coupon="WELCOME")
        books.money(session, "payment", workshop, 18000, books.at(4, 8), "workshop")
        books.money(session, "discount", workshop, 2000, books.at(4, 8), "workshop")
        books.money(session, "refund", workshop, 5000, books.at(4, 20), "re_workshop")
        walk_in = _invoice(session, "walk-in", None, 3000)
        books.money(session, "payment", walk_in, 3000, books.at(4, 9), "walk-in")
        session.commit()
    engine.dispose()


def _invoice(session: Session, ident: str, customer: str | None, paid: int, *,
             discount: int = 0, coupon: str | None = None) -> Invoice:
    invoice = Invoice(id=f"inv-{ident}", customer_id=customer, subscription_id=None,
                      status="paid", currency="usd", amount_due_minor=paid,
                      amount_paid_minor=paid, discount_minor=discount, coupon=coupon,
                      invoiced_at=books.at(4, 8), created_at=books.T0, updated_at=books.T0)
    session.add(invoice)
    session.flush()
    books.link(session, "invoice", invoice.id, "stripe", "invoice", f"in_{ident}")
    return invoice


@pytest.mark.usefixtures("one_off")
def test_one_off_invoices_are_revenue_of_their_month(report: Report) -> None:
    ran = report("revenue-by-month", "--from", "2026-04", "--to", "2026-04", "--format",
                 "json", "--currency", "usd")

    assert ran.code == 0, ran.err
    # April had no money before: 180.00 + 30.00 paid, 50.00 refunded
    assert ran.rows() == [{"month": "2026-04", "currency": "usd", "revenue": "160.00",
                           "gross": "210.00", "refunds": "50.00", "invoices": 2}]


@pytest.mark.usefixtures("one_off")
def test_a_one_off_invoice_with_a_coupon_is_coupon_revenue(report: Report) -> None:
    ran = report("coupon-revenue-by-month", "--format", "json", "--to", "2026-05")

    assert ran.rows() == [
        {"month": "2026-03", "coupon": "SPRING", "currency": "usd", "revenue": "135.00",
         "discount": "15.00", "invoices": 1},
        {"month": "2026-04", "coupon": "WELCOME", "currency": "usd", "revenue": "180.00",
         "discount": "20.00", "invoices": 1}]


@pytest.mark.parametrize("name", ["mrr-by-month", "status-by-month", "new-subscribers-by-month",
                                  "plan-by-unit", "reconciliation"])
def test_recurring_and_status_reports_do_not_count_one_off_invoices(
        report: Report, books_url: str, name: str, request: pytest.FixtureRequest) -> None:
    args = [name, "--format", "json"] + ([] if name in ("plan-by-unit", "reconciliation")
                                         else ["--from", "2026-01", "--to", "2026-05"])
    before = report(*args)
    request.getfixturevalue("one_off")

    after = report(*args)

    assert (after.code, after.rows()) == (before.code, before.rows())
