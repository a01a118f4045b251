"""Every config or CLI mistake a person can make: one clear line on stderr and exit 2.

Each case runs the real command in its own process, as a person would type it, so an
uncaught exception anywhere (a traceback) fails the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FOLDERS = f'[mappings]\ndir = "{REPO / "mappings"}"\n[templates]\ndir = "{REPO / "templates"}"\n'


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def _config(folder: Path, text: str) -> Path:
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _missing(folder: Path, port: int) -> list[str]:
    return ["status", "--config", str(folder / "nope.toml")]


def _a_folder(folder: Path, port: int) -> list[str]:
    return ["status", "--config", str(folder)]


def _not_utf8(folder: Path, port: int) -> list[str]:
    path = folder / "config.toml"
    path.write_bytes(b"\xff\xfe[ledger]\n")
    return ["status", "--config", str(path)]


def _not_toml(folder: Path, port: int) -> list[str]:
    return ["status", "--config", str(_config(folder, "[ledger\n"))]


def _unknown_key(folder: Path, port: int) -> list[str]:
    return ["status", "--config", str(_config(folder, "[salesforce]\npoll_intervall = 3\n"))]


def _secret_in_toml(folder: Path, port: int) -> list[str]:
    return ["status", "--config", str(_config(folder, '[stripe]\napi_key = "sk_live_x"\n'))]


def _unknown_command(folder: Path, port: int) -> list[str]:
    return ["stauts"]


def _bad_flag(folder: Path, port: int) -> list[str]:
    return ["status", "--bogus"]


def _bad_date(folder: Path, port: int) -> list[str]:
    return ["plan", "--generate-since", "yesterday"]


def _import_bad_date(folder: Path, port: int) -> list[str]:
    return ["import", "stripe", "--since", "2026-13-01"]


def _import_unknown_source(folder: Path, port: int) -> list[str]:
    return ["import", "strpe"]


def _import_without_salesforce(folder: Path, port: int) -> list[str]:
    text = f'[ledger]\nurl = "sqlite:///{folder / "ledger.db"}"\n{FOLDERS}'
    return ["import", "stripe", "--config", str(_config(folder, text))]


def _ledger_url(folder: Path, port: int) -> list[str]:
    return ["status", "--config", str(_config(folder, '[ledger]\nurl = "bogus://x"\n'))]


def _ledger_path(folder: Path, port: int) -> list[str]:
    blocker = folder / "a-file"
    blocker.write_text("", encoding="utf-8")
    url = f"sqlite:///{blocker / 'ledger.db'}"  # its folder would be a file
    return ["status", "--config", str(_config(folder, f'[ledger]\nurl = "{url}"\n'))]


def _ledger_server(folder: Path, port: int) -> list[str]:
    url = f"postgresql+psycopg://sync:pw@127.0.0.1:{port}/ledger?connect_timeout=5"
    return ["status", "--config", str(_config(folder, f'[ledger]\nurl = "{url}"\n'))]


def _port_in_use(folder: Path, port: int) -> list[str]:
    text = (f'[ledger]\nurl = "sqlite:///{folder / "ledger.db"}"\n{FOLDERS}'
            f'[stripe]\nwebhook_listen = "127.0.0.1:{port}"\n')
    return ["run", "--config", str(_config(folder, text))]


CASES: dict[str, tuple[Callable[[Path, int], list[str]], str]] = {
    "missing file": (_missing, "file not found"),
    "a directory": (_a_folder, "is a folder, not a config file"),
    "wrong encoding": (_not_utf8, "not UTF-8 text"),
    "not TOML": (_not_toml, "not valid TOML"),
    "unknown key": (_unknown_key, "did you mean 'poll_interval'"),
    "secret in TOML": (_secret_in_toml, "set STRIPE_API_KEY in the environment"),
    "unknown command": (_unknown_command, "did you mean 'status'"),
    "bad flag": (_bad_flag, "unrecognized arguments: --bogus"),
    "bad date": (_bad_date, "is not a date YYYY-MM-DD"),
    "import: bad date": (_import_bad_date, "'2026-13-01' is not a date YYYY-MM-DD"),
    "import: unknown source": (_import_unknown_source, "did you mean 'stripe'"),
    "import: no Salesforce secrets": (_import_without_salesforce, "SALESFORCE_CLIENT_ID"),
    "unusable ledger URL": (_ledger_url, "ledger.url: 'bogus://x' is not a database URL"),
    "unusable ledger path": (_ledger_path, "ledger.url: cannot create the ledger file"),
    "ledger server refuses": (_ledger_server, "ledger.url: cannot open the ledger"),
    "port in use": (_port_in_use, "stripe.webhook_listen: cannot listen on"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_mistake_is_one_line_and_exit_2(case: str, tmp_path: Path, busy_port: int) -> None:
    make_args, expected = CASES[case]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_CONNECTOR")}
    env |= {"STRIPE_WEBHOOK_SECRET": "whsec_test", "STRIPE_API_KEY": "sk_test_x"}

    done = subprocess.run([sys.executable, str(REPO / "daemon.py"),
                           *make_args(tmp_path, busy_port)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)

    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]
    assert "pw@" not in done.stderr  # a URL's password is never shown


def test_output_cut_short_by_a_pipe_is_no_error(tmp_path: Path) -> None:
    config = _config(tmp_path, f'[ledger]\nurl = "sqlite:///{tmp_path / "ledger.db"}"\n')
    command = (f"{sys.executable} {REPO / 'daemon.py'} status --config {config} | head -1; "
               "exit ${PIPESTATUS[0]}")

    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                          timeout=60, check=False)

    assert "Traceback" not in done.stderr
    assert done.stdout.startswith("config:")
