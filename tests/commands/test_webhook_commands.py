"""``status`` shows each outbound endpoint; ``webhooks enable``; ``deadletter`` for webhooks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import pytest

from connector.cli import EXIT_CONFIG, EXIT_OK, main
from connector.clock import ManualClock, SystemClock
from connector.commands.status_command import EXIT_ATTENTION
from connector.config import load_config
from connector.dispatch.webhook_transport import Answer, Signer
from connector.dispatch.webhooks import RETRY_SCHEDULE, WebhookDispatch, WebhookSender
from connector.ledger.unit_of_work import Ledger
from connector.ledger.webhook_deliveries import queue_event, sync_endpoints
from connector.sync.wiring import open_ledger

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
GONE, DOWN = "https://gone.example.com/h", "https://down.example.com/h"


class Answers:
    """Answers 410 from GONE and 500 from DOWN."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str],
             timeout: float) -> Answer:
        return Answer(410 if url == GONE else 500, "boom")


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[ledger]\nurl = "sqlite:///{tmp_path / "ledger.db"}"\n\n'
        f'[mappings]\ndir = "{REPO / "mappings"}"\n\n[templates]\ndir = "{REPO / "templates"}"\n'
        f'\n[[webhooks.endpoints]]\nurl = "{GONE}"\nevents = ["*"]\n'
        f'\n[[webhooks.endpoints]]\nurl = "{DOWN}"\nevents = ["invoice.paid"]\n'
        'description = "the warehouse"\n', encoding="utf-8")
    return path


def _deliver_until_dead(path: Path) -> None:
    """A 410 from GONE, and eight 500s from DOWN until its delivery is dead-lettered."""
    config = load_config(path)
    _, sessions = open_ledger(config)
    clock = ManualClock(SystemClock().now())
    ledger = Ledger(sessions, clock, "test")
    with ledger.unit() as uow:
        sync_endpoints(uow, config.webhooks)
        queue_event(uow, "invoice.paid", {"invoice_id": "inv-1"}, "invoice.paid:in_1",
                    clock.now())
    sender = WebhookSender(config.webhooks, {"OUTBOUND_WEBHOOK_SECRET": Signer("S", SECRET)},
                           Answers())
    for wait in (timedelta(0), *RETRY_SCHEDULE):
        clock.advance(wait)
        WebhookDispatch(ledger, sender, clock).dispatch()


def test_status_shows_a_disabled_endpoint_and_the_last_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path)
    _deliver_until_dead(path)

    code = main(["status", "--config", str(path)])

    out = capsys.readouterr().out
    assert code == EXIT_ATTENTION
    assert f"  {GONE}  DISABLED  (pending: 0, delivered: 0, failed: 0, skipped: 1)" in out
    assert "    disabled:    the receiver answered 410 Gone at " in out
    assert f"  {DOWN}  enabled  (pending: 0, delivered: 0, failed: 1, skipped: 0)" in out
    assert "    last error:  HTTP 500: boom" in out
    assert f"ATTENTION:     outbound webhook endpoint {GONE} is disabled" in out

    assert main(["status", "--config", str(path), "--format", "json"]) == EXIT_ATTENTION
    section = json.loads(capsys.readouterr().out)["webhooks"]
    assert [(e["url"], e["state"]) for e in section] == [(GONE, "disabled"), (DOWN, "enabled")]
    assert section[1]["description"] == "the warehouse"


def test_the_dead_letter_is_listed_and_retried(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path)
    _deliver_until_dead(path)

    assert main(["deadletter", "list", "--config", str(path), "--format", "json"]) == EXIT_OK
    [letter] = json.loads(capsys.readouterr().out)
    assert (letter["source"], letter["error_code"]) == ("webhook", "WEBHOOK_UNDELIVERED")
    assert letter["record_key"].endswith(f" -> {DOWN}")
    assert "after 8 attempts" in letter["reason"]

    assert main(["deadletter", "retry", str(letter["id"]), "--config", str(path)]) == EXIT_OK
    assert "queued again" in capsys.readouterr().out
    main(["status", "--config", str(path)])
    assert f"  {DOWN}  enabled  (pending: 1, delivered: 0, failed: 0" in capsys.readouterr().out


def test_webhooks_enable_turns_the_endpoint_on_and_queues_what_it_skipped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path)
    _deliver_until_dead(path)

    assert main(["webhooks", "enable", GONE, "--config", str(path)]) == EXIT_OK
    assert capsys.readouterr().out.strip() == (
        f"{GONE} enabled; 1 skipped deliveries queued again for the next sync")
    main(["status", "--config", str(path)])
    assert f"  {GONE}  enabled  (pending: 1," in capsys.readouterr().out

    assert main(["webhooks", "enable", "https://nowhere.example.com/", "--config",
                 str(path)]) == EXIT_CONFIG
    assert "no outbound endpoint has the url https://nowhere.example.com/" in (
        capsys.readouterr().err)
