"""Email templates: subject line, StrictUndefined, clear errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.errors import ConfigError
from connector.notify.templates import TemplateRenderer

REPO = Path(__file__).resolve().parents[2]

CONTEXT = {
    "csm": {"name": "Dana Whitfield"},
    "account": {"name": "Acme Robotics", "url": "https://sf/001"},
    "opportunity": {"name": "Acme - rollout", "url": "https://sf/006", "won": True},
    "lines": [
        {"product": "Platform (monthly)", "quantity": "1", "unit_price": "499.00",
         "amount": "499.00", "currency": "USD", "start_date": "2026-11-22", "term_months": 12,
         "url": "https://sf/a0B1"},
        {"product": "Analytics seat (annual)", "quantity": "25", "unit_price": "240.00",
         "amount": "6000.00", "currency": "USD", "start_date": "2026-11-22", "term_months": 12,
         "url": "https://sf/a0B2"},
    ],
}


def test_shipped_csm_template_renders_subject_lines_and_links() -> None:
    email = TemplateRenderer(REPO / "templates").render("csm_potential_subscriptions", CONTEXT)
    assert email.subject == "2 potential subscriptions for Acme Robotics to review"
    assert email.text.startswith("Hello Dana Whitfield,")
    assert "- Analytics seat (annual): 25 x 240.00 USD = 6000.00 USD" in email.text
    assert "https://sf/a0B2" in email.text
    assert email.html is not None
    assert '<a href="https://sf/a0B1">Platform (monthly)</a>' in email.html


def test_undefined_name_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("Subject: hi\n\n{{ csm.nmae }}\n")
    with pytest.raises(ConfigError) as caught:
        TemplateRenderer(tmp_path).render("t", CONTEXT)
    assert "t.txt.j2" in caught.value.problems[0]
    assert "nmae" in caught.value.problems[0]


def test_missing_subject_line_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("Hello\n")
    with pytest.raises(ConfigError, match="must start with 'Subject: '"):
        TemplateRenderer(tmp_path).render("t", CONTEXT)


def test_missing_template_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="template not found"):
        TemplateRenderer(tmp_path).render("nope", CONTEXT)
