"""``pipeline`` against the hand-worked ledger's opportunities."""

from __future__ import annotations

from .conftest import Report


def test_open_opportunities_by_close_month_and_stage_weighted(report: Report) -> None:
    ran = report("pipeline", "--format", "json")

    # the won deal is not pipeline; 1,000.00 x 50 % + 2,000.00 x 25 %; 3,000.00 x 80 %
    assert ran.rows() == [
        {"close_month": "2026-06", "stage": "Proposal", "currency": "usd", "opportunities": 2,
         "amount": "3000.00", "weighted": "1000.00"},
        {"close_month": "2026-07", "stage": "Negotiation", "currency": "usd",
         "opportunities": 1, "amount": "3000.00", "weighted": "2400.00"},
    ]


def test_pipeline_of_one_account_and_close_months(report: Report) -> None:
    by_account = report("pipeline", "--format", "json", "--account", "001B")
    june = report("pipeline", "--format", "json", "--from", "2026-06", "--to", "2026-06")

    assert [r["stage"] for r in by_account.rows()] == ["Negotiation"]
    assert [r["close_month"] for r in june.rows()] == ["2026-06"]
