"""``pause``, ``resume`` and ``diagnose``: the operator's commands (see :mod:`connector.ops`).

A pause is kept in the ledger, so it survives restarts; a running daemon honours it at its
next cycle (it skips that system's part; the system shows ``PAUSED``).
"""

from __future__ import annotations

import argparse

from connector.clock import SystemClock
from connector.commands.sync_commands import load
from connector.errors import ConfigError
from connector.ops.diagnose import diagnose as run_checks
from connector.ops.diagnose import render
from connector.ops.states import SYSTEMS, set_paused
from connector.secrets import Secrets
from connector.sync.wiring import open_ledger


def pause(args: argparse.Namespace) -> int:
    """Pause ``salesforce``, ``stripe`` or ``all`` (the default) from the next cycle."""
    return _set(args, paused=True)


def resume(args: argparse.Namespace) -> int:
    """Resume what ``pause`` paused, from the next cycle."""
    return _set(args, paused=False)


def _set(args: argparse.Namespace, *, paused: bool) -> int:
    systems = SYSTEMS if args.system == "all" else (args.system,)
    _, sessions = open_ledger(load(args))
    changed = set_paused(sessions, systems, paused, SystemClock().now())
    verb = "paused" if paused else "resumed"
    for system in systems:
        if system in changed:
            print(f"{system}: {verb}; the daemon "
                  f"{'skips' if paused else 'takes up'} it from its next cycle")
        else:
            print(f"{system}: already {verb}")
    return 0


def diagnose(args: argparse.Namespace) -> int:
    """Check everything the daemon depends on; exit 1 if anything failed."""
    try:
        config = load(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"FAIL  config: {problem}")
        print("      fix: correct the config file (config.example.toml documents every key)")
        return 1
    return render(run_checks(config, Secrets(), SystemClock()))
