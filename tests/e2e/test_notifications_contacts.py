"""Where customer notifications go without ``Account.Billing_Email__c``: the won
opportunity's primary contact (``OpportunityContactRole.IsPrimary`` -> ``Contact.Email``),
else the Stripe customer's email, else nowhere (skipped, with the reason)."""

from __future__ import annotations

from sqlalchemy import select

from connector.ledger.models import Notification, NotificationStatus, Opportunity
from e2e.notices import BILLING, activate, configure, mails, quiet
from e2e.world import World

CONTACT = "jane.doe@acme.example"
OTHER = "bob.roe@acme.example"
CONFIRMATIONS = {"customer_purchase_confirmation", "customer_payment_confirmation"}


def _contacts(world: World, *, primary: bool = True) -> None:
    """Two contacts on Acme's won deal: Jane (primary unless ``primary`` is false) and Bob."""
    deal = world.org.opportunities["acme_won"]
    for email, first, is_primary in ((CONTACT, "Jane", primary), (OTHER, "Bob", False)):
        contact = world.stack.salesforce.insert("Contact", {
            "FirstName": first, "LastName": "Acme", "Email": email,
            "AccountId": world.org.accounts["acme"]})
        world.stack.salesforce.insert("OpportunityContactRole", {
            "OpportunityId": deal, "ContactId": contact, "IsPrimary": is_primary})


def _customer_notes(world: World) -> list[Notification]:
    with world.engine.sessions() as session:
        return list(session.scalars(select(Notification).where(
            Notification.kind.like("customer_%")).order_by(Notification.id)))


def test_without_a_billing_email_the_confirmations_go_to_the_primary_contact(
        world: World) -> None:
    _contacts(world)
    configure(world, billing=None)
    activate(world)

    [invoice] = world.stack.stripe.objects("invoice")
    assert sorted(m.subject for m in mails(world, CONTACT)) == [
        f"Payment received: 499.00 USD for invoice {invoice['number']}",
        "Thank you: your subscription to Platform (monthly) is active"]
    assert mails(world, OTHER) == []
    assert {(n.kind, n.recipient) for n in _customer_notes(world)} == {
        (kind, CONTACT) for kind in CONFIRMATIONS}
    with world.engine.sessions() as session:
        deal = session.scalars(select(Opportunity).where(
            Opportunity.name == "Acme Robotics - platform rollout")).one()
        assert deal.primary_contact_email == CONTACT
    sent = len(world.stack.smtp.messages)
    quiet(world)
    assert len(world.stack.smtp.messages) == sent


def test_the_billing_email_comes_before_the_primary_contact(world: World) -> None:
    _contacts(world)
    configure(world)
    activate(world)

    assert {m.subject.split(":")[0] for m in mails(world, BILLING)} == {
        "Payment received", "Thank you"}
    assert mails(world, CONTACT) == []


def test_without_a_billing_email_or_a_primary_contact_the_customer_is_skipped(
        world: World) -> None:
    _contacts(world, primary=False)
    configure(world, billing=None)
    activate(world)
    quiet(world)

    notes = _customer_notes(world)
    assert {n.kind for n in notes} == CONFIRMATIONS
    assert {(n.status, n.attempts) for n in notes} == {(NotificationStatus.FAILED, 0)}
    assert all("no won opportunity has a primary contact" in str(n.last_error)
               for n in notes)
    assert mails(world, CONTACT) == []
    assert mails(world, OTHER) == []
