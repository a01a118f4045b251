"""Run crm-connector: ``python daemon.py --help`` lists the commands."""

from __future__ import annotations

from connector.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
