"""Admin-edited templates in a running daemon: a broken set is refused at start (file:line:
reason, exit 2); a broken edit at SIGHUP is refused, shown in ``status``, and the last good
version keeps the emails going."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from connector.cli import main
from connector.commands.sync_commands import Daemon
from connector.config import load_config
from connector.notify import preview
from connector.notify.catalog import EVENTS
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.wiring import build_engine
from e2e.notices import BILLING, PARTNERS, activate, configure, mails
from e2e.world import REPO, World


def _own_templates(world: World, tmp_path: Path) -> tuple[Path, Path]:
    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    config = world.stack.write_config(world.folder, world.mappings, templates,
                                      partner_recipients=(PARTNERS,))
    return templates, config


def test_run_refuses_a_broken_template_set_with_file_and_line(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    templates, config = _own_templates(world, tmp_path)
    broken = templates / "customer" / "renewal_reminder.subject.j2"
    broken.write_text("Renews {{ renews_on\n", encoding="utf-8")
    for name, value in world.stack.environment().items():
        monkeypatch.setenv(name, value)

    assert main(["run", "--config", str(config)]) == 2

    assert f"{broken}:1: " in capsys.readouterr().err


def test_a_broken_edit_at_sighup_is_refused_and_the_last_good_version_sends(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(world)
    templates, path = _own_templates(world, tmp_path)
    config = load_config(path)
    world.engine = build_engine(config, Secrets(world.stack.environment()), world.clock,
                                retry=NO_WAIT)
    preview.check(world.engine.services.renderer)  # as `run` does at start
    daemon = Daemon(world.engine, config)
    broken = templates / "customer" / "purchase_confirmation.subject.j2"
    broken.write_text("Thanks {{ prodcut }}\n", encoding="utf-8")

    assert daemon.check_templates() is False  # what SIGHUP does
    activate(world)

    assert "Thank you: your subscription to Platform (monthly) is active" in [
        m.subject for m in mails(world, BILLING)]
    for name, value in world.stack.environment().items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    main(["status", "--format", "json", "--config", str(path)])
    refused = json.loads(capsys.readouterr().out)["notification_problems"]["templates_refused"]
    assert refused["problems"] == [f"{broken}:1: 'prodcut' is undefined"]

    broken.write_text(preview.preview(world.engine.services.renderer,
                                      EVENTS["partner.purchase"]).subject, encoding="utf-8")
    assert daemon.check_templates() is True
