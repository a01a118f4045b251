"""The plan as text and JSON: what an admin and a script read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from connector.plan import Change, FieldChange, Plan
from connector.plan.render import render_json, render_text

WHEN = datetime(2026, 11, 23, 9, 0, 2, tzinfo=UTC)


def _plan(*changes: Change) -> Plan:
    return Plan(WHEN, "3f2a9c1d04be" + "0" * 52, changes,
                {"opportunities_read": 2, "subscription_edits": 1, "stripe_events_applied": 0,
                 "paused": [], "deferred": []})


def test_an_update_shows_only_changed_fields_old_to_new() -> None:
    update = Change("salesforce", "update", "Subscription__c", "Ledger_Id__c=sub-1 (Id a00)", (
        FieldChange("Status__c", "Active", "Past Due"),
        FieldChange("Quantity__c", 25.0, 25),
        FieldChange("MRR__c", None, Decimal("499.00")),
    ))

    text = render_text(_plan(update))

    assert "salesforce: 1 to update" in text
    assert "  update Subscription__c Ledger_Id__c=sub-1 (Id a00)" in text
    assert "      Status__c: 'Active' → 'Past Due'" in text
    assert "      MRR__c: (none) → \"499.00\"" in text
    assert "Quantity__c" not in text  # 25.0 and 25 are the same number
    assert "      (1 field unchanged)" in text


def test_a_create_lists_its_values_and_empty_systems_say_so() -> None:
    create = Change("stripe", "create", "customer", "customer:acc-1",
                    (FieldChange("name", None, "Acme Robotics"),))

    text = render_text(_plan(create))

    assert ("stripe: 1 to create\n  create customer customer:acc-1\n"
            "      name: 'Acme Robotics'") in text
    assert "salesforce: nothing to do" in text
    assert "email: nothing to do" in text
    assert text.startswith("Plan for the next sync, read 2026-11-23 09:00:02 UTC with mappings "
                           "3f2a9c1d04be.\nNothing was written.\nRead: 2 changed opportunities")


def test_a_record_already_as_it_would_be_is_left_in_one_line() -> None:
    leave = Change("salesforce", "leave", "Subscription__c", "Ledger_Id__c=sub-1",
                   (FieldChange("Status__c", "Active", "Active"),))

    text = render_text(_plan(leave))

    assert "salesforce: 1 left as they are\n  leave Subscription__c Ledger_Id__c=sub-1\nstripe" \
        in text


def test_json_keys_each_system_and_marks_changed_fields() -> None:
    update = Change("salesforce", "update", "Subscription__c", "Ledger_Id__c=sub-1", (
        FieldChange("Status__c", "Active", "Past Due"), FieldChange("Flag__c", True, True)))

    out = json.loads(render_json(_plan(update)))

    assert out["version"] == 1
    assert out["generated_at"] == "2026-11-23T09:00:02+00:00"
    assert out["systems"]["stripe"] == []
    assert out["systems"]["salesforce"] == [{
        "action": "update", "object": "Subscription__c", "key": "Ledger_Id__c=sub-1",
        "note": "", "fields": [
            {"name": "Status__c", "old": "Active", "new": "Past Due", "changed": True},
            {"name": "Flag__c", "old": True, "new": True, "changed": False}]}]
