"""Outbox commands keep the keys and payloads of rows already queued in a ledger."""

from __future__ import annotations

from typing import Any

import pytest

from connector.ledger import outbox_commands as commands
from connector.ledger.models import OutboxOperation


def _row(key: str, operation: str, payload: dict[str, Any],
         entity_id: str = "sub-1") -> OutboxOperation:
    return OutboxOperation(key=key, target="stripe", operation=operation, payload=payload,
                           entity_type="subscription", entity_id=entity_id)


def test_update_keeps_the_key_and_payload_of_earlier_releases() -> None:
    command = commands.UpdateSubscription("sub-1", "sub_123", {"items.0.quantity": 4},
                                          "create_prorations", "17")
    assert command.key == "stripe:update_subscription:sub-1:17"
    assert command.payload() == {"stripe_subscription": "sub_123",
                                 "params": {"items.0.quantity": 4},
                                 "proration_behavior": "create_prorations"}


def test_a_row_queued_by_an_earlier_release_decodes_to_its_command() -> None:
    row = _row("stripe:update_subscription:sub-1:conflict:3", "update_subscription",
               {"stripe_subscription": "sub_9", "params": {"items.0.price": "gold"},
                "proration_behavior": "none"})
    command = commands.lifecycle_command(row)
    assert command == commands.UpdateSubscription("sub-1", "sub_9", {"items.0.price": "gold"},
                                                  "none", "conflict:3")
    assert command.key == row.key


def test_cancel_round_trips_and_prorates_unless_none() -> None:
    row = _row("stripe:cancel_subscription:sub-1:8", "cancel_subscription",
               {"stripe_subscription": "sub_9", "params": {},
                "proration_behavior": "always_invoice"})
    command = commands.lifecycle_command(row)
    assert isinstance(command, commands.CancelSubscription)
    assert (command.key, command.payload(), command.prorate) == (row.key, row.payload, True)
    assert not commands.CancelSubscription("sub-1", "sub_9", "none", "8").prorate


def test_activation_key_is_one_per_subscription() -> None:
    command = commands.ActivateSubscription("sub-1", "a0X1")
    assert command.key == "stripe:activate_subscription:sub-1"
    row = _row(command.key, command.OPERATION, command.payload())
    assert commands.ActivateSubscription.from_row(row) == command


def test_salesforce_write_is_keyed_by_its_reason_and_carries_the_external_id() -> None:
    command = commands.SubscriptionWrite("sub-1", {"Quantity__c": 3}, "resolve:2")
    assert command.key == "salesforce:Subscription__c:sub-1:resolve:2"
    assert command.payload() == {"Ledger_Id__c": "sub-1", "Quantity__c": 3}
    row = _row(command.key, command.OPERATION, command.payload())
    assert commands.SubscriptionWrite.from_row(row) == command


def test_sync_error_is_cut_to_the_field_length() -> None:
    command = commands.sync_error("sub-1", "error:5", "x" * 40000)
    assert len(command.payload()["Sync_Error__c"]) == 32768


@pytest.mark.parametrize("configured", ["create_prorations", "always_invoice", "none"])
def test_only_a_csm_edit_prorates_as_configured(configured: commands.ProrationBehavior) -> None:
    assert commands.proration_behavior(commands.ChangeOrigin.CSM_EDIT, configured) == configured
    assert commands.proration_behavior(commands.ChangeOrigin.CORRECTION, configured) == "none"
    assert commands.proration_behavior(commands.ChangeOrigin.FUTURE_START) == "none"


def test_a_csm_edit_needs_the_configured_behaviour() -> None:
    with pytest.raises(ValueError, match="proration_behavior"):
        commands.proration_behavior(commands.ChangeOrigin.CSM_EDIT)
