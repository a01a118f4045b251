"""``plan``: what the next sync would change, per system, without writing anything."""

from __future__ import annotations

import argparse
import sys

from connector.commands.sync_commands import load
from connector.plan import plan_next_sync
from connector.plan.render import incomplete, render_json, render_text
from connector.secrets import Secrets
from connector.sync.wiring import build_engine


def plan(args: argparse.Namespace) -> int:
    """Print the plan as text or JSON (``--format``).

    Exit 0 when it is complete; 1 when a system could not be read (unreachable, paused by
    the API budget): what is shown is then only part of the next sync, said on stderr too.
    """
    engine = build_engine(load(args), Secrets())
    result = plan_next_sync(engine, generate_since=getattr(args, "generate_since", None))
    print(render_json(result) if args.format == "json" else render_text(result))
    missing = incomplete(result)
    for line in missing:
        print(f"crm-connector plan: incomplete: {line}", file=sys.stderr)
    return 1 if missing else 0
