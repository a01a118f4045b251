"""Logging, configured once at the entry point.

Key-value events through structlog: JSON lines when the log stream is not a terminal (systemd,
CI), readable colour-free console lines when it is. Standard-library loggers (uvicorn, alembic,
APScheduler) are routed through the same processors. A redacting processor removes every known
secret value and masks keys that name secrets, so credentials never reach a log.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"(pass(word)?|secret|token|api_?key|authorization|session_?id|private_?key|assertion)",
    re.IGNORECASE,
)


class SecretRedactor:
    """A structlog processor that hides secrets.

    Values under keys that name secrets are replaced whole; any known secret value found inside
    another string (a URL, an exception message) is cut out of it.

    Args:
        secrets: the secret values to cut out of every string.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
        for key, value in list(event.items()):
            event[key] = self._clean(key, value)
        return event

    def _clean(self, key: str, value: Any) -> Any:
        if _SECRET_KEY.search(key) and value not in (None, ""):
            return REDACTED
        if isinstance(value, MutableMapping):
            return {k: self._clean(str(k), v) for k, v in value.items()}
        if isinstance(value, str):
            return self._scrub(value)
        return value

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


CHATTY_LIBRARIES = ("uvicorn.access", "stripe", "mail.log", "alembic.runtime.migration",
                    "apscheduler.executors", "apscheduler.scheduler")
"""Libraries that log every request, step or job run at info (APScheduler: two lines per
cycle); shown only with ``--log-level debug``."""


def configure_logging(level: str = "info", secrets: Iterable[str] = (),
                      stream: TextIO | None = None, json: bool | None = None) -> None:
    """Configure structlog and the standard library for this process.

    Args:
        level: minimum level name (debug, info, warning, error).
        secrets: secret values to redact from every event.
        stream: where log lines go; stderr by default (stdout carries command output).
        json: force JSON (True) or console (False) rendering; by default JSON unless the
            stream is a terminal.
    """
    out = stream or sys.stderr
    use_json = (not out.isatty()) if json is None else json
    shared = _shared_processors(SecretRedactor(secrets))
    renderer: Processor = (
        structlog.processors.JSONRenderer() if use_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "debug" else logging.WARNING)


def _shared_processors(redactor: SecretRedactor) -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redactor,
    ]
