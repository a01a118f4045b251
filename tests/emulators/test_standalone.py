"""``python -m crm_emulators salesforce|stripe|smtp --port N`` serve until SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("service", ["salesforce", "stripe", "smtp"])
def test_each_emulator_runs_standalone_and_stops_on_sigterm(service: str) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "crm_emulators", service, "--port", str(port), "--seed"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = process.stdout.readline() if process.stdout else ""
        assert f":{port}" in banner, banner
        if service == "stripe":
            prices = requests.get(f"http://127.0.0.1:{port}/v1/prices",
                                  auth=("sk_test_x", ""), timeout=10).json()
            assert {p["lookup_key"] for p in prices["data"]} >= {"PLATFORM-MONTHLY"}
        elif service == "salesforce":
            ca_path = banner.split("(CA: ")[1].split(")")[0]
            answer = requests.get(f"https://127.0.0.1:{port}/services/data/", verify=ca_path,
                                  timeout=10)
            assert answer.status_code == 200
        else:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as smtp:
                assert smtp.recv(100).startswith(b"220")
    finally:
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert process.wait(timeout=20) in (0, -signal.SIGTERM)


@pytest.mark.parametrize(("flags", "fields"), [
    ([], []), (["--multi-currency", "--currency", "eur"], ["CurrencyIsoCode"])])
def test_the_salesforce_emulator_has_one_currency_unless_told(flags: list[str],
                                                               fields: list[str]) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "crm_emulators", "salesforce", "--port", str(port), *flags],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(3)] if process.stdout else []
        ca_path = lines[0].split("(CA: ")[1].split(")")[0]
        token = lines[2].split("Bearer ")[1].split("'")[0]
        base = f"https://127.0.0.1:{port}/services/data/v62.0"
        ask = {"verify": ca_path, "headers": {"Authorization": f"Bearer {token}"}, "timeout": 10}
        described = requests.get(f"{base}/sobjects/Opportunity/describe", **ask).json()
        org = requests.get(f"{base}/query", params={
            "q": "SELECT DefaultCurrencyIsoCode FROM Organization"}, **ask).json()

        assert [f["name"] for f in described["fields"] if f["name"] == "CurrencyIsoCode"] == fields
        assert org["records"][0]["DefaultCurrencyIsoCode"] == ("EUR" if flags else "USD")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) in (0, -signal.SIGTERM)
