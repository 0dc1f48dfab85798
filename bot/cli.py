"""Command line for operators: `python -m bot.cli init-db | file-demo | status TICKET STATUS`."""

from __future__ import annotations

import argparse
import sys

from bot.config import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.cli", description="GreenWhistle operator commands")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init-db", help="create or migrate the ledger database (DATABASE_URL)")
    status = sub.add_parser("set-status", help="change an issue's status (staff action, audited)")
    status.add_argument("ticket")
    status.add_argument("status")
    status.add_argument("--actor", default="cli")
    status.add_argument("--note", default=None, help="note shown to the citizen")
    args = parser.parse_args(argv)

    if args.command == "init-db":
        from bot.migrate import upgrade

        upgrade()
        print(f"ledger database ready: {get_settings().database_url}")
        return 0
    if args.command == "set-status":
        from bot.exceptions import GreenWhistleError
        from bot.store import get_store

        try:
            issue = get_store().change_status(args.ticket, args.status, actor=args.actor, note=args.note)
        except GreenWhistleError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{issue.ticket}: {issue.status}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
