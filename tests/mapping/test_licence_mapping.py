"""license.toml: the licence source and the Account summary field names."""

from __future__ import annotations

from pathlib import Path

from connector.mapping import DataModel, check_mappings, load_mappings
from connector.schema.sobjects import FieldInfo, ObjectInfo

from .conftest import Edit

PRODUCT_LICENSE = """\
[license]
object = "Product_License__c"

[fields]
account = "Customer__c"
status = "State__c"
expiration = "Ends_On__c"
seats = "Seat_Count__c"
used_seats = "Seats_In_Use__c"
active_users = "Active_Users__c"

[status]
Paid = "Active"
Evaluation = "Trial"
Lapsed = "Expired"
"""


def _with_object(model: DataModel, name: str, fields: list[FieldInfo]) -> DataModel:
    objects = dict(model.objects)
    objects[name] = ObjectInfo(name, {f.name: f for f in [FieldInfo("Id", "id"), *fields]})
    return DataModel(objects)


def _problems(mappings_dir: Path, model: DataModel) -> list[str]:
    return [str(p) for p in check_mappings(mappings_dir, model)]


def test_the_shipped_file_reads_the_lma_licence(mappings_dir: Path, model: DataModel) -> None:
    licence = load_mappings(mappings_dir, model).license

    assert licence is not None
    assert licence.sobject == "sfLma__License__c"
    record = {"sfLma__Account__c": "001A", "sfLma__Status__c": "Trial",
              "sfLma__Seats__c": -1, "sfLma__Used_Licenses__c": 7}
    assert [licence.value(record, role) for role in ("account", "seats", "used_seats")] == [
        "001A", -1, 7]
    assert licence.summary_status("Trial") == "Trial"
    assert licence.account_fields.outbound({"Seats__c": 3}) == {"Seats__c": 3}


def test_another_licence_object_is_a_change_of_the_file_only(
        mappings_dir: Path, model: DataModel) -> None:
    (mappings_dir / "license.toml").write_text(PRODUCT_LICENSE, encoding="utf-8")

    licence = load_mappings(mappings_dir, model).license

    assert licence is not None
    assert licence.sobject == "Product_License__c"
    assert licence.select() == ("Customer__c", "State__c", "Ends_On__c", "Seat_Count__c",
                                "Seats_In_Use__c", "Active_Users__c")
    assert licence.summary_status("Evaluation") == "Trial"
    assert licence.summary_status("Trial") is None  # not this object's vocabulary


def test_without_the_file_licences_are_not_tracked(mappings_dir: Path, model: DataModel) -> None:
    (mappings_dir / "license.toml").unlink()

    assert load_mappings(mappings_dir, model).license is None


def test_mistakes_are_located_with_the_reason(mappings_dir: Path, edit: Edit,
                                              model: DataModel) -> None:
    edit("license.toml", 'seats = "sfLma__Seats__c"', "seat = 3")
    edit("license.toml", 'Suspended = "Suspended"', 'Suspended = "Paused"')
    edit("license.toml", 'mrr = "MRR__c"', 'mrr = "Monthly__c"')

    problems = _problems(mappings_dir, model)

    assert any(p.startswith("mappings/license.toml:") and "fields.seat: unknown role 'seat' "
               "(did you mean 'seats'?)" in p for p in problems), problems
    assert any("status.Suspended: 'Paused' is not a licence status" in p for p in problems)
    assert any("account_fields.mrr: " in p and "Monthly__c" in p for p in problems)
    assert all(":" in p.split(": ")[0] for p in problems)  # every problem has its line


def test_fields_are_checked_where_the_model_has_the_object(
        mappings_dir: Path, edit: Edit, model: DataModel) -> None:
    org = _with_object(model, "sfLma__License__c", [
        FieldInfo("sfLma__Account__c", "reference", ("Account",), "sfLma__Account__r"),
        FieldInfo("sfLma__Status__c", "picklist"), FieldInfo("sfLma__Seats__c", "string"),
        FieldInfo("sfLma__Used_Licenses__c", "double")])

    problems = _problems(mappings_dir, org)

    assert any("fields.seats: sfLma__License__c.sfLma__Seats__c is a string field; seats "
               "(seats licensed (-1: site licence)) needs a number field" in p
               for p in problems), problems
    assert any("fields.expiration: " in p and "sfLma__Expiration__c" in p for p in problems)


def test_renamed_account_fields_are_written_in_the_orgs_names(
        mappings_dir: Path, edit: Edit, model: DataModel) -> None:
    org = _with_object(model, "Account", [
        *model.objects["Account"].fields.values(), FieldInfo("Seats_Bought__c", "double")])
    edit("license.toml", 'seats = "Seats__c"', 'seats = "Seats_Bought__c"')

    licence = load_mappings(mappings_dir, org).license

    assert licence is not None
    assert licence.account_fields.outbound({"Seats__c": 5, "MRR__c": 1}) == {
        "Seats_Bought__c": 5, "MRR__c": 1}
