"""``mappings check``: validate every mapping file and report every problem at once."""

from __future__ import annotations

import argparse

from connector.commands.sync_commands import load
from connector.mapping import DataModel, check_mappings
from connector.sync.wiring import SHIPPED_METADATA


def check(args: argparse.Namespace) -> int:
    """Print ``file:line: key.path: reason`` for every problem; exit 0 only when all are valid."""
    config = load(args)
    problems = check_mappings(config.mappings.dir, DataModel.offline(SHIPPED_METADATA))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in "
              f"{config.mappings.dir}")
        return 2
    scope = "the shipped data model" if args.offline else (
        "the shipped data model (checking against the org's describe is not available yet)")
    print(f"mappings in {config.mappings.dir} are valid against {scope}")
    return 0
