"""The org's data model from describe: the same checks as offline, with the org's answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connector.mapping import DataModel, check_mappings
from connector.schema.org_model import org_data_model
from connector.schema.sobjects import ObjectInfo

OPP = "opportunity_to_subscription.toml"
S2S = "stripe_to_subscription.toml"


def _describe_body(info: ObjectInfo) -> dict[str, Any]:
    return {"name": info.name, "fields": [
        {"name": f.name, "type": f.type, "referenceTo": list(f.reference_to),
         "relationshipName": f.relationship_name, "createable": f.createable,
         "updateable": f.updateable,
         "picklistValues": [{"value": v, "active": True} for v in f.picklist_values]}
        for f in info.fields.values()]}


class FakeOrg:
    """Describe answers built from a data model, editable per field; counts the calls."""

    def __init__(self, model: DataModel) -> None:
        self.bodies = {name: _describe_body(info) for name, info in model.objects.items()}
        self.calls: list[str] = []

    def describe(self, name: str) -> dict[str, Any] | None:
        self.calls.append(name)
        return self.bodies.get(name)

    def field(self, sobject: str, name: str) -> dict[str, Any]:
        return next(f for f in self.bodies[sobject]["fields"] if f["name"] == name)


def _check(directory: Path, org: FakeOrg, model: DataModel) -> list[str]:
    return [str(p) for p in check_mappings(directory, org_data_model(org.describe, model))]


def test_the_shipped_mappings_pass_and_each_object_is_described_once(
        mappings_dir: Path, model: DataModel) -> None:
    org = FakeOrg(model)

    assert _check(mappings_dir, org, model) == []
    assert len(org.calls) == len(set(org.calls))
    assert "Subscription__c" in org.calls


def test_a_picklist_value_deactivated_in_the_org_is_refused(
        mappings_dir: Path, model: DataModel) -> None:
    org = FakeOrg(model)
    status = org.field("Subscription__c", "Status__c")
    status["picklistValues"] = [{**v, "active": v["value"] != "Potential"}
                                for v in status["picklistValues"]]

    assert _check(mappings_dir, org, model) == [
        "mappings/opportunity_to_subscription.toml:64: fields.Status__c.const: 'Potential' is "
        "not a value of the picklist Subscription__c.Status__c; values: Active, Trialing, "
        "Past Due, Canceled, Expired",
        "mappings/stripe_to_subscription.toml:28: fields.Status__c.transform[0].values."
        "incomplete: 'Potential' is not a value of the picklist Subscription__c.Status__c; "
        "values: Active, Trialing, Past Due, Canceled, Expired",
    ]


def test_a_field_made_read_only_in_the_org_is_refused(mappings_dir: Path,
                                                       model: DataModel) -> None:
    org = FakeOrg(model)
    org.field("Subscription__c", "MRR__c")["updateable"] = False

    assert _check(mappings_dir, org, model) == [
        "mappings/stripe_to_subscription.toml:39: fields.MRR__c: Subscription__c.MRR__c cannot "
        "be written: Salesforce calculates or maintains it (not updateable)",
        "mappings/subscription_fields.toml:33: fields.mrr: Subscription__c.MRR__c cannot be "
        "written: Salesforce calculates or maintains it (not updateable)",
    ]


def test_a_type_changed_in_the_org_is_refused(mappings_dir: Path, model: DataModel) -> None:
    org = FakeOrg(model)
    org.field("Subscription__c", "Term_Months__c")["type"] = "date"

    assert _check(mappings_dir, org, model) == [
        "mappings/opportunity_to_subscription.toml:58: fields.Term_Months__c.default: default 12 "
        "gives a number, but Subscription__c.Term_Months__c takes a date",
        "mappings/subscription_fields.toml:24: fields.term_months: Term_Months__c is a date "
        "field; term_months (length of the term) needs a number or currency field",
    ]


def test_an_object_missing_from_the_org_is_unknown(mappings_dir: Path,
                                                   model: DataModel) -> None:
    org = FakeOrg(model)
    del org.bodies["Product2"]

    assert _check(mappings_dir, org, model) == [
        "mappings/catalog.toml:11: catalog.lookup_key: the org has no object 'Product2'",
        "mappings/subscription_to_stripe.toml:20: fields.items.0.price.from: "
        "Subscription__c.Product__r leads to Product2, which is not in the data model",
        "mappings/subscription_to_stripe.toml:37: fields.description.template: "
        "Subscription__c.Product__r leads to Product2, which is not in the data model",
    ]
