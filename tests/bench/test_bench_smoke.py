"""Every benchmark runs at a tiny size, so a change that breaks one fails the suite.

Nothing here is timed or compared with a target: a smoke run asserts only that the script
completes and prints its figures. The figures themselves are measured at full size by hand
and recorded in ``bench/README.md``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SMOKE = {
    "api_calls.py": (["--opportunities", "3", "--lines", "1"], '"cycle": "nothing changed"'),
    "first_sync.py": (["--opportunities", "10"], "PASS emails"),
    "reports.py": (["--subscriptions", "50", "--invoices", "500", "--repeat", "1"],
                   '"report": "status-by-month"'),
    "salesforce_economy.py": (["--sizes", "20"], "ledger ingest"),
    "stripe_import.py": (["--customers", "12", "--limit", "1000", "--client-rate", "500"],
                         '"ledger_unchanged": true'),
    "stripe_throughput.py": (["--subscriptions", "10", "--events", "20", "--limit", "1000",
                              "--client-rate", "500"], '"phase": "apply inbox"'),
    "webhook_ack.py": (["--senders", "4", "--events", "40"], '"ack_ms_p99"'),
}
"""Each benchmark's tiny arguments and a line its output must contain."""


def test_every_benchmark_has_a_smoke_run() -> None:
    assert sorted(SMOKE) == sorted(p.name for p in (REPO / "bench").glob("*.py"))


@pytest.mark.parametrize("script", sorted(SMOKE))
def test_benchmark_completes_at_a_tiny_size(script: str, tmp_path: Path) -> None:
    args, expected = SMOKE[script]
    done = subprocess.run([sys.executable, str(REPO / "bench" / script), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    assert expected in done.stdout, done.stdout[-3000:]
