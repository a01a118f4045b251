"""README's first command: ``demo`` narrates the whole path and exits 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_demo_shows_the_whole_path_and_ends_with_a_cycle_that_writes_nothing() -> None:
    done = subprocess.run([sys.executable, "daemon.py", "demo"], cwd=REPO, capture_output=True,
                          text=True, timeout=240, check=False)

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    for step in ("Deals won", "CSMs emailed", "review and activate",
                 "syncs the activations to Stripe", "billing facts flow back"):
        assert step in out
    assert "Subject:" in out  # the CSM's email is shown
    assert "no active Stripe price has lookup_key 'LEGACY-ON" in out  # Sync_Error__c shown
    assert "Paid" in out  # Last_Payment_Status__c came back from Stripe
    assert "A signed outbound webhook reached the receiver" in out
    assert "type: subscription.activated" in out
    assert "webhook-signature: v1," in out
    assert "writes to Salesforce, Stripe and SMTP this cycle: 0" in out
    assert out.rstrip().endswith("Demo complete.")


def test_without_the_emulators_the_demo_says_in_one_line_how_to_install_them() -> None:
    # None in sys.modules makes `import crm_emulators` fail as if it were not installed
    blocked = ("import sys; sys.modules['crm_emulators'] = None; "
               "from connector.cli import main; raise SystemExit(main(['demo']))")
    done = subprocess.run([sys.executable, "-c", blocked], cwd=REPO, capture_output=True,
                          text=True, timeout=60, check=False)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "crm-connector demo: the emulators are not installed (no module 'crm_emulators'); "
        "install them with `pip install -e ./emulators` in the checkout, or run ./dev demo"]
