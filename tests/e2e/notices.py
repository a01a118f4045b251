"""Helpers of the notification catalog's end-to-end tests: partners configured, a billing
address on Acme, the emails the SMTP sink received."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from connector.config import load_config
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.daily import run_daily
from connector.sync.wiring import build_engine
from crm_emulators.smtp import ReceivedMessage
from e2e.world import REPO, World

PARTNERS = "partners@example.com"
BILLING = "billing@acme.example"


def configure(world: World, *, billing: str | None = BILLING, account: str = "acme") -> World:
    """Partners get the partner events; ``account``'s ``Billing_Email__c`` is ``billing``."""
    if billing is not None:
        world.stack.salesforce.update("Account", world.org.accounts[account],
                                      {"Billing_Email__c": billing})
    path = world.stack.write_config(world.folder, world.mappings, REPO / "templates",
                                    generate_since=world.generate_since,
                                    partner_recipients=(PARTNERS,))
    world.engine = build_engine(load_config(path), Secrets(world.stack.environment()),
                                world.clock, retry=NO_WAIT)
    return world


def mails(world: World, address: str, since: int = 0) -> list[ReceivedMessage]:
    """The messages to ``address`` alone, from the ``since``-th one received."""
    return [m for m in world.stack.smtp.messages[since:] if m.rcpt_tos == (address,)]


def subjects(world: World, address: str, since: int = 0) -> list[str]:
    """The subjects of :func:`mails`."""
    return [m.subject for m in mails(world, address, since)]


def activate(world: World, code: str = "PLATFORM-MONTHLY", **fields: Any) -> dict[str, Any]:
    """Generate, let the CSM activate (or start a trial: ``Status__c="Trialing"``), then the
    cycle that applies Stripe's events of it; the Subscription__c as it ends up."""
    world.cycle()
    record = next(s for s in world.subscriptions() if s["Product__r"]["ProductCode"] == code)
    values = {"Status__c": "Active", **fields}
    world.admin().restful(f"sobjects/Subscription__c/{record['Id']}", method="PATCH",
                          json=values)
    world.clock.advance(timedelta(seconds=1))
    world.cycle()
    world.cycle()
    return next(s for s in world.subscriptions() if s["Id"] == record["Id"])


def daily_then_cycle(world: World) -> None:
    """The daily job, then a cycle that sends what it queued."""
    run_daily(world.engine)
    world.cycle()


def quiet(world: World, runs: int = 2) -> None:
    """Run the daily job and cycles again; callers assert nothing more was sent."""
    for _ in range(runs):
        daily_then_cycle(world)
