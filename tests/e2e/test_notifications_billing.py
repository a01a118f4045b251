"""Customer and partner billing notifications end to end: purchase, payment confirmation,
payment declined (with the hosted invoice page), renewal reminder (5 days ahead); each
exactly once to the right address, nothing more when the cycles run again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from structlog.testing import capture_logs

from connector.ledger.unit_of_work import Ledger
from connector.workflows.moments import Moments
from e2e.notices import BILLING, PARTNERS, activate, configure, daily_then_cycle, mails, quiet
from e2e.world import World


def test_a_purchase_confirms_it_and_its_payment_to_the_customer_and_tells_the_partners(
        world: World) -> None:
    configure(world)
    activate(world)

    [invoice] = world.stack.stripe.objects("invoice")
    customer = {m.subject: m for m in mails(world, BILLING)}
    assert sorted(customer) == [
        f"Payment received: 499.00 USD for invoice {invoice['number']}",
        "Thank you: your subscription to Platform (monthly) is active"]
    paid = customer[f"Payment received: 499.00 USD for invoice {invoice['number']}"].text()
    assert invoice["hosted_invoice_url"] in paid
    assert "Hello Acme Robotics" in paid
    assert [m.subject for m in mails(world, PARTNERS)] == [
        "New subscription: Acme Robotics (Platform (monthly))"]
    sent = len(world.stack.smtp.messages)
    quiet(world)
    assert len(world.stack.smtp.messages) == sent


def test_a_declined_renewal_sends_the_card_update_link_once(world: World) -> None:
    configure(world)
    record = activate(world)
    world.stack.stripe.fail_payments_for(record["Stripe_Customer_Id__c"])
    sent = len(world.stack.smtp.messages)

    world.stack.stripe.advance(timedelta(days=31))  # the renewal invoice, declined
    world.cycle()

    [declined] = [m for m in mails(world, BILLING, sent) if "declined" in m.subject]
    assert declined.subject == "Your payment of 499.00 USD was declined"
    renewal = next(i for i in world.stack.stripe.objects("invoice") if i["status"] == "open")
    assert renewal["hosted_invoice_url"] in declined.text()
    assert "Please update your card" in declined.text()
    html = declined.message.get_body(preferencelist=("html",))
    assert html is not None
    assert renewal["hosted_invoice_url"] in html.get_content()
    assert [m.subject for m in mails(world, PARTNERS, sent) if "declined" in m.subject] == [
        "Payment declined: Acme Robotics, 499.00 USD"]
    after = len(world.stack.smtp.messages)
    quiet(world)
    assert len(world.stack.smtp.messages) == after


def test_the_renewal_reminder_goes_five_days_ahead_once(world: World) -> None:
    configure(world)
    activate(world)
    [subscription] = world.stack.stripe.objects("subscription")
    renews = datetime.fromtimestamp(subscription["items"]["data"][0]["current_period_end"], UTC)
    sent = len(world.stack.smtp.messages)

    world.clock.advance(renews - timedelta(days=6) - world.clock.now())
    daily_then_cycle(world)
    assert [m for m in mails(world, BILLING, sent) if "renews" in m.subject] == []

    world.clock.advance(timedelta(days=1, hours=1))  # now 5 days ahead, less an hour
    daily_then_cycle(world)

    [reminder] = mails(world, BILLING, sent)
    assert reminder.subject == (f"Your subscription to Platform (monthly) renews on "
                                f"{renews.date().isoformat()}")
    assert "You will be charged 499.00 USD" in reminder.text()
    after = len(world.stack.smtp.messages)
    quiet(world, runs=3)
    assert len(world.stack.smtp.messages) == after


def test_a_reminder_learned_after_its_moment_is_skipped_with_a_log_line(world: World) -> None:
    configure(world)
    activate(world)
    [subscription] = world.stack.stripe.objects("subscription")
    renews = datetime.fromtimestamp(subscription["items"]["data"][0]["current_period_end"], UTC)
    world.clock.advance(renews - timedelta(days=2) - world.clock.now())
    sent = len(world.stack.smtp.messages)
    # The daily job announced the renewal, then the daemon was down past the renewal moment.
    Moments(world.engine.config.notifications).run(
        Ledger(world.engine.sessions, world.clock, "before-the-outage"))
    world.clock.advance(timedelta(days=3))

    with capture_logs() as logs:
        daily_then_cycle(world)

    assert [m for m in mails(world, BILLING, sent) if "renews" in m.subject] == []
    assert [entry["notification_event"] for entry in logs
            if entry["event"] == "notification skipped: its moment has passed"] == [
        "customer.renewal_reminder"]
