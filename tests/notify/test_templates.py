"""Email templates: subject line, StrictUndefined, clear errors with file and line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

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


def _layout(root: Path, subject: str, text: str, html: str | None = None) -> None:
    (root / "csm").mkdir(exist_ok=True)
    (root / "csm" / "potential_subscriptions.subject.j2").write_text(subject)
    (root / "csm" / "potential_subscriptions.txt.j2").write_text(text)
    if html is not None:
        (root / "csm" / "potential_subscriptions.html.j2").write_text(html)


def test_an_admin_edits_the_subject_in_its_own_file(tmp_path: Path) -> None:
    _layout(tmp_path, "Review {{ total }} for\n {{ csm.name }}\n", "Hi {{ csm.name }}\n",
            "<p>{{ csm.name }}</p>")
    context = {**CONTEXT, "csm": {"name": "Dana & Lee"}}
    email = TemplateRenderer(tmp_path).render("csm_potential_subscriptions", context)
    assert (email.subject, email.text) == ("Review 3 for Dana & Lee", "Hi Dana & Lee\n")
    assert email.html == "<p>Dana &amp; Lee</p>"


def test_old_flat_templates_are_still_honoured_until_moved(tmp_path: Path) -> None:
    (tmp_path / "csm_potential_subscriptions.txt.j2").write_text(
        "Subject: old {{ total }}\n\nbody\n")
    with capture_logs() as logs:
        email = TemplateRenderer(tmp_path).render("csm_potential_subscriptions", CONTEXT)
    assert (email.subject, email.text, email.html) == ("old 3", "body\n", None)
    assert [entry["move_to"] for entry in logs] == [
        "csm/potential_subscriptions.subject.j2, .txt.j2, .html.j2"]


def test_the_new_layout_wins_over_old_files(tmp_path: Path) -> None:
    (tmp_path / "csm_potential_subscriptions.txt.j2").write_text("Subject: old\n\nold\n")
    _layout(tmp_path, "new", "new body\n")
    email = TemplateRenderer(tmp_path).render("csm_potential_subscriptions", CONTEXT)
    assert (email.subject, email.text) == ("new", "new body\n")


def test_a_missing_template_names_the_new_layout(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"csm/potential_subscriptions\.txt\.j2: template not"):
        TemplateRenderer(tmp_path).render("csm_potential_subscriptions", CONTEXT)


def test_an_empty_subject_is_an_error_with_its_file(tmp_path: Path) -> None:
    _layout(tmp_path, "{{ '' }}\n", "body\n")
    with pytest.raises(ConfigError, match=r"potential_subscriptions\.subject\.j2: the subject"):
        TemplateRenderer(tmp_path).render("csm_potential_subscriptions", CONTEXT)


def test_a_bad_edit_is_rejected_and_the_last_good_version_is_kept(tmp_path: Path) -> None:
    _layout(tmp_path, "{{ total }} to review", "Hello {{ csm.name }}\n")
    renderer = TemplateRenderer(tmp_path)
    assert renderer.render("csm_potential_subscriptions", CONTEXT).subject == "3 to review"
    subject = tmp_path / "csm" / "potential_subscriptions.subject.j2"
    subject.write_text("{{ total ")
    os.utime(subject, (time.time() + 5, time.time() + 5))  # a later edit, whatever the clock
    with capture_logs() as logs:
        email = renderer.render("csm_potential_subscriptions", CONTEXT)
    assert email.subject == "3 to review"
    [warning] = logs
    assert "potential_subscriptions.subject.j2:1: " in warning["problem"]
    with pytest.raises(ConfigError, match=r"subject\.j2:1: "):
        TemplateRenderer(tmp_path).render("csm_potential_subscriptions", CONTEXT)
