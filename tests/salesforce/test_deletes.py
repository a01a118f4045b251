"""Delete checks: getDeleted windows that follow latestDateCovered, and a full id-set
reconciliation when the last check is older than getDeleted's 15 days."""

from __future__ import annotations

from datetime import timedelta

from connector.clock import ManualClock
from connector.salesforce.bulk import BulkQueries
from connector.salesforce.client import SalesforceClient
from connector.salesforce.deletes import DeleteCursor, read_deletions
from crm_emulators.salesforce import SalesforceEmulator


def _accounts(org: SalesforceEmulator, count: int) -> list[str]:
    return [org.insert("Account", {"Name": f"A{n}"}) for n in range(count)]


def test_get_deleted_reports_the_window_and_where_to_go_on(
        client: SalesforceClient, org: SalesforceEmulator, clock: ManualClock) -> None:
    ids = _accounts(org, 3)
    start = DeleteCursor(clock.now())
    clock.advance(timedelta(minutes=2))
    org.delete("Account", ids[1])
    clock.advance(timedelta(minutes=2))

    found = read_deletions(client, "Account", start, clock.now())
    org.delete("Account", ids[2])
    clock.advance(timedelta(minutes=2))
    then = read_deletions(client, "Account", found.cursor, clock.now())

    assert found.deleted == {ids[1]}
    assert not found.reconciled
    assert found.cursor.covered == clock.now().replace(second=0) - timedelta(minutes=2)
    assert then.deleted == {ids[2]}
    assert client.meter.calls["deleted"] == 2


def test_a_window_shorter_than_a_minute_is_not_asked(
        client: SalesforceClient, clock: ManualClock) -> None:
    cursor = DeleteCursor(clock.now())

    found = read_deletions(client, "Account", cursor, clock.now() + timedelta(seconds=20))

    assert found.deleted == frozenset()
    assert found.cursor == cursor
    assert client.meter.total_calls == 0


def test_a_check_older_than_15_days_reconciles_the_full_id_set(
        client: SalesforceClient, org: SalesforceEmulator, clock: ManualClock) -> None:
    ids = _accounts(org, 4)
    cursor = DeleteCursor(clock.now())
    org.delete("Account", ids[0])
    clock.advance(timedelta(days=16))

    found = read_deletions(client, "Account", cursor, clock.now())

    assert found.reconciled
    assert found.live == set(ids[1:])
    assert found.deleted == {ids[0]}
    assert client.meter.calls == {"query": 1}  # one queryAll page, no getDeleted


def test_a_large_reconciliation_goes_through_bulk(
        client: SalesforceClient, org: SalesforceEmulator, clock: ManualClock) -> None:
    ids = _accounts(org, 8)
    org.delete("Account", ids[3])
    bulk = BulkQueries(client, threshold=5, sleep=lambda _: None)

    found = read_deletions(client, "Account", DeleteCursor(None), clock.now(), bulk)

    assert found.live == set(ids) - {ids[3]}
    assert found.deleted == {ids[3]}
    assert client.meter.calls["bulk_create"] == 1
