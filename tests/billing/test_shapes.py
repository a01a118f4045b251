"""Fields that moved between Stripe API versions are read from either place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connector.billing import shapes
from connector.errors import SkippableError

START, END = 1795392000, 1798070400


def test_the_period_comes_from_the_item_in_current_versions() -> None:
    current = {"items": {"data": [{"id": "si_1", "current_period_start": START,
                                   "current_period_end": END}]}}

    period = shapes.subscription_period(current)

    assert (period.start, period.end) == (datetime.fromtimestamp(START, UTC),
                                          datetime.fromtimestamp(END, UTC))


def test_the_period_comes_from_the_subscription_before_basil() -> None:
    older = {"current_period_start": START, "current_period_end": END,
             "items": {"data": [{"id": "si_1"}]}}

    assert shapes.subscription_period(older).end == datetime.fromtimestamp(END, UTC)


def test_an_invoices_subscription_is_read_from_parent_or_top_level() -> None:
    current = {"parent": {"type": "subscription_details",
                          "subscription_details": {"subscription": "sub_new"}}}
    older = {"subscription": "sub_old", "parent": None}
    expanded = {"subscription": {"id": "sub_obj", "object": "subscription"}}

    assert [shapes.invoice_subscription(i) for i in (current, older, expanded, {})] == [
        "sub_new", "sub_old", "sub_obj", None]


def test_discounts_are_summed_in_minor_units() -> None:
    invoice = {"total_discount_amounts": [{"amount": 500, "discount": "di_1"},
                                          {"amount": 250, "discount": {"id": "di_2"}}]}

    assert shapes.invoice_discount_total(invoice) == 750
    assert shapes.invoice_discount_ids(invoice) == ["di_1", "di_2"]


@pytest.mark.parametrize("value", [10**20, -1, 1.5, True, "1795392000", {"t": 1}])
def test_a_timestamp_that_is_not_whole_seconds_in_range_is_skippable(value: object) -> None:
    with pytest.raises(SkippableError) as refused:
        shapes.subscription_period({"current_period_start": START, "current_period_end": value})

    assert refused.value.code == "bad_timestamp"
    assert str(refused.value).startswith("current_period_end: ")


def test_null_and_plausible_timestamps_are_read() -> None:
    assert shapes.timestamp(None) is None
    assert shapes.timestamp(0) == datetime(1970, 1, 1, tzinfo=UTC)
    assert shapes.timestamp(shapes.LATEST_TIMESTAMP - 1) == datetime(2199, 12, 31, 23, 59, 59,
                                                                      tzinfo=UTC)


def test_an_invoices_coupons_are_named_by_the_expanded_discount_else_its_id() -> None:
    expanded = {"discounts": [{"id": "di_1", "source": {"coupon": "SPRING", "type": "coupon"}},
                              {"id": "di_2", "coupon": {"id": "LEGACY"}}, "di_3"]}

    assert shapes.invoice_coupons(expanded) == "SPRING,LEGACY,di_3"
    assert shapes.invoice_coupons({"discounts": []}) is None
