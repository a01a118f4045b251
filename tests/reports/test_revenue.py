"""``revenue-by-month`` and ``coupon-revenue-by-month`` against the hand-worked ledger."""

from __future__ import annotations

from .conftest import Report


def test_revenue_is_paid_invoices_less_refunds_and_credit_notes(report: Report) -> None:
    ran = report("revenue-by-month", "--from", "2026-01", "--to", "2026-05", "--format", "json",
                 "--currency", "USD")

    assert ran.code == 0, ran.err
    assert ran.rows() == [
        {"month": "2026-01", "currency": "usd", "revenue": "100.00", "gross": "100.00",
         "refunds": "0.00", "invoices": 1},
        # the mid-month upgrade's proration invoice is revenue of its month
        {"month": "2026-02", "currency": "usd", "revenue": "125.00", "gross": "125.00",
         "refunds": "0.00", "invoices": 2},
        # the coupon invoice counts what was paid (135.00), the refund comes off
        {"month": "2026-03", "currency": "usd", "revenue": "1305.00", "gross": "1335.00",
         "refunds": "30.00", "invoices": 2},
        {"month": "2026-04", "currency": "usd", "revenue": "0.00", "gross": "0.00",
         "refunds": "0.00", "invoices": 0},
        {"month": "2026-05", "currency": "usd", "revenue": "-5.00", "gross": "0.00",
         "refunds": "5.00", "invoices": 0},
    ]


def test_a_zero_decimal_currency_is_in_major_units(report: Report) -> None:
    ran = report("revenue-by-month", "--from", "2026-02", "--to", "2026-03", "--format", "json")

    assert [r for r in ran.rows() if r["currency"] == "jpy"] == [
        {"month": "2026-02", "currency": "jpy", "revenue": "120000", "gross": "120000",
         "refunds": "0", "invoices": 1},
        {"month": "2026-03", "currency": "jpy", "revenue": "0", "gross": "0", "refunds": "0",
         "invoices": 0},
    ]


def test_csv_has_the_columns_in_order_and_decimal_money(report: Report) -> None:
    ran = report("revenue-by-month", "--from", "2026-03", "--to", "2026-03", "--format", "csv")

    assert ran.out.splitlines() == [
        "month,currency,revenue,gross,refunds,invoices",
        "2026-03,usd,1305.00,1335.00,30.00,2",  # JPY has no money in the range
    ]


def test_the_table_piped_is_plain_aligned_text(report: Report) -> None:
    ran = report("revenue-by-month", "--from", "2026-01", "--to", "2026-01", "--currency", "usd")

    assert ran.out.splitlines() == [
        "month    currency  revenue  gross   refunds  invoices",
        "2026-01  usd       100.00   100.00  0.00     1",
    ]


def test_without_a_range_it_runs_from_the_first_payment(report: Report) -> None:
    ran = report("revenue-by-month", "--to", "2026-02", "--format", "json", "--currency", "usd")

    assert [r["month"] for r in ran.rows()] == ["2026-01", "2026-02"]


def test_coupon_revenue_per_coupon(report: Report) -> None:
    ran = report("coupon-revenue-by-month", "--format", "json", "--to", "2026-05")

    assert ran.rows() == [{"month": "2026-03", "coupon": "SPRING", "currency": "usd",
                           "revenue": "135.00", "discount": "15.00", "invoices": 1}]
