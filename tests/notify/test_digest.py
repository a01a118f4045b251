"""Grouping queued notifications into digests: order, the line cap, stable keys."""

from __future__ import annotations

from typing import Any

from connector.notify.digest import Digest, Entry, group
from connector.notify.urls import SalesforceUrls

CSM = "csm_potential_subscriptions"


def _entry(n: int, account: str, opportunity: str, lines: int = 1, *,
           recipient: str = "dana@example.com", kind: str = CSM) -> Entry:
    context: dict[str, Any] = {
        "csm": {"name": "Dana"}, "account": {"name": account},
        "opportunity": {"name": opportunity},
        "lines": [{"product": f"{opportunity} {i}"} for i in range(lines)],
    }
    return Entry(n, f"{kind}:opp-{n}", kind, recipient, context)


def _products(digest: Digest, limit: int = 50) -> list[str]:
    context = digest.context("https://list", limit)
    return [line["product"] for item in context["opportunities"] for line in item["lines"]]


def test_one_digest_per_recipient_ordered_by_account_then_opportunity_then_queue() -> None:
    digests = group([_entry(1, "Initech", "Renewal"), _entry(2, "acme", "Rollout"),
                     _entry(3, "Acme", "Add-on"), _entry(4, "Globex", "X", recipient="omar@x"),
                     _entry(5, "Acme", "Add-on")], [CSM])

    assert [(d.recipient, [e.notification_id for e in d.entries]) for d in digests] == [
        ("dana@example.com", [3, 5, 2, 1]), ("omar@x", [4])]


def test_the_cap_counts_lines_across_opportunities() -> None:
    [digest] = group([_entry(1, "A", "First", 3), _entry(2, "A", "Second", 3),
                      _entry(3, "B", "Third", 2)], [CSM])

    context = digest.context("https://list", limit=4)

    assert _products(digest, limit=4) == ["First 0", "First 1", "First 2", "Second 0"]
    assert {k: context[k] for k in ("total", "shown", "more", "opportunity_count",
                                    "more_opportunities", "list_view_url")} == {
        "total": 8, "shown": 4, "more": 4, "opportunity_count": 3, "more_opportunities": 1,
        "list_view_url": "https://list"}


def test_a_digest_key_depends_on_the_rows_it_carries_not_their_order() -> None:
    one = group([_entry(1, "A", "X"), _entry(2, "B", "Y")], [CSM])[0]
    same = group([_entry(2, "B", "Y"), _entry(1, "A", "X")], [CSM])[0]
    more = group([_entry(1, "A", "X"), _entry(2, "B", "Y"), _entry(3, "C", "Z")], [CSM])[0]

    assert one.key == same.key
    assert one.key != more.key
    assert one.key.startswith(f"{CSM}:digest:")
    assert len(one.key) <= 255


def test_a_kind_that_is_not_digested_goes_one_email_per_row_under_its_own_key() -> None:
    digests = group([_entry(1, "A", "X", kind="receipt"), _entry(2, "A", "Y", kind="receipt")],
                    [CSM])

    assert [d.key for d in digests] == ["receipt:opp-1", "receipt:opp-2"]
    assert digests[0].context("https://list")["opportunity"] == {"name": "X"}


def test_salesforce_urls_are_lightning_record_and_list_view_pages() -> None:
    urls = SalesforceUrls("https://acme.my.salesforce.com/")

    assert urls.record("Subscription__c", "a0X1") == (
        "https://acme.my.salesforce.com/lightning/r/Subscription__c/a0X1/view")
    assert urls.list_view("Subscription__c", "Potential_Subscriptions") == (
        "https://acme.my.salesforce.com/lightning/o/Subscription__c/list"
        "?filterName=Potential_Subscriptions")
