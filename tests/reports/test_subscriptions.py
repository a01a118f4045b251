"""``new-subscribers-by-month``, ``status-by-month``, ``plan-by-unit``, ``mrr-by-month`` and
``acv`` against the hand-worked ledger."""

from __future__ import annotations

from .conftest import Report

RANGE = ("--from", "2026-01", "--to", "2026-05", "--format", "json")


def test_new_subscribers_count_a_customer_once(report: Report) -> None:
    ran = report("new-subscribers-by-month", *RANGE)

    # cus_A (S1 active) and cus_B (S2 trialing) in January; S3 and S4 are not new customers
    assert [(r["month"], r["new_subscribers"]) for r in ran.rows()] == [
        ("2026-01", 2), ("2026-02", 0), ("2026-03", 0), ("2026-04", 0), ("2026-05", 0)]


def test_status_at_each_month_end_comes_from_the_journal(report: Report) -> None:
    ran = report("status-by-month", *RANGE)

    # S2 is canceled now, but January still shows it trialing
    assert ran.rows() == [
        {"month": "2026-01", "trialing": 1, "active": 1, "past_due": 0, "canceled": 0,
         "expired": 0},
        {"month": "2026-02", "trialing": 0, "active": 2, "past_due": 0, "canceled": 0,
         "expired": 0},
        {"month": "2026-03", "trialing": 0, "active": 3, "past_due": 0, "canceled": 0,
         "expired": 0},
        {"month": "2026-04", "trialing": 0, "active": 3, "past_due": 0, "canceled": 0,
         "expired": 0},
        {"month": "2026-05", "trialing": 0, "active": 3, "past_due": 0, "canceled": 1,
         "expired": 0},
    ]


def test_status_before_the_range_carries_into_it(report: Report) -> None:
    ran = report("status-by-month", "--from", "2026-04", "--to", "2026-04", "--format", "json")

    assert ran.rows() == [{"month": "2026-04", "trialing": 0, "active": 3, "past_due": 0,
                           "canceled": 0, "expired": 0}]


def test_plan_by_unit_counts_active_subscriptions_and_units(report: Report) -> None:
    ran = report("plan-by-unit", "--format", "json")

    assert ran.rows() == [
        {"product": "Add-on", "lookup_key": "addon-monthly", "subscriptions": 1, "units": 2},
        {"product": "Pro", "lookup_key": "pro-monthly", "subscriptions": 1, "units": 3},
        {"product": "Pro", "lookup_key": "pro-yearly", "subscriptions": 1, "units": 1},
    ]


def test_mrr_movements_per_month(report: Report) -> None:
    ran = report("mrr-by-month", *RANGE)

    usd = [(r["month"], r["mrr"], r["arr"], r["new"], r["expansion"], r["contraction"],
            r["churned"], r["subscriptions"]) for r in ran.rows() if r["currency"] == "usd"]
    assert usd == [
        ("2026-01", "100.00", "1200.00", "100.00", "0.00", "0.00", "0.00", 1),
        ("2026-02", "150.00", "1800.00", "0.00", "50.00", "0.00", "0.00", 1),  # upgrade
        ("2026-03", "250.00", "3000.00", "100.00", "0.00", "0.00", "0.00", 2),  # yearly / 12
        ("2026-04", "250.00", "3000.00", "0.00", "0.00", "0.00", "0.00", 2),
        ("2026-05", "300.00", "3600.00", "50.00", "0.00", "0.00", "0.00", 3),
    ]
    jpy = [(r["month"], r["mrr"], r["new"], r["churned"]) for r in ran.rows()
           if r["currency"] == "jpy"]
    # a trial brings no MRR; the cancellation churns it
    assert jpy == [("2026-01", "0", "0", "0"), ("2026-02", "10000", "10000", "0"),
                   ("2026-03", "10000", "0", "0"), ("2026-04", "10000", "0", "0"),
                   ("2026-05", "0", "0", "10000")]


def test_acv_per_account_and_in_total(report: Report) -> None:
    ran = report("acv", "--format", "json")

    # 001A: 150.00 + 100.00 a month on 12-month terms; 001B: 50.00 a month for 6 months
    assert ran.rows() == [
        {"account": "001A", "name": "Acme", "currency": "usd", "subscriptions": 2,
         "acv": "3000.00"},
        {"account": "001B", "name": "Bento KK", "currency": "usd", "subscriptions": 1,
         "acv": "300.00"},
        {"account": "(total)", "name": None, "currency": "usd", "subscriptions": 3,
         "acv": "3300.00"},
    ]


def test_acv_of_one_account_by_its_salesforce_id(report: Report) -> None:
    ran = report("acv", "--format", "json", "--account", "001B")

    assert [(r["account"], r["acv"]) for r in ran.rows()] == [("001B", "300.00"),
                                                              ("(total)", "300.00")]
