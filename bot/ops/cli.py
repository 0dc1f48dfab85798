"""Command line for operators: `python -m bot.ops.cli init-db | set-status TICKET STATUS | create-user NAME`."""

from __future__ import annotations

import argparse
import sys

from bot.config import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.ops.cli", description="GreenWhistle operator commands"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init-db", help="create or migrate the ledger database (DATABASE_URL)")
    status = sub.add_parser("set-status", help="change an issue's status (staff action, audited)")
    status.add_argument("ticket")
    status.add_argument("status")
    status.add_argument("--actor", default="cli")
    status.add_argument("--note", default=None, help="note shown to the citizen")
    user = sub.add_parser("create-user", help="create a console account (the first admin, staff)")
    user.add_argument("username")
    user.add_argument(
        "--role",
        choices=["office", "department", "leader"],
        default="office",
        help="office: 污防办, everything; department: 责任单位; leader: read-only",
    )
    user.add_argument("--name", default=None, help="display name, e.g. 李科长")
    user.add_argument("--department", default=None, help="责任单位 (role department only)")
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    args = parser.parse_args(argv)

    if args.command == "init-db":
        from bot.ops.migrate import upgrade

        upgrade()
        print(f"ledger database ready: {get_settings().database_url}")
        return 0
    if args.command == "create-user":
        return _create_user(args)
    if args.command == "set-status":
        from bot.casework.store import get_store
        from bot.exceptions import GreenWhistleError

        try:
            from bot.casework.commands import CaseWork

            # Through the lifecycle: checked, audited, and the citizen is notified.
            issue = CaseWork(get_store()).change_status(
                args.ticket, args.status, actor=args.actor, note=args.note
            )
        except GreenWhistleError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{issue.ticket}: {issue.status}")
        return 0
    return 2


def _create_user(args: argparse.Namespace) -> int:
    """Creates a console account; the password is prompted (or read from stdin), never an argument."""
    import getpass

    from bot.casework.accounts import Accounts
    from bot.casework.store import get_store
    from bot.exceptions import GreenWhistleError

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码 (password): ")
        if password != getpass.getpass("再输一次 (again): "):
            print("error: passwords differ", file=sys.stderr)
            return 1
    try:
        Accounts(get_store()).create_user(
            args.username,
            password,
            role=args.role,
            display_name=args.name,
            department=args.department,
        )
    except GreenWhistleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"console user {args.username} created (role {args.role})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
