"""getUpdated / getDeleted through simple-salesforce: windows, minute truncation and
latestDateCovered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_emulators.clock import ManualClock
from crm_emulators.salesforce import SalesforceEmulator

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_updated_and_deleted_cover_the_window(sf: Salesforce, emulator: SalesforceEmulator,
                                              clock: ManualClock) -> None:
    early = emulator.insert("Account", {"Name": "Early"})
    clock.advance(timedelta(minutes=2, seconds=30))
    late = emulator.insert("Account", {"Name": "Late"})
    gone = emulator.insert("Account", {"Name": "Gone"})
    emulator.delete("Account", gone)
    clock.advance(timedelta(minutes=5))

    updated = sf.Account.updated(T0 + timedelta(minutes=1, seconds=59), T0 + timedelta(minutes=4))
    deleted = sf.Account.deleted(T0, T0 + timedelta(minutes=4, seconds=40))
    everything = sf.Account.updated(T0, T0 + timedelta(minutes=5))

    assert updated == {"ids": [late], "latestDateCovered": "2026-11-22T10:04:00.000+0000"}
    assert deleted["deletedRecords"] == [
        {"id": gone, "deletedDate": "2026-11-22T10:02:30.000+0000"}]
    assert deleted["latestDateCovered"] == "2026-11-22T10:04:00.000+0000"
    assert deleted["earliestDateAvailable"] == "2026-11-07T10:07:00.000+0000"
    assert everything["ids"] == [early, late]


def test_an_empty_window_is_refused(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Account.updated(T0, T0 + timedelta(seconds=30))

    assert caught.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
