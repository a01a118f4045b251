"""Installed managed packages: the License Management App's ``sfLma__License__c``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceResourceNotFound

from crm_emulators.salesforce import SalesforceEmulator


def test_an_org_without_the_package_has_no_licence_object(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound):
        sf.sfLma__License__c.describe()


def test_the_lma_adds_its_licence_object_with_the_documented_fields(
        make_client: Callable[..., Salesforce]) -> None:
    emu = SalesforceEmulator(packages=("sfLma",)).start()
    try:
        emu.add_user("admin@example.com", "pw", name="Org Admin", email="admin@example.com")
        sf = make_client(emu=emu)
        fields = {f["name"]: f for f in sf.sfLma__License__c.describe()["fields"]}
        account = emu.insert("Account", {"Name": "Acme"})
        licence = emu.insert("sfLma__License__c", {
            "sfLma__Account__c": account, "sfLma__Status__c": "Active",
            "sfLma__Seats__c": -1, "sfLma__Used_Licenses__c": 40})
        [row] = sf.query("SELECT Name, sfLma__Account__r.Name, sfLma__Seats__c "
                         "FROM sfLma__License__c")["records"]
    finally:
        emu.stop()

    assert fields["sfLma__Account__c"]["referenceTo"] == ["Account"]
    assert fields["sfLma__Account__c"]["relationshipName"] == "sfLma__Account__r"
    assert [v["value"] for v in fields["sfLma__Status__c"]["picklistValues"]] == [
        "Active", "Trial", "Expired", "Suspended"]
    assert fields["sfLma__Status__c"]["restrictedPicklist"] is False
    assert (fields["sfLma__Seats__c"]["type"], fields["sfLma__Expiration__c"]["type"]) == (
        "double", "date")
    assert licence.startswith("a0")
    assert (row["Name"], row["sfLma__Account__r"]["Name"], row["sfLma__Seats__c"]) == (
        "L-00001", "Acme", -1)
