"""Incremental reads against the emulator: pages to the end, ties, and Bulk API 2.0 above the
threshold with records shaped like the REST API's, streamed in chunks."""

from __future__ import annotations

from datetime import timedelta

from connector.clock import ManualClock
from connector.retry import NO_WAIT
from connector.salesforce.auth import OAuthAuthenticator
from connector.salesforce.bulk import BulkQueries
from connector.salesforce.client import ApiMeter, SalesforceClient
from connector.salesforce.reader import Cursor, Stream, read_batches, read_changes
from connector.secrets import Secrets
from crm_emulators.salesforce import SalesforceEmulator

STREAM = Stream("Opportunity", ("Name", "Amount", "IsWon", "CloseDate", "Account.Name"))


def _seed(org: SalesforceEmulator, clock: ManualClock, count: int, per_second: int = 3) -> None:
    account = org.insert("Account", {"Name": "Acme"})
    for n in range(count):
        org.insert("Opportunity", {"Name": f"Deal {n:03d}", "AccountId": account,
                                   "StageName": "Prospecting", "CloseDate": "2026-12-01",
                                   "Amount": 100 + n})
        if n % per_second == per_second - 1:
            clock.advance(timedelta(seconds=1))
    clock.advance(timedelta(seconds=2))


def _bulk(client: SalesforceClient, threshold: int = 5) -> BulkQueries:
    return BulkQueries(client, threshold, sleep=lambda _: None, page_rows=4)


def test_a_large_read_goes_through_bulk_in_rest_shapes(client: SalesforceClient,
                                                       org: SalesforceEmulator,
                                                       clock: ManualClock) -> None:
    _seed(org, clock, 10)
    rest = read_changes(client, STREAM, Cursor(), clock.now())
    calls_before = client.meter.calls.copy()

    batches = list(read_batches(client, STREAM, Cursor(), clock.now(), bulk=_bulk(client),
                                chunk=4))

    bulk_records = [r for b in batches for r in b.records]
    strip = [{k: v for k, v in r.items() if k != "attributes"} for r in rest.records]
    for record in strip:
        record["Account"] = {"Name": record["Account"]["Name"]}
    assert bulk_records == strip
    assert bulk_records[0]["IsWon"] is False
    assert bulk_records[0]["Amount"] == 100.0
    calls = client.meter.calls - calls_before
    assert calls == {"query": 1, "bulk_create": 1, "bulk_status": 1, "bulk_results": 3,
                     "describe": 2}
    assert [len(b.records) for b in batches] == [4, 4, 2]
    assert batches[-1].cursor == rest.cursor


def test_each_chunk_carries_the_cursor_that_covers_it(client: SalesforceClient,
                                                      org: SalesforceEmulator,
                                                      clock: ManualClock) -> None:
    _seed(org, clock, 9)
    batches = list(read_batches(client, STREAM, Cursor(), clock.now(), chunk=4))

    resumed = read_changes(client, STREAM, batches[0].cursor, clock.now())  # a crash after 1

    first_ids = {r["Id"] for r in batches[0].records}
    rest_ids = {r["Id"] for b in batches[1:] for r in b.records}
    assert {r["Id"] for r in resumed.records} == rest_ids
    assert not first_ids & rest_ids


def test_rest_reads_follow_every_page(clock: ManualClock) -> None:
    emulator = SalesforceEmulator(clock, page_size=200).start()
    try:
        emulator.add_user("u@example.com", "pw", name="U", email="u@example.com")
        emulator.add_connected_app("app", "secret", run_as_username="u@example.com")
        account = emulator.insert("Account", {"Name": "Acme"})
        for n in range(450):
            emulator.insert("Opportunity", {"Name": f"D{n}", "AccountId": account,
                                            "StageName": "Prospecting",
                                            "CloseDate": "2026-12-01"})
        clock.advance(timedelta(seconds=2))
        client = _client_for(emulator)

        batches = list(read_batches(client, STREAM, Cursor(), clock.now(), chunk=1000))
    finally:
        emulator.stop()

    assert sum(len(b.records) for b in batches) == 450
    assert client.meter.calls["query"] == 3


def test_a_same_second_tie_committed_late_is_read_once(client: SalesforceClient,
                                                       org: SalesforceEmulator,
                                                       clock: ManualClock) -> None:
    account = org.insert("Account", {"Name": "Acme"})
    opportunity = {"AccountId": account, "StageName": "Prospecting", "CloseDate": "2026-12-01"}
    first_id = org.insert("Opportunity", {"Name": "First", **opportunity})
    clock.advance(timedelta(seconds=1))
    first = read_changes(client, STREAM, Cursor(), clock.now())
    # Salesforce stamps a transaction when it starts, so one committed late shows up with a
    # SystemModstamp in a second already read.
    late = org.insert("Opportunity", {"Name": "Late", **opportunity})
    stamp = org.get("Opportunity", first_id)["SystemModstamp"]
    org._org.store.get("Opportunity", late)["SystemModstamp"] = stamp
    clock.advance(timedelta(seconds=1))

    second = read_changes(client, STREAM, first.cursor, clock.now())

    assert [r["Name"] for r in first.records] == ["First"]
    assert [(r["Name"], r["SystemModstamp"]) for r in second.records] == [("Late", stamp)]


def _client_for(emulator: SalesforceEmulator) -> SalesforceClient:
    http = emulator.requests_session()
    auth = OAuthAuthenticator(emulator.url, "client_credentials", Secrets(
        {"SALESFORCE_CLIENT_ID": "app", "SALESFORCE_CLIENT_SECRET": "secret"}), http)
    return SalesforceClient(auth, http, "62.0", NO_WAIT, ApiMeter())


class _Recorded:
    """A ReadProgress that keeps what it was told."""

    def __init__(self) -> None:
        self.started: list[tuple[str, int, bool]] = []
        self.advanced: list[int] = []
        self.closed = 0

    def start(self, sobject: str, total: int, *, bulk: bool) -> _Recorded:
        self.started.append((sobject, total, bulk))
        return self

    def advance(self, records: int) -> None:
        self.advanced.append(records)

    def close(self) -> None:
        self.closed += 1


def test_a_bulk_read_reports_its_progress_chunk_by_chunk(client: SalesforceClient,
                                                         org: SalesforceEmulator,
                                                         clock: ManualClock) -> None:
    _seed(org, clock, 10)
    progress = _Recorded()
    bulk = BulkQueries(client, 5, sleep=lambda _: None, page_rows=4, progress=progress)

    list(read_batches(client, STREAM, Cursor(), clock.now(), bulk=bulk, chunk=4))

    assert progress.started == [("Opportunity", 10, True)]
    assert (progress.advanced, progress.closed) == ([4, 4, 2], 1)
