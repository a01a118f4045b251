"""``plan``: what the next sync would change, per system, without writing anything."""

from __future__ import annotations

import argparse

from connector.commands.sync_commands import load
from connector.plan import plan_next_sync
from connector.plan.render import render_json, render_text
from connector.secrets import Secrets
from connector.sync.wiring import build_engine


def plan(args: argparse.Namespace) -> int:
    """Print the plan as text or JSON (``--format``); exit 0."""
    engine = build_engine(load(args), Secrets())
    result = plan_next_sync(engine, generate_since=getattr(args, "generate_since", None))
    print(render_json(result) if args.format == "json" else render_text(result))
    return 0
