"""Licence notifications end to end (the License Management App's licences): used seats
above seats tells the partners of a discrepancy; seats added tells the customer and the
partners; each once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.notices import BILLING, PARTNERS, activate, configure, mails, quiet
from e2e.world import World, start

LICENCE = "sfLma__License__c"


@pytest.fixture
def lma(tmp_path: Path) -> Iterator[World]:
    """The sample org with the License Management App; partners and Acme's billing contact
    configured, Acme's 25 analytics seats active."""
    world = configure(start(tmp_path, packages=("sfLma",)))
    try:
        activate(world, "ANALYTICS-SEAT-ANNUAL")
        yield world
    finally:
        world.stack.stop()


def test_used_seats_above_seats_tells_the_partners_of_the_discrepancy_once(lma: World) -> None:
    sent = len(lma.stack.smtp.messages)
    lma.stack.salesforce.insert(LICENCE, {
        "sfLma__Account__c": lma.org.accounts["acme"], "sfLma__Status__c": "Active",
        "sfLma__Seats__c": 25, "sfLma__Used_Licenses__c": 30})

    lma.cycle()

    [partner] = mails(lma, PARTNERS, sent)
    assert partner.subject == "Licence discrepancy: Acme Robotics"
    assert "30 seats used of 25 bought" in partner.text()
    assert mails(lma, BILLING, sent) == []
    after = len(lma.stack.smtp.messages)
    quiet(lma)
    assert len(lma.stack.smtp.messages) == after


def test_seats_added_tell_the_customer_and_the_partners_once(lma: World) -> None:
    licence = lma.stack.salesforce.insert(LICENCE, {
        "sfLma__Account__c": lma.org.accounts["acme"], "sfLma__Status__c": "Active",
        "sfLma__Seats__c": 25, "sfLma__Used_Licenses__c": 20})
    lma.cycle()
    sent = len(lma.stack.smtp.messages)

    lma.stack.salesforce.update(LICENCE, licence, {"sfLma__Seats__c": 40})
    lma.cycle()

    [customer] = mails(lma, BILLING, sent)
    assert customer.subject == "Your licence changed: 40 seats"
    assert "from 25 seats to 40 seats (added)" in customer.text()
    changes = [m.subject for m in mails(lma, PARTNERS, sent) if "Licence changed" in m.subject]
    assert changes == ["Licence changed: Acme Robotics, 40 seats"]
    after = len(lma.stack.smtp.messages)
    quiet(lma)
    assert len(lma.stack.smtp.messages) == after
