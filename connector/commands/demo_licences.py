"""The demo's licence part: the License Management App's licences, summarised per customer.

The demo org has the LMA installed. Its mappings are the shipped ones with one change of
``license.toml``: only the analytics seats are sold by the seat (the platform fee's quantity
of 1 is not a seat), which is how a partner with a platform fee would set it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from connector.commands.customer_command import customer_text, customer_view, find_accounts
from connector.sync.engine import SyncEngine

if TYPE_CHECKING:  # the emulators are loaded by the demo at run time (see demo.py)
    from crm_emulators.seed import SampleOrg
    from crm_emulators.stack import EmulatorStack

SEAT_PRODUCT = "ANALYTICS-SEAT-ANNUAL"
PACKAGES = ("sfLma",)
ACCOUNT_FIELDS = ("Licence_Status__c", "Licence_Expiration__c", "Seats__c", "Used_Seats__c",
                  "Licence_Utilisation__c", "MRR__c")


class Say(Protocol):
    """The demo's narrator (see :class:`connector.commands.demo.Narrator`)."""

    def step(self, title: str) -> None:
        """Start the next numbered step."""

    def say(self, text: str = "") -> None:
        """Print an indented line."""


def demo_mappings(shipped: Path, folder: Path) -> Path:
    """A copy of the shipped mappings in ``folder`` with the demo's seat product."""
    target = folder / "mappings"
    shutil.copytree(shipped, target)
    licence = target / "license.toml"
    licence.write_text(licence.read_text(encoding="utf-8").replace(
        "products = []", f'products = ["{SEAT_PRODUCT}"]', 1), encoding="utf-8")
    return target


def show_summaries(say: Say, stack: EmulatorStack, engine: SyncEngine, org: SampleOrg) -> bool:
    """Print the customer summaries and their Account fields; whether Acme shows 120 %."""
    say.step("Licences: the customer summary, in the ledger and on the Account")
    say.say(f"license.toml counts {SEAT_PRODUCT} as the seats bought.")
    for key in ("acme", "globex"):
        with engine.sessions() as session:
            [account] = find_accounts(session, org.accounts[key])
            lines = customer_text(customer_view(session, account, (SEAT_PRODUCT,)))
        say.say("\n".join(lines) + "\n")
    acme = stack.salesforce.get("Account", org.accounts["acme"])
    say.say("Account Acme Robotics in Salesforce: " + ", ".join(
        f"{name} = {acme.get(name)}" for name in ACCOUNT_FIELDS))
    return acme.get("Licence_Utilisation__c") == 120.0
