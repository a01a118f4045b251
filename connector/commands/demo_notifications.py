"""The demo's notification step: the catalog's customer and partner emails.

Acme's billing contact (``Account.Billing_Email__c``) gets the customer emails, a partner
team the partner ones. After the purchases and first payments, Stripe's clock moves to four
days before Acme's monthly renewal, where the daily job sends the renewal reminder; then
Acme's card starts failing and the renewal is declined, which sends the link where the card
is updated (Stripe's hosted invoice page).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from connector.clock import ManualClock
from connector.commands.demo_licences import Say
from connector.sync.daily import run_daily
from connector.sync.engine import SyncEngine

if TYPE_CHECKING:
    from crm_emulators.seed import SampleOrg
    from crm_emulators.smtp import ReceivedMessage
    from crm_emulators.stack import EmulatorStack

BILLING = "billing@acme.example"
PARTNERS = ("partners@example.com",)
MONTHLY = "PLATFORM-MONTHLY"


def prepare(stack: EmulatorStack, org: SampleOrg) -> None:
    """Give Acme a billing contact (before the first cycle reads its deals)."""
    stack.salesforce.update("Account", org.accounts["acme"], {"Billing_Email__c": BILLING})


def show_notifications(say: Say, stack: EmulatorStack, engine: SyncEngine) -> bool:
    """Show the catalog's emails so far, then a renewal reminder and a declined renewal;
    whether both were sent to Acme's billing contact."""
    say.step("Customer and partner notifications: purchases, payments, a renewal, a decline")
    _subjects(say, [m for m in stack.smtp.messages if m.rcpt_tos in ((BILLING,), PARTNERS)])
    renews, customer = _monthly(stack)
    seen = len(stack.smtp.messages)
    moved = _advance(stack, renews - timedelta(days=4) - datetime.now(UTC))
    say.say(f"Stripe's clock moves to 4 days before the renewal on {renews.date()}; the "
            "daily job runs:")
    run_daily(engine, ManualClock(datetime.now(UTC) + moved))
    engine.run_cycle()
    reminder = _show(say, stack, seen, "renews on")
    seen = len(stack.smtp.messages)
    stack.stripe.fail_payments_for(customer)
    _advance(stack, timedelta(days=5), moved)
    say.say("Acme's card now fails; the renewal is billed and declined:")
    engine.run_cycle()
    declined = _show(say, stack, seen, "was declined")
    return reminder and declined


def _monthly(stack: EmulatorStack) -> tuple[datetime, str]:
    """When Acme's monthly subscription renews, and its Stripe customer."""
    for sub in stack.stripe.objects("subscription"):
        item = sub["items"]["data"][0]
        if item["price"].get("lookup_key") == MONTHLY:
            return datetime.fromtimestamp(item["current_period_end"], UTC), sub["customer"]
    raise LookupError(f"no Stripe subscription of {MONTHLY}")


def _advance(stack: EmulatorStack, delta: timedelta,
             before: timedelta = timedelta(0)) -> timedelta:
    """Move Stripe's clock by ``delta``; return how far it is ahead of the wall clock."""
    stack.stripe.advance(delta)
    return before + delta


def _subjects(say: Say, messages: list[ReceivedMessage]) -> None:
    for message in messages:
        say.say(f"To: {message.rcpt_tos[0]:<24} Subject: {message.subject}")


def _show(say: Say, stack: EmulatorStack, since: int, words: str) -> bool:
    found = [m for m in stack.smtp.messages[since:] if words in m.subject]
    _subjects(say, [m for m in stack.smtp.messages[since:]])
    for message in found[:1]:
        say.say("")
        say.say(message.text().rstrip())
        say.say("")
    return any(m.rcpt_tos == (BILLING,) for m in found)
