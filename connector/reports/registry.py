"""Every report by name, and finding one from what a person typed."""

from __future__ import annotations

import difflib

from connector.errors import ConfigError
from connector.reports import (
    customers,
    pipeline,
    reconciliation,
    recurring,
    revenue,
    subscribers,
)
from connector.reports.spec import Chart, ReportSpec

MONTHS, CURRENCY, ACCOUNT = "months", "currency", "account"

REPORTS: dict[str, ReportSpec] = {spec.name: spec for spec in (
    ReportSpec("revenue-by-month",
               "collected revenue per month and currency: paid invoices less refunds and "
               "credit notes",
               ("month", "currency", "revenue", "gross", "refunds", "invoices"),
               revenue.revenue_by_month,
               Chart("bar", "month", ("revenue",), "Revenue by month", panel="currency"),
               frozenset({MONTHS, CURRENCY})),
    ReportSpec("new-subscribers-by-month",
               "customers whose first subscription became active or trialing, per month",
               ("month", "new_subscribers"), subscribers.new_subscribers_by_month,
               Chart("bar", "month", ("new_subscribers",), "New subscribers by month")),
    ReportSpec("plan-by-unit",
               "active subscriptions and units (quantity) per product and price, now",
               ("product", "lookup_key", "subscriptions", "units"), subscribers.plan_by_unit,
               Chart("bar", "product", ("units",), "Units by plan"), frozenset()),
    ReportSpec("status-by-month",
               "subscriptions trialing, active, past due, canceled, expired at each month's "
               "end (from the journal)",
               ("month", *subscribers.STATUS_COLUMNS), subscribers.status_by_month,
               Chart("stacked", "month", subscribers.STATUS_COLUMNS, "Subscriptions by status")),
    ReportSpec("coupon-revenue-by-month",
               "revenue of invoices that carried a discount, and the discount given, per "
               "coupon and month",
               ("month", "coupon", "currency", "revenue", "discount", "invoices"),
               revenue.coupon_revenue_by_month,
               Chart("bar", "month", ("discount",), "Discounts by coupon", split="coupon",
                     panel="currency"),
               frozenset({MONTHS, CURRENCY})),
    ReportSpec("mrr-by-month",
               "MRR and ARR at each month's end, with new, expansion, contraction and "
               "churned MRR",
               ("month", "currency", "mrr", "arr", *recurring.MOVEMENTS, "subscriptions"),
               recurring.mrr_by_month,
               Chart("line", "month", ("mrr",), "MRR at month end", panel="currency"),
               frozenset({MONTHS, CURRENCY})),
    ReportSpec("acv",
               "annual contract value of active subscriptions per account, and in total",
               ("account", "name", "currency", "subscriptions", "acv"), recurring.acv,
               Chart("bar", "account", ("acv",), "Annual contract value", panel="currency"),
               frozenset({CURRENCY, ACCOUNT})),
    ReportSpec("pipeline",
               "open opportunities by expected close month and stage, amounts weighted by "
               "probability",
               ("close_month", "stage", "currency", "opportunities", "amount", "weighted"),
               pipeline.pipeline,
               Chart("stacked", "close_month", ("weighted",), "Weighted pipeline",
                     split="stage", panel="currency"),
               frozenset({MONTHS, CURRENCY, ACCOUNT})),
    ReportSpec("customer-summary",
               "per account: licence, seats bought and used, utilisation, MRR, billing "
               "status and last payment",
               customers.COLUMNS, customers.customer_summary,
               Chart("bar", "name", ("mrr",), "MRR by account", panel="currency"),
               frozenset({ACCOUNT})),
    ReportSpec("reconciliation",
               "differences between Salesforce, Stripe and the ledger, from the ledger's "
               "last-seen copies (exit 1 when any)",
               ("entity", "ledger_id", "salesforce_id", "stripe_id", "field", "ledger",
                "salesforce", "stripe"),
               reconciliation.reconciliation, None, frozenset(),
               differs=reconciliation.has_differences),
)}


def find(name: str) -> ReportSpec:
    """The report called ``name``.

    Raises:
        ConfigError: no such report: the problem with a did-you-mean, then the list.
    """
    if name in REPORTS:
        return REPORTS[name]
    close = [known for known in REPORTS if name and known.startswith(name)]
    close = close or difflib.get_close_matches(name, list(REPORTS), n=1, cutoff=0.5)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise ConfigError([f"report: unknown report {name!r}{hint}", "reports:", *listing()])


def listing() -> list[str]:
    """One line per report: its name and what it shows."""
    width = max(len(name) for name in REPORTS)
    return [f"  {spec.name.ljust(width)}  {spec.description}" for spec in REPORTS.values()]
