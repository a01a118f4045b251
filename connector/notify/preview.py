"""The catalog's templates with sample data: ``notifications preview``, and the check that
refuses a broken template set on load and on SIGHUP (each problem ``file:line: reason``).

Checking renders every event of the catalog strictly with its sample data
(:data:`~connector.notify.catalog.SAMPLES`); each template that renders becomes the renderer's
last good version of its file, so a later broken edit of any of them falls back to it (see
:mod:`connector.notify.templates`).
"""

from __future__ import annotations

from typing import Any

from connector.errors import ConfigError
from connector.notifications_config import BrandingConfig
from connector.notify.catalog import CATALOG, Event, sample
from connector.notify.templates import RenderedEmail, TemplateRenderer


def context(event: Event, branding: BrandingConfig | None = None) -> dict[str, Any]:
    """The sample template data of ``event`` with ``branding``."""
    return {**sample(event), "branding": (branding or BrandingConfig()).model_dump()}


def preview(renderer: TemplateRenderer, event: Event,
            branding: BrandingConfig | None = None) -> RenderedEmail:
    """``event``'s email rendered with its sample data.

    Raises:
        ConfigError: a template of it is broken (``file:line: reason``).
    """
    return renderer.render(event.kind, context(event, branding), strict=True)


def problems(renderer: TemplateRenderer, branding: BrandingConfig | None = None) -> list[str]:
    """Every problem of the catalog's templates (empty when each renders)."""
    found: list[str] = []
    for event in CATALOG:
        try:
            preview(renderer, event, branding)
        except ConfigError as exc:
            found.extend(p for p in exc.problems if p not in found)
    return found


def check(renderer: TemplateRenderer, branding: BrandingConfig | None = None) -> None:
    """Refuse a broken template set.

    Raises:
        ConfigError: every problem, ``file:line: reason``.
    """
    found = problems(renderer, branding)
    if found:
        raise ConfigError(found)
