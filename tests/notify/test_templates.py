"""Email templates: subject line, StrictUndefined, clear errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.errors import ConfigError
from connector.notify.templates import TemplateRenderer

REPO = Path(__file__).resolve().parents[2]

LINES = [
    {"product": "Platform (monthly)", "quantity": "1", "unit_price": "499.00",
     "amount": "499.00", "currency": "USD", "start_date": "2026-11-22", "term_months": 12,
     "url": "https://sf/a0B1"},
    {"product": "Analytics seat (annual)", "quantity": "25", "unit_price": "240.00",
     "amount": "6000.00", "currency": "USD", "start_date": "2026-11-22", "term_months": 12,
     "url": "https://sf/a0B2"},
]
CONTEXT = {
    "csm": {"name": "Dana Whitfield"},
    "opportunities": [
        {"account": {"name": "Acme Robotics", "url": "https://sf/001"},
         "opportunity": {"name": "Acme - rollout", "url": "https://sf/006", "won": True},
         "lines": LINES},
        {"account": {"name": "Globex Health", "url": "https://sf/001G"},
         "opportunity": {"name": "Globex - support", "url": "https://sf/006G", "won": False},
         "lines": LINES[:1]},
    ],
    "total": 3, "shown": 3, "more": 0, "opportunity_count": 2, "more_opportunities": 0,
    "list_view_url": "https://sf/lightning/o/Subscription__c/list?filterName=Potential",
}


def test_shipped_csm_digest_renders_subject_opportunities_lines_and_links() -> None:
    email = TemplateRenderer(REPO / "templates").render("csm_potential_subscriptions", CONTEXT)
    assert email.subject == "3 potential subscriptions to review"
    assert email.text.startswith("Hello Dana Whitfield,")
    assert "Acme - rollout (Acme Robotics)" in email.text
    assert "Globex - support (Globex Health, ready for billing)" in email.text
    assert "- Analytics seat (annual): 25 x 240.00 USD = 6000.00 USD" in email.text
    assert "https://sf/a0B2" in email.text
    assert "more not listed" not in email.text
    assert email.html is not None
    assert '<a href="https://sf/a0B1">Platform (monthly)</a>' in email.html
    assert '<a href="https://sf/006G">Globex - support</a>' in email.html


def test_a_long_digest_counts_what_it_does_not_list_and_links_the_list_view() -> None:
    context = {**CONTEXT, "total": 60, "shown": 3, "more": 57}
    email = TemplateRenderer(REPO / "templates").render("csm_potential_subscriptions", context)
    assert email.subject == "60 potential subscriptions to review"
    assert "...and 57 more not listed here (this email lists the first 3 of 60)" in email.text
    assert "\nhttps://sf/lightning/o/Subscription__c/list?filterName=Potential\n" in email.text
    assert email.html is not None
    assert "57 more not listed here" in email.html
    assert ('<a href="https://sf/lightning/o/Subscription__c/list?filterName=Potential">See them '
            "all in Salesforce</a>") in email.html


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


def test_templates_cannot_reach_python_internals(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("Subject: hi\n\n{{ csm.__class__.__mro__ }}\n")
    with pytest.raises(ConfigError, match=r"t\.txt\.j2"):
        TemplateRenderer(tmp_path).render("t", CONTEXT)
