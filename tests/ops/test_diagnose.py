"""``diagnose`` against the emulators: all ok, then one fault at a time."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from e2e.world import World, start

from connector.cli import main
from connector.inbound.stripe.backstop import HANDLED_EVENTS
from connector.ledger.database import alembic_config, head_revision

PUBLIC_URL = "https://billing-sync.example.com/webhooks/stripe"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    started = start(tmp_path)
    try:
        config = tmp_path / "config.toml"
        config.write_text(config.read_text().replace(
            "[stripe]\n", f'[stripe]\nwebhook_public_url = "{PUBLIC_URL}"\n'))
        secret = started.stack.stripe.add_webhook_endpoint(PUBLIC_URL, list(HANDLED_EVENTS))
        for name, value in {**started.stack.environment(),
                            "STRIPE_WEBHOOK_SECRET": secret}.items():
            monkeypatch.setenv(name, value)
        yield started
    finally:
        started.stack.stop()


def _diagnose(world: World, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["diagnose", "--config", str(world.folder / "config.toml")])
    out = capsys.readouterr().out
    assert world.stack.environment()["SALESFORCE_CLIENT_SECRET"] not in out
    assert world.stack.environment()["STRIPE_API_KEY"] not in out
    return code, out.splitlines()


def _line(lines: list[str], check: str) -> str:
    return next(line for line in lines if line[6:].startswith(f"{check}:"))


def test_everything_ok_against_the_emulators(world: World,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = _diagnose(world, capsys)

    assert code == 0, "\n".join(lines)
    checked = [line for line in lines if not line.startswith(("      fix:", "0 failed"))]
    assert all(line.startswith("ok  ") for line in checked), "\n".join(lines)
    for check in ("config", "secrets", "ledger", "salesforce", "salesforce api", "mappings",
                  "stripe key", "stripe webhook", "clock", "smtp"):
        assert _line(lines, check)
    assert "test mode (secret key)" in _line(lines, "stripe key")
    assert "against the org's describe" in _line(lines, "mappings")
    assert "answered EHLO and NOOP" in _line(lines, "smtp")
    assert lines[-1] == f"0 failed, 0 warnings, {len(checked)} ok"


def test_a_refused_stripe_key_fails(world: World, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_not_this_account")

    code, lines = _diagnose(world, capsys)

    assert code == 1
    assert "live mode" in _line(lines, "stripe key")
    refused = _line(lines, "stripe")
    assert refused.startswith("FAIL  stripe: the key was refused")
    assert "sk_live_not_this_account" not in "\n".join(lines)
    assert lines[lines.index(refused) + 1].startswith("      fix: set STRIPE_API_KEY")


def test_smtp_down_fails(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    config = world.folder / "config.toml"
    config.write_text(config.read_text().replace(
        f"smtp_port = {world.stack.smtp.port}", f"smtp_port = {closed}"))

    code, lines = _diagnose(world, capsys)

    assert code == 1
    assert _line(lines, "smtp").startswith("FAIL  smtp: ")
    assert "unreachable" in _line(lines, "smtp")


def test_a_ledger_behind_this_version_fails(world: World,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    with world.engine.sessions.kw["bind"].begin() as connection:
        command.downgrade(alembic_config(connection), "0004_generation")

    code, lines = _diagnose(world, capsys)

    assert code == 1
    behind = _line(lines, "ledger")
    assert behind.startswith("FAIL  ledger: ")
    assert f"schema 0004_generation, this version needs {head_revision()}" in behind


def test_a_missing_endpoint_and_secret_are_named(world: World, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SALESFORCE_CLIENT_SECRET")
    config = world.folder / "config.toml"
    config.write_text(config.read_text().replace(PUBLIC_URL, "https://elsewhere.example/hook"))

    code, lines = _diagnose(world, capsys)

    assert code == 1
    assert _line(lines, "secrets").startswith("ok  ")
    assert "FAIL  secrets: SALESFORCE_CLIENT_SECRET not set" in lines
    assert "no webhook endpoint points at https://elsewhere.example/hook" in _line(
        lines, "stripe webhook")


def test_a_bad_config_is_a_failed_line_not_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[ops]\nlisten = "everywhere"\n')

    assert main(["diagnose", "--config", str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"FAIL  config: {bad}: ops.listen: ")
