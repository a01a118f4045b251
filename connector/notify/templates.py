"""Rendering admin-editable email templates (Jinja2) from ``[templates] dir``.

An email of kind ``<audience>_<event>`` (``csm_potential_subscriptions``) has three files:
``<audience>/<event>.subject.j2`` (one line), ``<audience>/<event>.txt.j2`` (the plain-text
body) and, optionally, ``<audience>/<event>.html.j2``. Migration: a templates folder of an
earlier release holds ``<audience>_<event>.txt.j2`` whose first line is ``Subject: …`` (and
``<audience>_<event>.html.j2``); while the new files are missing those are honoured, with one
warning naming where they should move.

Templates are edited by admins, so they render in Jinja2's sandbox (no reaching Python
internals such as ``__class__``), and undefined names are errors (StrictUndefined), so a typo
is reported instead of rendering a blank. A template that fails (syntax, undefined name) is
rejected with its file, line and reason; if an earlier version of that file rendered, the
renderer keeps using that last good version and logs the rejection, so one bad edit does not
stop the emails; otherwise the error is raised (the notification is dead-lettered with it).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import structlog
from jinja2.sandbox import SandboxedEnvironment

from connector.errors import ConfigError

log = structlog.get_logger(__name__)

AUDIENCES = ("customer", "partner", "csm")
RENDER_ERRORS = (ArithmeticError, LookupError, TypeError, ValueError, AttributeError)
"""What a template may raise while rendering besides Jinja's own errors."""
SUBJECT_LINE = "Subject:"


@dataclass(frozen=True)
class RenderedEmail:
    """A rendered subject, plain-text body and optional HTML body."""

    subject: str
    text: str
    html: str | None


def layout(kind: str) -> str | None:
    """The template path stem of ``kind`` (``csm/potential_subscriptions``), or None when
    the kind names no audience (then only the old, flat layout can hold it)."""
    audience, _, event = kind.partition("_")
    return f"{audience}/{event}" if audience in AUDIENCES and event else None


class TemplateRenderer:
    """Renders the templates of one folder (see the module docstring for the layout)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._text = _environment(directory, autoescape=False)
        self._html = _environment(directory, autoescape=True)
        self._good: dict[tuple[bool, str], jinja2.Template] = {}
        self._warned: set[str] = set()
        self._strict = False

    def reload(self) -> None:
        """Read every template file again at its next use, edited or not (SIGHUP); the last
        good version of each is kept for a file that then fails."""
        for env in (self._text, self._html):
            if env.cache is not None:
                env.cache.clear()

    def render(self, kind: str, context: dict[str, Any], *,
               strict: bool = False) -> RenderedEmail:
        """Render the email of ``kind`` with ``context``.

        Args:
            strict: raise for a template that fails even when an earlier version of it
                rendered (checking a set of templates), instead of using that version.

        Raises:
            ConfigError: a template is missing, malformed, uses an undefined name, or its
                subject is empty (``file[:line]: reason``).
        """
        self._strict = strict
        try:
            return self._render_kind(kind, context)
        finally:
            self._strict = False

    def _render_kind(self, kind: str, context: dict[str, Any]) -> RenderedEmail:
        stem = layout(kind)
        if stem is not None and (self._directory / f"{stem}.txt.j2").exists():
            subject = self._subject(f"{stem}.subject.j2", context)
            text = self._render(self._text, f"{stem}.txt.j2", context).lstrip("\n")
        elif stem is None or (self._directory / f"{kind}.txt.j2").exists():
            subject, text = self._legacy(kind, stem, context)
            stem = kind
        else:
            raise ConfigError([f"{self._directory / stem}.txt.j2: template not found"])
        html_name = f"{stem}.html.j2"
        html = (self._render(self._html, html_name, context)
                if (self._directory / html_name).exists() else None)
        return RenderedEmail(subject, text, html)

    def _subject(self, filename: str, context: dict[str, Any]) -> str:
        subject = " ".join(self._render(self._text, filename, context).split())
        if not subject:
            raise ConfigError([f"{self._directory / filename}: the subject is empty"])
        return subject

    def _legacy(self, kind: str, stem: str | None,
                context: dict[str, Any]) -> tuple[str, str]:
        """Subject and text of an earlier release's ``<kind>.txt.j2`` (``Subject:`` first)."""
        filename = f"{kind}.txt.j2"
        if stem is not None and kind not in self._warned:
            self._warned.add(kind)
            log.warning("email template in the old layout", template=str(
                self._directory / filename), move_to=f"{stem}.subject.j2, .txt.j2, .html.j2")
        first, _, body = self._render(self._text, filename, context).partition("\n")
        if not first.startswith(SUBJECT_LINE):
            raise ConfigError([f"{self._directory / filename}: a text template must start "
                               "with 'Subject: '"])
        return first.removeprefix(SUBJECT_LINE).strip(), body.lstrip("\n")

    def _render(self, env: jinja2.Environment, filename: str, context: dict[str, Any]) -> str:
        key = (bool(env.autoescape), filename)
        try:
            template = env.get_template(filename)
            rendered = template.render(context)
        except jinja2.TemplateNotFound:
            raise ConfigError([f"{self._directory / filename}: template not found"]) from None
        except jinja2.TemplateError as exc:
            line = _line(exc) or _raised_at(exc, filename)
            return self._last_good(key, f"{self._directory / filename}{line}: {exc}", context)
        except RENDER_ERRORS as exc:
            # a template that raises while rendering (a division by zero, a bad filter
            # argument): reported like a template error, with the template's line
            problem = (f"{self._directory / filename}{_raised_at(exc, filename)}: "
                       f"{type(exc).__name__}: {exc}")
            return self._last_good(key, problem, context)
        self._good[key] = template
        return rendered

    def _last_good(self, key: tuple[bool, str], problem: str, context: dict[str, Any]) -> str:
        """Render the last version of the file that rendered, or raise ``problem``."""
        good = self._good.get(key)
        if good is None or self._strict:
            raise ConfigError([problem])
        try:
            rendered = good.render(context)
        except jinja2.TemplateError:
            raise ConfigError([problem]) from None
        log.warning("email template rejected; its last good version is used", problem=problem)
        return rendered


def _environment(directory: Path, *, autoescape: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(directory), undefined=jinja2.StrictUndefined,
        autoescape=autoescape, keep_trailing_newline=not autoescape,  # text: exact layout
    )


def _line(exc: jinja2.TemplateError) -> str:
    line = getattr(exc, "lineno", None)
    return f":{line}" if line else ""


def _raised_at(exc: BaseException, filename: str) -> str:
    """``:line`` of the deepest frame of ``filename`` in ``exc``'s traceback (Jinja maps its
    frames to template lines), or ""."""
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if frame.filename.endswith(filename)]
    return f":{lines[-1]}" if lines else ""
