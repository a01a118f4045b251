"""``demo``: the whole path against the bundled emulators, narrated step by step.

Starts the Salesforce, Stripe and SMTP emulators on loopback, seeds a small org and a price
catalog, then drives the real daemon through: deal won → potential subscriptions → CSM digest →
the CSM activates (through the Salesforce REST API, as the UI would) → Stripe customer and
subscription → ids written back → a signed outbound webhook at a loopback receiver → the
customers' licences summarised on the Account → the customer and partner notifications (a
renewal reminder, a declined card) → a cycle that writes nothing. No credentials needed.

The emulators are a separate distribution (``crm-connector-emulators``, ``emulators/``); the
daemon does not depend on it, so the demo loads it when it runs and, where it is not
installed, says in one line how to install it (exit 2).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from simple_salesforce.api import Salesforce

from connector.clock import SystemClock
from connector.commands import demo_notifications as notices
from connector.commands.demo_licences import PACKAGES, demo_mappings, show_summaries
from connector.commands.demo_webhooks import DemoReceiver, show_deliveries
from connector.commands.sync_commands import Daemon
from connector.config import Config, load_config
from connector.log import configure_logging
from connector.secrets import Secrets
from connector.sync.engine import SyncEngine
from connector.sync.report import CycleReport
from connector.sync.wiring import build_engine

if TYPE_CHECKING:  # names for annotations only; the emulators are loaded by _emulators()
    from crm_emulators.salesforce import SalesforceEmulator
    from crm_emulators.seed import SampleOrg
    from crm_emulators.stack import EmulatorStack
    from crm_emulators.stripe_emulator import StripeEmulator

REPO = Path(__file__).resolve().parents[2]
INSTALL_HINT = ("crm-connector demo: the emulators are not installed ({missing}); install "
                "them with `pip install -e ./emulators` in the checkout, or run ./dev demo")
SUBSCRIPTION_QUERY = (
    "SELECT Id, Name, Account__r.Name, Product__r.Name, Quantity__c, Unit_Price__c, "
    "Status__c, CSM__r.Name, Stripe_Customer_Id__c, Stripe_Subscription_Id__c, MRR__c, "
    "Next_Renewal_Date__c, Last_Payment_Status__c, Sync_Error__c FROM Subscription__c "
    "ORDER BY Name"
)


class Narrator:
    """Prints the demo's steps."""

    def __init__(self, total: int) -> None:
        self._step = 0
        self._total = total

    def step(self, title: str) -> None:
        """Start the next numbered step."""
        self._step += 1
        print(f"\n[{self._step}/{self._total}] {title}", flush=True)

    def say(self, text: str = "") -> None:
        """Print an indented line."""
        for line in text.splitlines() or [""]:
            print(f"      {line}", flush=True)

    def table(self, rows: list[list[str]]) -> None:
        """Print rows as aligned columns, the first row a header."""
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for n, row in enumerate(rows):
            self.say("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
            if n == 0:
                self.say("  ".join("-" * w for w in widths))


@dataclass(frozen=True)
class _Emulators:
    """What the demo takes from the emulators' distribution."""

    stack: type[EmulatorStack]
    seed_salesforce: Callable[[SalesforceEmulator, date], SampleOrg]
    seed_stripe: Callable[[StripeEmulator], dict[str, str]]
    seed_licences: Callable[[SalesforceEmulator, SampleOrg, date], object]
    secrets: tuple[str, ...]  # the demo credentials, redacted from the logs


def _emulators() -> _Emulators | str:
    """The emulators, or the top-level name of the module that could not be imported
    (``crm_emulators`` itself, or one of its dependencies)."""
    try:
        stack = importlib.import_module("crm_emulators.stack")
        seed = importlib.import_module("crm_emulators.seed")
    except ModuleNotFoundError as missing:
        return (missing.name or "crm_emulators").split(".")[0]
    return _Emulators(stack.EmulatorStack, seed.seed_salesforce, seed.seed_stripe,
                      seed.seed_licences,
                      (stack.DEMO_CLIENT_SECRET, stack.DEMO_STRIPE_KEY))


def run_demo(args: argparse.Namespace) -> int:
    """Run the narrated demo; exit 0 when every step did what it should, 1 when one did not,
    2 when the emulators are not installed."""
    kit = _emulators()
    if isinstance(kit, str):
        print(INSTALL_HINT.format(missing=f"no module {kit!r}"), file=sys.stderr)
        return 2
    configure_logging("warning", secrets=kit.secrets)  # the narration is the output
    say = Narrator(total=12)
    print("crm-connector demo: the real daemon against local emulators; nothing leaves this "
          "machine and no credentials are needed.")
    with _workspace() as folder, _stack(kit) as stack, DemoReceiver() as receiver:
        config = _start(say, stack, folder, receiver)
        engine = build_engine(config, Secrets({**stack.environment(), **receiver.environment()}),
                              SystemClock())
        ok = _walk_through(say, kit, stack, engine, receiver)
        print(f"\nDemo {'complete' if ok else 'FAILED: a step did not do what it should'}.",
              flush=True)
        if args.keep_running:
            _keep_running(say, stack, folder, Daemon(engine, config))
    return 0 if ok else 1


@contextmanager
def _workspace() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="crm-connector-demo-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _stack(kit: _Emulators) -> Iterator[EmulatorStack]:
    stack = kit.stack.start(packages=PACKAGES)
    try:
        yield stack
    finally:
        stack.stop()


def _start(say: Narrator, stack: EmulatorStack, folder: Path, receiver: DemoReceiver) -> Config:
    say.step("Starting the emulators")
    say.say(f"Salesforce  {stack.salesforce.url}  (HTTPS; throwaway CA {stack.salesforce.ca_path})")
    say.say(f"Stripe      {stack.stripe.url}")
    say.say(f"SMTP        {stack.smtp.host}:{stack.smtp.port}")
    config_path = stack.write_config(folder, demo_mappings(REPO / "mappings", folder),
                                     REPO / "templates",
                                     partner_recipients=notices.PARTNERS)
    receiver.subscribe(config_path)
    say.say(f"Webhooks    {receiver.url}  (a receiver of the daemon's outbound webhooks)")
    return load_config(config_path)


def _walk_through(say: Narrator, kit: _Emulators, stack: EmulatorStack,
                  engine: SyncEngine, receiver: DemoReceiver) -> bool:
    org = _seed(say, kit, stack)
    first = _cycle(say, engine, "Deals won: the daemon runs a sync cycle")
    _show_subscriptions(say, stack)
    say.say("'Initech - pilot' is still open, so it generated nothing.")
    _show_emails(say, stack)
    _activate_as_csms(say, stack, org.users)
    second = _cycle(say, engine, "The daemon syncs the activations to Stripe")
    _show_subscriptions(say, stack)
    _show_stripe(say, stack)
    hooked = show_deliveries(say, receiver, "subscription.activated")
    third = _cycle(say, engine, "Stripe's first invoices are paid: billing facts flow back")
    _show_billing(say, stack)
    licences = show_summaries(say, stack, engine, org)
    emails = notices.show_notifications(say, stack, engine)
    writes = _quiet_cycle(say, stack, engine)
    return (len(first.generated.subscriptions) == 4 and len(second.activated.subscriptions) == 3
            and second.activated.dead_letters == 1 and third.events.applied > 0
            and licences and emails and writes == 0 and hooked)


def _seed(say: Narrator, kit: _Emulators, stack: EmulatorStack) -> SampleOrg:
    say.step("Seeding a sample org and a Stripe price catalog")
    org = kit.seed_salesforce(stack.salesforce, date.today())
    prices = kit.seed_stripe(stack.stripe)
    kit.seed_licences(stack.salesforce, org, date.today())
    notices.prepare(stack, org)
    rows = [["Opportunity", "Stage", "Box ticked", "Line items"]]
    for opp in stack.salesforce.records("Opportunity"):
        items = [i for i in stack.salesforce.records("OpportunityLineItem")
                 if i["OpportunityId"] == opp["Id"]]
        rows.append([opp["Name"], opp["StageName"],
                     "yes" if opp["Create_Potential_Subscription__c"] else "no", str(len(items))])
    say.table(rows)
    say.say(f"Stripe prices (lookup_key = ProductCode): {', '.join(sorted(prices))}")
    say.say("LEGACY-ONPREM deliberately has no Stripe price.")
    say.say("Licences (License Management App): Acme uses 30 of 25 seats; Globex is on a "
            "trial that ends in three days.")
    return org


def _cycle(say: Narrator, engine: SyncEngine, title: str) -> CycleReport:
    say.step(title)
    _next_second()
    report = engine.run_cycle()
    counts = report.summary()
    say.say(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()
                      if k != "run_id" and v not in (0, [])))
    return report


def _show_subscriptions(say: Narrator, stack: EmulatorStack) -> None:
    sf = _client(stack, stack.salesforce.issue_session_token())
    rows = [["Subscription", "Account", "Product", "Qty", "Status", "CSM", "Stripe subscription",
             "Sync error"]]
    for r in sf.query_all(SUBSCRIPTION_QUERY)["records"]:
        rows.append([r["Name"], (r["Account__r"] or {}).get("Name", ""),
                     (r["Product__r"] or {}).get("Name", ""), f"{r['Quantity__c']:g}",
                     r["Status__c"], (r["CSM__r"] or {}).get("Name", ""),
                     r["Stripe_Subscription_Id__c"] or "-", (r["Sync_Error__c"] or "-")[:48]])
    say.say("Subscription__c in Salesforce:")
    say.table(rows)


def _show_billing(say: Narrator, stack: EmulatorStack) -> None:
    sf = _client(stack, stack.salesforce.issue_session_token())
    rows = [["Subscription", "Product", "Status", "Last payment", "MRR", "Next renewal"]]
    for r in sf.query_all(SUBSCRIPTION_QUERY)["records"]:
        if r["Stripe_Subscription_Id__c"]:
            rows.append([r["Name"], (r["Product__r"] or {}).get("Name", ""), r["Status__c"],
                         r["Last_Payment_Status__c"] or "-", f"{r['MRR__c'] or 0:,.2f}",
                         r["Next_Renewal_Date__c"] or "-"])
    say.say("Subscription__c in Salesforce, as Stripe reports it:")
    say.table(rows)


def _show_emails(say: Narrator, stack: EmulatorStack) -> None:
    say.step("CSMs emailed, one digest per CSM listing their new potential subscriptions")
    for message in [m for m in stack.smtp.messages if m.rcpt_tos != notices.PARTNERS]:
        say.say(f"To: {', '.join(message.rcpt_tos)}\nSubject: {message.subject}\n")
        say.say(message.text().rstrip())
        say.say("")


def _activate_as_csms(say: Narrator, stack: EmulatorStack, users: dict[str, str]) -> None:
    say.step("The CSMs review and activate in Salesforce")
    admin = _client(stack, stack.salesforce.issue_session_token())
    records = admin.query_all("SELECT Id, Name, CSM__c FROM Subscription__c")["records"]
    emails = {v: k for k, v in users.items()}
    for record in records:
        csm = emails.get(record["CSM__c"], "priya")
        sf = _client(stack, _login(stack, f"{_username(csm)}"))
        sf.restful(f"sobjects/Subscription__c/{record['Id']}", method="PATCH",
                   data=json.dumps({"Status__c": "Active"}))
        say.say(f"{csm.title()} set {record['Name']} to Active (PATCH as {_username(csm)})")


def _show_stripe(say: Narrator, stack: EmulatorStack) -> None:
    say.step("Stripe now bills the activated subscriptions")
    client = stack.stripe.client()
    for sub in client.v1.subscriptions.list(params={"status": "all", "limit": 100}).data:
        item = sub["items"].data[0]
        say.say(f"{sub.id}  {sub.status:<9} customer {sub.customer}  "
                f"{item.price.lookup_key} x {item.quantity}")
    say.say(f"customers: {len(client.v1.customers.list(params={'limit': 100}).data)} "
            "(one per account, reused across its subscriptions)")


def _quiet_cycle(say: Narrator, stack: EmulatorStack, engine: SyncEngine) -> int:
    say.step("Nothing changed, so another cycle writes nothing")
    sf_before = _writes(stack.salesforce.request_log)
    stripe_before = stack.stripe.request_count(method="POST")
    mails_before = len(stack.smtp.messages)
    _next_second()
    engine.run_cycle()
    writes = (_writes(stack.salesforce.request_log) - sf_before
              + stack.stripe.request_count(method="POST") - stripe_before
              + len(stack.smtp.messages) - mails_before)
    say.say(f"writes to Salesforce, Stripe and SMTP this cycle: {writes}")
    return writes


def _next_second() -> None:
    # The daemon reads only seconds that are over (SystemModstamp has 1-second resolution),
    # so changes made a moment ago become visible once the current second has passed.
    time.sleep(1.05 - datetime.now(UTC).microsecond / 1_000_000)


def _writes(log: list[tuple[str, str]]) -> int:
    return sum(1 for method, path in log
               if method in {"POST", "PATCH", "DELETE"} and "/oauth2/" not in path)


def _username(who: str) -> str:
    return {"dana": "dana.whitfield@example.com", "omar": "omar.haddad@example.com",
            "priya": "priya.raman@example.com"}[who]


def _login(stack: EmulatorStack, username: str) -> str:
    env = stack.environment()
    response = stack.salesforce.requests_session().post(
        f"{stack.salesforce.url}/services/oauth2/token", data={
            "grant_type": "password", "client_id": env["SALESFORCE_CLIENT_ID"],
            "client_secret": env["SALESFORCE_CLIENT_SECRET"], "username": username,
            "password": "demo-password"}, timeout=10)
    response.raise_for_status()
    return str(response.json()["access_token"])


def _client(stack: EmulatorStack, token: str) -> Salesforce:
    return Salesforce(instance_url=stack.salesforce.url, session_id=token,
                      session=stack.salesforce.requests_session(), version="62.0")


def _keep_running(say: Narrator, stack: EmulatorStack, folder: Path, daemon: Daemon) -> None:
    runner = threading.Thread(target=daemon.start, name="demo-daemon", daemon=True)
    runner.start()
    say.say("")
    say.say(f"The emulators and the daemon (a cycle every {daemon.config.salesforce.poll_interval}"
            " s) stay up until Ctrl-C. Poke at them:")
    token = stack.salesforce.issue_session_token()
    say.say(f"  curl --cacert {stack.salesforce.ca_path} -H 'Authorization: Bearer {token}' "
            f"'{stack.salesforce.url}/services/data/v62.0/query?q=SELECT+Name,Status__c+FROM+"
            "Subscription__c'")
    say.say(f"  curl -u sk_test_emulator: {stack.stripe.url}/v1/subscriptions")
    env = " ".join(f"{k}={v}" for k, v in stack.environment().items())
    say.say(f"  {env} .venv/bin/python daemon.py status --config {folder / 'config.toml'}")
    say.say(f"  {env} .venv/bin/python daemon.py deadletter list --config {folder / 'config.toml'}")
    say.say("Activate or edit a Subscription__c through the API above; the daemon picks it up.")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    daemon.stop()
    runner.join(timeout=30)


