"""The data model: SFDX metadata and describe JSON, and path resolution against them."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.errors import ConfigError
from connector.mapping import DataModel
from connector.schema.datamodel import PathError

from .conftest import FIXTURE_SALESFORCE


def test_custom_fields_come_from_sfdx_metadata(model: DataModel) -> None:
    subscription = model.objects["Subscription__c"]
    status = subscription.fields["Status__c"]
    assert status.type == "picklist"
    assert status.picklist_values == (
        "Potential",
        "Active",
        "Trialing",
        "Past Due",
        "Canceled",
        "Expired",
    )
    product = subscription.fields["Product__c"]
    assert (product.type, product.reference_to, product.relationship_name) == (
        "reference",
        ("Product2",),
        "Product__r",
    )
    formula = subscription.fields["Total_Value__c"]
    assert (formula.type, formula.createable, formula.updateable) == ("currency", False, False)
    assert not subscription.fields["Name"].createable  # AutoNumber
    assert model.objects["Account"].fields["CSM__c"].relationship_name == "CSM__r"
    assert "Name" in model.objects["Account"].fields  # standard fields are kept


def test_standard_read_only_fields(model: DataModel) -> None:
    assert not model.objects["Opportunity"].fields["IsWon"].updateable
    assert not model.objects["OpportunityLineItem"].fields["TotalPrice"].updateable


def test_relationship_paths_resolve_to_the_far_field(model: DataModel) -> None:
    resolved = model.resolve_read("OpportunityLineItem", "Opportunity.Account.CSM__c")
    assert (resolved.object_name, resolved.kind) == ("Account", "text")
    assert model.resolve_read("Subscription__c", "Product__r.ProductCode").object_name == "Product2"
    assert (
        model.resolve_read("stripe.subscription", "items.data.0.price.unit_amount").kind == "number"
    )
    assert model.resolve_read("stripe.subscription", "metadata.anything").kind == "text"


@pytest.mark.parametrize(
    ("obj", "path", "message"),
    [
        (
            "Subscription__c",
            "Product__r",
            "'Product__r' is a relationship of Subscription__c; name one "
            "of its fields (Product__r.Name) or the reference field itself ('Product__c')",
        ),
        (
            "Opportunity",
            "Acount.Name",
            "Opportunity has no relationship 'Acount' (did you mean 'Account'?)",
        ),
        ("Opportunity", "Contract.Name", "Opportunity has no relationship 'Contract'"),
        (
            "stripe.subscription",
            "items.0.price",
            "'items' is not a list; its keys are object, has_more, url, data",
        ),
        (
            "stripe.subscription",
            "items.data.price",
            "'items.data' is a list; index it: 'items.data.0'",
        ),
        ("stripe.subscription", "status.code", "'status' is a single value; it has no 'code'"),
    ],
)
def test_path_errors(model: DataModel, obj: str, path: str, message: str) -> None:
    with pytest.raises(PathError) as caught:
        model.resolve_read(obj, path)
    assert str(caught.value) == message


def test_writes_only_reach_fields_of_the_target_itself(model: DataModel) -> None:
    with pytest.raises(PathError, match="only fields of Subscription__c itself can be written"):
        model.resolve_write("Subscription__c", "Account__r.Name")
    assert model.resolve_write("stripe.subscription", "items.3.quantity").kind == "number"


def test_from_describe_json() -> None:
    model = DataModel.from_describe(
        {
            "Subscription__c": {
                "fields": [
                    {
                        "name": "Status__c",
                        "type": "picklist",
                        "updateable": True,
                        "createable": True,
                        "picklistValues": [
                            {"value": "Active", "active": True},
                            {"value": "Old", "active": False},
                        ],
                    },
                    {
                        "name": "Account__c",
                        "type": "reference",
                        "referenceTo": ["Account"],
                        "relationshipName": "Account__r",
                        "updateable": True,
                        "createable": True,
                    },
                ]
            },
            "Account": {"fields": [{"name": "Name", "type": "string", "updateable": True}]},
        }
    )
    assert model.objects["Subscription__c"].fields["Status__c"].picklist_values == ("Active",)
    assert model.resolve_read("Subscription__c", "Account__r.Name").object_name == "Account"


def test_a_folder_without_metadata_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        DataModel.offline(tmp_path)
    assert caught.value.problems == [
        f"{tmp_path}: no SFDX object metadata found "
        "(expected objects/<Object>/fields/<Field>.field-meta.xml below it)"
    ]


def test_the_fixture_mirrors_the_documented_layout() -> None:
    assert (FIXTURE_SALESFORCE / "force-app/main/default/objects/Subscription__c").is_dir()
