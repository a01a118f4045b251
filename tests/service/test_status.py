"""The one-line STATUS= built from what is known of the last cycle."""

from __future__ import annotations

from datetime import UTC, datetime

from connector.service.status import CycleOutcome, connection_states, outcome_of, status_line
from connector.sync.report import CycleReport

END = datetime(2026, 12, 7, 16, 20, 3, tzinfo=UTC)


def test_before_any_cycle_the_line_says_the_first_is_under_way() -> None:
    assert status_line(None, phase="starting") == "starting: first cycle under way"


def test_a_cycle_shows_its_kind_time_duration_connections_and_counts() -> None:
    report = CycleReport("run1", paused=["salesforce"], deferred=["email"])

    line = status_line(outcome_of("full", report, None, finished=END, seconds=2.14))

    assert line == ("running; last full cycle ok at 16:20:03 UTC (2.1 s): salesforce paused, "
                    "stripe ok, email deferred; written 0, emails 0, dead letters 0")
    assert "\n" not in line


def test_a_fatal_cycle_says_it_failed_and_what_stopped_it_without_the_message() -> None:
    outcome = outcome_of("full", None, "AuthenticationError", finished=END, seconds=0.4)

    line = status_line(outcome, phase="starting")

    assert line == ("starting; last full cycle failed (AuthenticationError) at 16:20:03 UTC "
                    "(0.4 s): salesforce unknown, stripe unknown, email unknown")
    assert not outcome.connected


def test_connected_means_salesforce_and_stripe_reached_a_spent_budget_included() -> None:
    assert outcome_of("full", CycleReport("a", paused=["salesforce"]), None,
                      finished=END, seconds=1).connected
    assert not outcome_of("full", CycleReport("b", deferred=["stripe"]), None,
                          finished=END, seconds=1).connected
    assert outcome_of("full", CycleReport("c", deferred=["email"]), None,
                      finished=END, seconds=1).connected


def test_richer_connection_states_slot_in_unchanged() -> None:
    outcome = CycleOutcome("stripe", END, 0.25,
                           {"salesforce": "PAUSED", "stripe": "POLLING", "ledger": "IDLE"})

    assert status_line(outcome) == ("running; last stripe cycle ok at 16:20:03 UTC (0.2 s): "
                                    "salesforce PAUSED, stripe POLLING, ledger IDLE")


def test_connection_states_come_from_the_report() -> None:
    report = CycleReport("r", paused=["salesforce"], deferred=["stripe"])

    assert connection_states(report) == {"salesforce": "paused", "stripe": "deferred",
                                         "email": "ok"}
