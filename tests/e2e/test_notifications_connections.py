"""Partner notifications of connection trouble end to end: Stripe or Salesforce cannot be
reached (answering 503 to every call, or the Stripe emulator stopped so that connections are
refused), then recovers; one email each way, none while the trouble lasts or after."""

from __future__ import annotations

from e2e.notices import PARTNERS, configure, mails
from e2e.world import World


def test_stripe_unreachable_then_recovered_tells_the_partners_once_each(world: World) -> None:
    configure(world)
    world.cycle()
    sent = len(world.stack.smtp.messages)
    world.stack.stripe.faults.fail_next(10_000, 503)

    for _ in range(3):
        world.cycle()

    [down] = mails(world, PARTNERS, sent)
    assert down.subject == "crm-connector cannot reach Stripe"
    assert "SYSTEM_ERROR" in down.text()
    world.stack.stripe.faults.clear()
    world.cycle()
    world.cycle()
    assert [m.subject for m in mails(world, PARTNERS, sent)] == [
        "crm-connector cannot reach Stripe", "Stripe is reachable again"]


def test_salesforce_unreachable_then_recovered_tells_the_partners_once_each(
        world: World) -> None:
    configure(world)
    world.cycle()
    sent = len(world.stack.smtp.messages)
    world.stack.salesforce.faults.fail_next(10_000, 503)

    for _ in range(3):
        world.cycle()

    [down] = mails(world, PARTNERS, sent)
    assert down.subject == "crm-connector cannot reach Salesforce"
    world.stack.salesforce.faults.clear()
    world.cycle()
    world.cycle()
    assert [m.subject for m in mails(world, PARTNERS, sent)] == [
        "crm-connector cannot reach Salesforce", "Salesforce is reachable again"]


def test_stripe_stopped_then_started_again_tells_the_partners_once_each(world: World) -> None:
    """The emulator stopped: connections to its port are refused (no HTTP answer at all);
    started again on the same port with the same account."""
    configure(world)
    world.cycle()
    sent = len(world.stack.smtp.messages)
    world.stack.stripe.stop()

    for _ in range(3):
        world.cycle()

    [down] = mails(world, PARTNERS, sent)
    assert down.subject == "crm-connector cannot reach Stripe"
    assert "SYSTEM_ERROR" in down.text()
    assert "Connection refused" in down.text()
    world.stack.stripe.start()
    for _ in range(3):
        world.cycle()
    assert [m.subject for m in mails(world, PARTNERS, sent)] == [
        "crm-connector cannot reach Stripe", "Stripe is reachable again"]
