"""Named step boundaries where a test can stop the daemon dead and ``kill -9`` it there.

A test hook for the crash suite (``tests/e2e/crash/``). Start the daemon with
``CRM_CONNECTOR_CRASHPOINT=NAME`` (or ``NAME@N``: the N-th time the point is reached,
default the first) and, when its code reaches ``reached(NAME)``, the thread that reached it
writes one line to stderr::

    crashpoint reached: NAME pid=PID

and blocks forever, so the process stays exactly between the two steps until the test kills
it by pid with SIGKILL. Nothing is rolled back or cleaned up: what a kill leaves is what a
power cut would (an open ledger transaction dies with the process).

Without the variable (production), :func:`reached` is one comparison with None. The
variable is read once, at import: a process-wide switch set from outside the process is
the hook's whole point, so it is the one module-level state the connector keeps.

The points, in the order a record meets them, are :data:`POINTS`.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass

ENV = "CRM_CONNECTOR_CRASHPOINT"
MARKER = "crashpoint reached:"

POINTS: dict[str, str] = {
    "salesforce.write_answered":
        "Salesforce answered an sObject Collections / Bulk upsert; its outbox rows are not "
        "marked done yet",
    "email.accepted": "the SMTP relay accepted a digest; its notifications are not sent yet",
    "activation.customer_created":
        "Stripe answered the customer create; the ledger has not recorded the customer",
    "activation.subscription_created":
        "Stripe answered the subscription create; the ledger has not recorded it",
    "activation.committed":
        "the activation is committed; the ids are not written back to Salesforce yet",
    "lifecycle.stripe_answered":
        "Stripe answered a lifecycle update (quantity, price, cancel); the ledger and the "
        "outbox row are not updated yet",
    "import.page_applying":
        "a page of import stripe is applied inside its open ledger transaction, not committed "
        "yet (nor its cursor)",
    "import.page_committed":
        "a page of import stripe is committed with its cursor; the next page is not read yet",
    "webhook.stored": "a delivery is committed to the inbox; the 2xx is not sent yet",
    "inbox.applying":
        "an inbox event is applied inside its open ledger transaction, not committed yet",
}
"""Every point, with what has and has not happened when the daemon stops there."""


@dataclass
class _Armed:
    name: str
    hit: int
    seen: int = 0


def _armed(value: str | None) -> _Armed | None:
    if not value:
        return None
    name, _, hit = value.partition("@")
    return _Armed(name, int(hit) if hit else 1)


_ARMED = _armed(os.environ.get(ENV))
_LOCK = threading.Lock()


def reached(name: str) -> None:
    """Mark that the daemon is at the step boundary ``name`` (one of :data:`POINTS`).

    Returns at once unless the process was started with ``CRM_CONNECTOR_CRASHPOINT`` naming
    this point and this is the armed passage: then it writes the marker line to stderr and
    never returns.
    """
    if _ARMED is None or name != _ARMED.name:
        return
    with _LOCK:
        _ARMED.seen += 1
        if _ARMED.seen != _ARMED.hit:
            return
    sys.stderr.write(f"{MARKER} {name} pid={os.getpid()}\n")
    sys.stderr.flush()
    threading.Event().wait()
