"""Bad input for the notification catalog: a customer without an email address, a relay
that refuses the sender or defers a recipient, a template that raises. Each a clear reason in
``status`` or ``deadletter list``, nothing lost, nothing else blocked."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from connector.cli import main
from connector.config import load_config
from connector.ledger.models import DeadLetter, Notification, NotificationStatus
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.wiring import build_engine
from e2e.notices import BILLING, PARTNERS, activate, configure, mails, quiet
from e2e.world import REPO, World


def _status(world: World, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    for name, value in world.stack.environment().items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    main(["status", "--format", "json", "--config", str(world.folder / "config.toml")])
    found: dict[str, object] = json.loads(capsys.readouterr().out)
    return found


def _notes(world: World, kind_prefix: str) -> list[Notification]:
    with world.engine.sessions() as session:
        return list(session.scalars(select(Notification).where(
            Notification.kind.like(f"{kind_prefix}%")).order_by(Notification.id)))


def test_a_customer_without_an_address_is_skipped_with_the_reason_in_status(
        world: World, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(world, billing=None)
    activate(world)
    quiet(world)

    customer = _notes(world, "customer_")
    assert {n.kind for n in customer} == {"customer_purchase_confirmation",
                                          "customer_payment_confirmation"}
    assert {(n.status, n.attempts) for n in customer} == {(NotificationStatus.FAILED, 0)}
    assert all(n.last_error and n.last_error.startswith("skipped: the customer has no email")
               for n in customer)
    assert mails(world, PARTNERS) != []  # the partners were told all the same
    problems = _status(world, capsys, monkeypatch)["notification_problems"]
    assert isinstance(problems, dict)
    assert problems["skipped"] == 2
    assert "Account.Billing_Email__c" in str(problems["skipped_latest"])


def test_a_relay_refusing_the_sender_dead_letters_with_its_reply(world: World) -> None:
    configure(world)
    world.stack.smtp.refuse_sender("billing-sync@example.com")

    activate(world)

    with world.engine.sessions() as session:
        letters = list(session.scalars(select(DeadLetter).where(
            DeadLetter.source == "notification")))
    assert letters
    assert all("553" in letter.reason and "Sender address rejected" in letter.reason
               for letter in letters)
    assert {n.status for n in _notes(world, "")} == {NotificationStatus.FAILED}
    assert world.stack.smtp.messages == []


def test_a_deferred_recipient_is_retried_with_backoff_while_the_others_go(
        world: World) -> None:
    configure(world)
    world.stack.smtp.defer(BILLING)

    activate(world)

    assert len(mails(world, PARTNERS)) == 1  # not blocked by the deferred customer emails
    waiting = _notes(world, "customer_")
    assert {(n.status, n.attempts) for n in waiting} == {(NotificationStatus.PENDING, 1)}
    assert all("451" in (n.last_error or "") for n in waiting)
    world.cycle()  # inside the backoff: not tried again
    assert {n.attempts for n in _notes(world, "customer_")} == {1}

    world.stack.smtp.defer(BILLING, deferring=False)
    world.clock.advance(timedelta(minutes=2))
    world.cycle()

    assert len(mails(world, BILLING)) == 2
    assert {n.status for n in _notes(world, "customer_")} == {NotificationStatus.SENT}
    sent = len(world.stack.smtp.messages)
    quiet(world)
    assert len(world.stack.smtp.messages) == sent


def test_a_template_that_raises_dead_letters_its_email_with_file_and_line(
        world: World, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    broken = templates / "customer" / "payment_confirmation.txt.j2"
    broken.write_text("Hello {{ account.name }},\n{{ 1 // 0 }}\n", encoding="utf-8")
    configure(world)
    path = world.stack.write_config(world.folder, world.mappings, templates,
                                    partner_recipients=(PARTNERS,))
    world.engine = build_engine(load_config(path), Secrets(world.stack.environment()),
                                world.clock, retry=NO_WAIT)

    activate(world)

    with world.engine.sessions() as session:
        [letter] = session.scalars(select(DeadLetter).where(DeadLetter.source == "notification"))
    assert f"{broken}:2: ZeroDivisionError" in letter.reason
    assert [m.subject for m in mails(world, BILLING)] == [
        "Thank you: your subscription to Platform (monthly) is active"]
