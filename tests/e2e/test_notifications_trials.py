"""Trial notifications end to end: signup (customer and partners), expiring one day ahead
(from the daily job), expired without a subscription (partners); each exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from e2e.notices import BILLING, PARTNERS, activate, configure, daily_then_cycle, mails, quiet
from e2e.world import START, World

TRIAL_END = datetime.combine((START + timedelta(days=14)).date(), datetime.min.time(), UTC)


def _trial(world: World) -> dict[str, object]:
    """Globex's CSM starts a 14-day trial of premium support; Globex's billing contact is
    BILLING."""
    configure(world, account="globex")
    return activate(world, "SUPPORT-PREMIUM", Status__c="Trialing",
                    Trial_End_Date__c=TRIAL_END.date().isoformat())


def test_a_trial_signup_tells_the_customer_and_the_partners_once(world: World) -> None:
    _trial(world)

    [customer] = mails(world, BILLING)
    assert customer.subject.startswith("Your free trial of ")
    assert customer.subject.endswith(" has started")
    assert f"runs until {TRIAL_END.date().isoformat()}" in customer.text()
    [partner] = mails(world, PARTNERS)
    assert partner.subject.startswith("New free trial: Globex Health (")
    sent = len(world.stack.smtp.messages)
    quiet(world)
    assert len(world.stack.smtp.messages) == sent


def test_trial_expiring_goes_one_day_ahead_to_both_once(world: World) -> None:
    _trial(world)
    sent = len(world.stack.smtp.messages)
    world.clock.advance(TRIAL_END - timedelta(hours=30) - world.clock.now())
    daily_then_cycle(world)
    assert len(world.stack.smtp.messages) == sent  # 30 hours ahead: not yet

    world.clock.advance(timedelta(hours=8))  # 22 hours before the trial ends
    daily_then_cycle(world)

    day = TRIAL_END.date().isoformat()
    [customer] = mails(world, BILLING, sent)
    assert customer.subject.endswith(f" ends on {day}")
    assert customer.subject.startswith("Your free trial of ")
    [partner] = mails(world, PARTNERS, sent)
    assert partner.subject.startswith(f"Trial ending {day}: Globex Health (")
    after = len(world.stack.smtp.messages)
    for _ in range(3):  # the daily job ten times, or after a restart, sends nothing twice
        daily_then_cycle(world)
    world.restart()
    configure(world, billing=None, account="globex")
    daily_then_cycle(world)
    assert len(world.stack.smtp.messages) == after


def test_a_trial_that_ends_without_a_subscription_tells_the_partners(world: World) -> None:
    record = _trial(world)
    world.set_status(str(record["Id"]), "Canceled")
    world.cycle()
    world.cycle()
    sent = len(world.stack.smtp.messages)

    world.stack.stripe.advance(TRIAL_END + timedelta(hours=2) - world.clock.now())
    world.cycle()
    daily_then_cycle(world)

    [expired] = [m for m in mails(world, PARTNERS, sent) if "expired" in m.subject]
    assert expired.subject.startswith("Trial expired without a subscription: Globex Health")
    assert TRIAL_END.date().isoformat() in expired.text()
    assert not [m for m in mails(world, BILLING, sent) if "trial" in m.subject.lower()]
    after = len(world.stack.smtp.messages)
    quiet(world)
    assert len(world.stack.smtp.messages) == after
