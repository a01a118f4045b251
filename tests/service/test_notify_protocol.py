"""``run`` speaks systemd's notification protocol to a real AF_UNIX datagram socket."""

from __future__ import annotations

import json
import time
from pathlib import Path

from crm_emulators.stack import EmulatorStack
from service.processes import notify_socket, start_daemon

WATCHDOG_USEC = "2000000"  # 2 s
BEAT = 0.5  # seconds between heartbeats: a quarter of the watchdog timeout


def _emulators(stack: EmulatorStack) -> dict[str, object]:
    return {"subscriptions": len(stack.salesforce.records("Subscription__c")),
            "emails": len(stack.smtp.messages)}


def test_ready_after_the_first_cycle_then_status_watchdog_and_stopping(
        stack: EmulatorStack, config: Path) -> None:
    with notify_socket(lambda: _emulators(stack)) as systemd:
        daemon = start_daemon(stack, config, "run", env={
            "NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": WATCHDOG_USEC})
        try:
            ready = systemd.wait_for("READY", "1", process=daemon)[0]
            systemd.wait_for("WATCHDOG", "1", count=3, process=daemon)
            code = daemon.terminate()
        finally:
            daemon.kill9()
        messages = [m.fields for m in systemd.messages]

    assert code == 0, daemon.logs()[-3000:]
    # READY=1 came once the first cycle's work was done, and said how that cycle went.
    assert ready.seen == {"subscriptions": 4, "emails": 3}
    assert ready.fields["STATUS"].startswith("running; last full cycle ok at ")
    assert ("salesforce ok, stripe ok, email ok; connections salesforce IDLE, stripe IDLE; "
            "written ") in ready.fields["STATUS"]
    assert "emails 3" in ready.fields["STATUS"]
    # Before it, the status said the daemon was starting; nothing pinged the watchdog yet.
    before = messages[:messages.index(ready.fields)]
    assert before[0] == {"STATUS": "starting: first cycle under way"}
    assert not [m for m in before if "WATCHDOG" in m]
    assert len([m for m in messages if "READY" in m]) == 1
    # SIGTERM: STOPPING=1 with a last status line, and the pings stop with the process.
    stopping = [m for m in messages if m.get("STOPPING") == "1"]
    assert len(stopping) == 1
    assert stopping[0]["STATUS"].startswith("stopping; last ")


def test_a_hung_cycle_stops_the_watchdog_pings(stack: EmulatorStack, config: Path) -> None:
    with notify_socket() as systemd:
        daemon = start_daemon(stack, config, "run", env={
            "NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": WATCHDOG_USEC,
            # The first activation blocks its cycle for good: a hung cycle.
            "CRM_CONNECTOR_CRASHPOINT": "activation.customer_created"})
        try:
            systemd.wait_for("READY", "1", process=daemon)
            systemd.wait_for("WATCHDOG", "1", count=2, process=daemon)
            for record in stack.salesforce.records("Subscription__c"):
                stack.salesforce.update("Subscription__c", record["Id"], {"Status__c": "Active"})
            daemon.wait_for_log("crashpoint reached: activation.customer_created")
            daemon.wait_for_log("no cycle progress: watchdog pings stop")
            pings_at_verdict = len(systemd.having("WATCHDOG"))
            # Eight heartbeats later, still no ping: systemd would restart the daemon.
            time.sleep(8 * BEAT)
            assert daemon.process.poll() is None
            pings_after = len(systemd.having("WATCHDOG"))
        finally:
            daemon.kill9()

    assert pings_at_verdict >= 2
    assert pings_after == pings_at_verdict
    verdict = next(json.loads(line) for line in daemon.logs().splitlines()
               if "no cycle progress" in line)
    assert verdict["cycle"] == "full"
    assert verdict["level"] == "error"
