"""Rendering admin-editable email templates (Jinja2) from ``[templates] dir``.

A template's first line is ``Subject: …``; the rest is the body. Templates are edited by admins,
so they render in Jinja2's sandbox (no reaching Python internals such as ``__class__``), and
undefined names are errors (StrictUndefined), so a typo in a template is reported instead of
rendering a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from connector.errors import ConfigError


@dataclass(frozen=True)
class RenderedEmail:
    """A rendered subject, plain-text body and optional HTML body."""

    subject: str
    text: str
    html: str | None


class TemplateRenderer:
    """Renders ``NAME.txt.j2`` (required) and ``NAME.html.j2`` (optional) from a folder."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._text = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(directory), undefined=jinja2.StrictUndefined,
            autoescape=False, keep_trailing_newline=True,  # plain text: nothing to escape
        )
        self._html = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(directory), undefined=jinja2.StrictUndefined,
            autoescape=True,
        )

    def render(self, name: str, context: dict[str, Any]) -> RenderedEmail:
        """Render template ``name`` with ``context``.

        Raises:
            ConfigError: the template is missing, malformed or uses an undefined name.
        """
        subject, text = self._split(self._render(self._text, f"{name}.txt.j2", context))
        html_path = self._directory / f"{name}.html.j2"
        html = self._render(self._html, html_path.name, context) if html_path.exists() else None
        return RenderedEmail(subject, text, html)

    def _render(self, env: jinja2.Environment, filename: str, context: dict[str, Any]) -> str:
        try:
            return env.get_template(filename).render(context)
        except jinja2.TemplateNotFound:
            raise ConfigError([f"{self._directory / filename}: template not found"]) from None
        except jinja2.TemplateError as exc:
            line = getattr(exc, "lineno", None)
            where = f":{line}" if line else ""
            raise ConfigError([f"{self._directory / filename}{where}: {exc}"]) from None

    def _split(self, rendered: str) -> tuple[str, str]:
        first, _, body = rendered.partition("\n")
        if not first.startswith("Subject:"):
            raise ConfigError([f"{self._directory}: a text template must start with 'Subject: '"])
        return first.removeprefix("Subject:").strip(), body.lstrip("\n")
