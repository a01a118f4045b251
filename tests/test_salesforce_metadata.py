"""The shipped SFDX source: the default data model of DESIGN.md, deployable as is."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from connector.notifications_config import NotificationsConfig
from connector.schema.datamodel import DataModel
from connector.schema.sfdx import read_sfdx_objects

SALESFORCE_DIR = Path(__file__).resolve().parents[1] / "salesforce"
NS = "{http://soap.sforce.com/2006/04/metadata}"
SUBSCRIPTION_FIELDS = {
    "Account__c", "Opportunity__c", "Product__c", "Quantity__c", "Unit_Price__c", "Currency__c",
    "Start_Date__c", "End_Date__c", "Term_Months__c", "CSM__c", "Status__c",
    "Stripe_Customer_Id__c", "Stripe_Subscription_Id__c", "Ledger_Id__c", "MRR__c", "ARR__c",
    "Next_Renewal_Date__c", "Last_Payment_Status__c", "Sync_Error__c", "Trial_End_Date__c",
    "Cancel_At_Period_End__c",
}


def _field_xml(obj: str, name: str) -> ET.Element:
    path = SALESFORCE_DIR / f"force-app/main/default/objects/{obj}/fields/{name}.field-meta.xml"
    return ET.parse(path).getroot()


def test_project_file_names_an_existing_package_directory() -> None:
    project = json.loads((SALESFORCE_DIR / "sfdx-project.json").read_text(encoding="utf-8"))

    for package in project["packageDirectories"]:
        assert (SALESFORCE_DIR / package["path"]).is_dir()
    assert project["sourceApiVersion"] == "62.0"


def test_every_design_field_is_shipped() -> None:
    objects = read_sfdx_objects(SALESFORCE_DIR)

    assert set(objects["Subscription__c"]) >= SUBSCRIPTION_FIELDS
    assert objects["Opportunity"]["Create_Potential_Subscription__c"].type == "boolean"
    csm = objects["Account"]["CSM__c"]
    assert (csm.type, csm.reference_to, csm.relationship_name) == ("reference", ("User",), "CSM__r")


def test_status_is_a_restricted_picklist_defaulting_to_potential() -> None:
    root = _field_xml("Subscription__c", "Status__c")
    values = [v.findtext(f"{NS}fullName") for v in root.iter(f"{NS}value")]
    defaults = [v.findtext(f"{NS}fullName") for v in root.iter(f"{NS}value")
                if v.findtext(f"{NS}default") == "true"]

    assert values == ["Potential", "Active", "Trialing", "Past Due", "Canceled", "Expired"]
    assert defaults == ["Potential"]
    assert root.findtext(f"{NS}valueSet/{NS}restricted") == "true"


@pytest.mark.parametrize("name", ["Stripe_Subscription_Id__c", "Ledger_Id__c"])
def test_sync_keys_are_unique_external_ids(name: str) -> None:
    root = _field_xml("Subscription__c", name)

    assert root.findtext(f"{NS}externalId") == "true"
    assert root.findtext(f"{NS}unique") == "true"


def test_permission_sets_name_only_shipped_fields() -> None:
    model = DataModel.offline(SALESFORCE_DIR)
    sets = list(SALESFORCE_DIR.glob("**/permissionsets/*.permissionset-meta.xml"))

    assert len(sets) == 2
    for path in sets:
        root = ET.parse(path).getroot()
        for permission in root.iter(f"{NS}fieldPermissions"):
            obj, name = (permission.findtext(f"{NS}field") or "").split(".")
            assert name in model.objects[obj].fields, f"{path.name}: {obj}.{name}"


def test_csm_permission_set_keeps_connector_fields_read_only() -> None:
    path = next(SALESFORCE_DIR.glob("**/permissionsets/CRM_Connector_CSM.permissionset-meta.xml"))
    root = ET.parse(path).getroot()
    editable = {p.findtext(f"{NS}field") for p in root.iter(f"{NS}fieldPermissions")
                if p.findtext(f"{NS}editable") == "true"}

    assert "Subscription__c.Status__c" in editable
    assert "Subscription__c.Stripe_Subscription_Id__c" not in editable
    assert "Subscription__c.Ledger_Id__c" not in editable


def test_the_list_view_the_csm_digest_links_to_is_shipped_under_the_default_name() -> None:
    name = NotificationsConfig().potential_list_view
    path = (SALESFORCE_DIR / "force-app/main/default/objects/Subscription__c/listViews"
            / f"{name}.listView-meta.xml")
    root = ET.parse(path).getroot()
    model = DataModel.offline(SALESFORCE_DIR)

    assert root.findtext(f"{NS}fullName") == name
    assert root.findtext(f"{NS}filterScope") == "Everything"  # the daemon owns the records
    [condition] = root.iter(f"{NS}filters")
    assert [condition.findtext(f"{NS}{tag}") for tag in ("field", "operation", "value")] == [
        "Status__c", "equals", "Potential"]
    columns = [c.text for c in root.iter(f"{NS}columns")]
    assert "CSM__c" in columns
    assert all(c == "NAME" or c in model.objects["Subscription__c"].fields for c in columns)


def test_integration_permission_set_reads_what_the_daemon_reads_and_deletes_nothing() -> None:
    path = next(SALESFORCE_DIR.glob(
        "**/permissionsets/CRM_Connector_Integration.permissionset-meta.xml"))
    root = ET.parse(path).getroot()
    objects = {p.findtext(f"{NS}object"): {child.tag.removeprefix(NS): child.text
                                           for child in p if child.tag != f"{NS}object"}
               for p in root.iter(f"{NS}objectPermissions")}
    readable = {p.findtext(f"{NS}field") for p in root.iter(f"{NS}fieldPermissions")
                if p.findtext(f"{NS}readable") == "true"}

    # a "Minimum Access - API Only Integrations" user has no object access of its own, and
    # no role: with a Private sharing model only View All shows it every deal
    assert {name for name, grants in objects.items() if grants["viewAllRecords"] == "true"
            and grants["allowRead"] == "true"} >= {
        "Account", "Opportunity", "Product2", "Subscription__c"}
    assert all(grants["allowDelete"] == grants["modifyAllRecords"] == "false"
               for grants in objects.values())
    assert readable >= {"Opportunity.Amount", "OpportunityLineItem.ServiceDate",
                        "Product2.ProductCode", "Account.CSM__c"}
