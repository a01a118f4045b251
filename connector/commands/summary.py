"""The one line a person reads after ``sync --once``: what the cycle did, its cost and time.

Example: ``read 5,000 opportunities, created 5,000 potential subscriptions, wrote 5,000
Salesforce records, sent 12 emails, 0 errors, 34 Salesforce calls, 12.4 s``.
"""

from __future__ import annotations

from connector.sync.report import CycleReport


def cycle_summary(report: CycleReport, salesforce_calls: int, seconds: float) -> str:
    """The cycle as one line: always what was read and created, then what else happened."""
    counts = report.summary()
    parts = [_n(counts["opportunities_read"], "opportunity", "opportunities", "read"),
             _n(counts["potential_subscriptions"], "potential subscription",
                "potential subscriptions", "created")]
    optional = (
        (counts["subscription_edits"], "Subscription__c edit", "Subscription__c edits",
         "applied"),
        (counts["stripe_events_applied"], "Stripe event", "Stripe events", "applied"),
        (counts["stripe_subscriptions"], "subscription", "subscriptions", "activated"),
        (counts["stripe_updates"], "Stripe update", "Stripe updates", "sent"),
        (counts["salesforce_records_written"], "Salesforce record", "Salesforce records",
         "wrote"),
        (counts["emails_sent"], "email", "emails", "sent"),
        (counts["conflicts"], "conflict", "conflicts", "held"),
    )
    parts += [_n(n, one, many, verb) for n, one, many, verb in optional if n]
    errors = counts["dead_letters"]
    parts += [f"{errors:,} error{'s' if errors != 1 else ''}",
              f"{salesforce_calls:,} Salesforce call{'s' if salesforce_calls != 1 else ''}",
              f"{seconds:.1f} s"]
    line = ", ".join(parts)
    stopped = [f"{system} {how}: {report.reasons.get(system, 'see the log')}"
               for how, systems in (("paused", report.paused), ("unreachable", report.deferred))
               for system in systems]
    return line + "".join(f"; {s}" for s in stopped)


def _n(count: int, one: str, many: str, verb: str) -> str:
    return f"{verb} {count:,} {one if count == 1 else many}"
