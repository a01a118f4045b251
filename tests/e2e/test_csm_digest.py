"""CSM digests end to end: one email per CSM per cycle, whatever the number of won deals.

The seeded org has three CSMs (Dana for Acme, Omar for Globex, Priya owning Initech); the
tests add won opportunities to Dana's account before the first cycle, as a busy day would.
"""

from __future__ import annotations

from typing import Any

from e2e.world import World

DANA = "dana.whitfield@example.com"
LIST_VIEW = "/lightning/o/Subscription__c/list?filterName=Potential_Subscriptions"


def _win(world: World, name: str, lines: list[tuple[str, int]]) -> str:
    """A Closed Won opportunity on Acme (Dana's account) with ``lines`` (code, quantity)."""
    emulator = world.stack.salesforce
    seeded = emulator.get("Opportunity", world.org.opportunities["acme_won"])
    opportunity: dict[str, Any] = {
        "Name": name, "AccountId": world.org.accounts["acme"], "StageName": "Closed Won",
        "CloseDate": seeded["CloseDate"], "OwnerId": seeded["OwnerId"],
        "Create_Potential_Subscription__c": False,
    }
    if "CurrencyIsoCode" in seeded:  # a multi-currency org
        opportunity["CurrencyIsoCode"] = seeded["CurrencyIsoCode"]
    opportunity_id = emulator.insert("Opportunity", opportunity)
    entries = {e["Product2Id"]: e for e in emulator.records("PricebookEntry")}
    for code, quantity in lines:
        entry = entries[world.org.products[code]]
        emulator.insert("OpportunityLineItem", {
            "OpportunityId": opportunity_id, "PricebookEntryId": entry["Id"],
            "Product2Id": entry["Product2Id"], "Quantity": float(quantity),
            "UnitPrice": entry["UnitPrice"]})
    return opportunity_id


def _mails_to(world: World, address: str) -> list[str]:
    return [m.text() for m in world.stack.smtp.messages if m.rcpt_tos == (address,)]


def test_one_csm_with_three_won_opportunities_gets_one_email_listing_them_all(
        world: World) -> None:
    _win(world, "Acme Robotics - support add-on", [("SUPPORT-PREMIUM", 1)])
    _win(world, "Acme Robotics - second site", [("PLATFORM-MONTHLY", 2)])

    world.cycle()

    [mail] = [m for m in world.stack.smtp.messages if m.rcpt_tos == (DANA,)]
    assert mail.subject == "4 potential subscriptions to review"
    text = mail.text()
    for name in ("Acme Robotics - platform rollout", "Acme Robotics - second site",
                 "Acme Robotics - support add-on"):
        assert f"{name} (Acme Robotics)" in text
    for sub in world.subscriptions():
        if sub["Account__c"] == world.org.accounts["acme"]:
            assert f"/lightning/r/Subscription__c/{sub['Id']}/view" in text
    assert text.count("/lightning/r/Subscription__c/") == 4


def test_each_csm_gets_one_email_listing_only_their_own(world: World) -> None:
    _win(world, "Acme Robotics - second site", [("PLATFORM-MONTHLY", 2)])

    world.cycle()

    assert sorted(m.rcpt_tos[0] for m in world.stack.smtp.messages) == [
        DANA, "omar.haddad@example.com", "priya.raman@example.com"]
    [dana] = _mails_to(world, DANA)
    [omar] = _mails_to(world, "omar.haddad@example.com")
    assert "Acme Robotics - second site" in dana
    assert "Globex" not in dana
    assert "Globex Health - support upgrade" in omar
    assert "Acme" not in omar


def test_sixty_lines_list_fifty_count_ten_and_link_the_list_view(world: World) -> None:
    _win(world, "Acme Robotics - seat expansion", [("ANALYTICS-SEAT-ANNUAL", n + 1)
                                                   for n in range(58)])

    world.cycle()

    [mail] = [m for m in world.stack.smtp.messages if m.rcpt_tos == (DANA,)]
    assert mail.subject == "60 potential subscriptions to review"
    text = mail.text()
    assert text.count("/lightning/r/Subscription__c/") == 50
    assert "...and 10 more not listed here" in text
    assert f"{world.stack.salesforce.url}{LIST_VIEW}" in text
    assert sum(1 for s in world.subscriptions()
               if s["Account__c"] == world.org.accounts["acme"]) == 60


def test_a_later_cycle_with_nothing_new_sends_nothing_and_a_new_deal_goes_alone(
        world: World) -> None:
    world.cycle()
    mails = len(world.stack.smtp.messages)
    world.cycle()
    assert len(world.stack.smtp.messages) == mails

    _win(world, "Acme Robotics - late deal", [("SUPPORT-PREMIUM", 3)])
    world.cycle()

    later = world.stack.smtp.messages[mails:]
    assert [m.rcpt_tos for m in later] == [(DANA,)]
    assert later[0].subject == "1 potential subscription to review"
    assert "Acme Robotics - late deal" in later[0].text()
    assert "platform rollout" not in later[0].text()
