"""Logging: JSON lines off a terminal, console on one, secrets never printed."""

from __future__ import annotations

import argparse
import io
import json
import logging
from pathlib import Path

import structlog

from connector.commands.sync_commands import load
from connector.log import REDACTED, configure_logging


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_lines_when_not_a_terminal_and_secrets_redacted() -> None:
    stream = io.StringIO()
    configure_logging("info", secrets=["sk_test_supersecret"], stream=stream)
    structlog.get_logger("sync").info(
        "stripe call failed", url="https://x/v1?key=sk_test_supersecret",
        api_key="anything", password=None, records=3,
    )
    event = json.loads(stream.getvalue().splitlines()[-1])
    assert event["event"] == "stripe call failed"
    assert event["url"] == f"https://x/v1?key={REDACTED}"
    assert event["api_key"] == REDACTED
    assert event["password"] is None
    assert event["records"] == 3
    assert event["level"] == "info"
    assert event["timestamp"].endswith("Z")
    assert "sk_test_supersecret" not in stream.getvalue()


def test_standard_library_loggers_are_rendered_and_redacted_too() -> None:
    stream = io.StringIO()
    configure_logging("info", secrets=["tok_abcdef"], stream=stream)
    logging.getLogger("uvicorn.error").warning("bad header Bearer tok_abcdef")
    event = json.loads(stream.getvalue().splitlines()[-1])
    assert event["event"] == f"bad header Bearer {REDACTED}"
    assert event["logger"] == "uvicorn.error"


def test_console_rendering_on_a_terminal() -> None:
    stream = _Tty()
    configure_logging("info", stream=stream)
    structlog.get_logger().info("sync run finished", written=2)
    line = stream.getvalue().splitlines()[-1]
    assert "sync run finished" in line
    assert "written=2" in line
    assert not line.startswith("{")


def test_level_filters_lower_events() -> None:
    stream = io.StringIO()
    configure_logging("warning", stream=stream)
    structlog.get_logger().info("quiet")
    assert stream.getvalue() == ""


def test_the_scheduler_s_per_cycle_lines_are_debug_only() -> None:
    stream = io.StringIO()
    configure_logging("info", stream=stream)
    logging.getLogger("apscheduler.executors.default").info("Running job \"sync\"")
    logging.getLogger("apscheduler.scheduler").info("Added job \"inbox\"")
    structlog.get_logger("sync").info("sync run finished")
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == [
        "sync run finished"]

    configure_logging("debug", stream=stream)
    logging.getLogger("apscheduler.executors.default").info("Running job \"sync\"")
    assert "Running job" in stream.getvalue()


def test_the_config_s_level_applies_unless_the_command_line_names_one(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[logging]\nlevel = "warning"\n', encoding="utf-8")

    load(argparse.Namespace(config=str(config), log_level=None))
    assert logging.getLogger().level == logging.WARNING

    configure_logging("info")
    load(argparse.Namespace(config=str(config), log_level="info"))
    assert logging.getLogger().level == logging.INFO
