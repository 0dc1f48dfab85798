"""Command line for operators: `python -m bot.ops.cli init-db | set-status TICKET STATUS | create-user NAME`.

What it prints and its help come from staff.yml `ops.cli`.
"""

from __future__ import annotations

import argparse
import sys

from bot import texts
from bot.config import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.ops.cli", description=texts.text("staff", "ops.cli.help.description")
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init-db", help=texts.text("staff", "ops.cli.help.init_db"))
    status = sub.add_parser("set-status", help=texts.text("staff", "ops.cli.help.set_status"))
    status.add_argument("ticket")
    status.add_argument("status")
    status.add_argument("--actor", default="cli")
    status.add_argument("--note", default=None, help=texts.text("staff", "ops.cli.help.note"))
    user = sub.add_parser("create-user", help=texts.text("staff", "ops.cli.help.create_user"))
    user.add_argument("username")
    user.add_argument(
        "--role",
        choices=["office", "department", "leader"],
        default="office",
        help=texts.text("staff", "ops.cli.help.role"),
    )
    user.add_argument("--name", default=None, help=texts.text("staff", "ops.cli.help.name"))
    user.add_argument(
        "--department", default=None, help=texts.text("staff", "ops.cli.help.department")
    )
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help=texts.text("staff", "ops.cli.help.password_stdin"),
    )
    args = parser.parse_args(argv)

    if args.command == "init-db":
        from bot.ops.migrate import upgrade

        upgrade()
        print(texts.text("staff", "ops.cli.db_ready", url=get_settings().database_url))
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
            print(texts.text("staff", "ops.cli.error", error=exc), file=sys.stderr)
            return 1
        print(texts.text("staff", "ops.cli.status_set", ticket=issue.ticket, status=issue.status))
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
        password = getpass.getpass(texts.text("staff", "ops.cli.password"))
        if password != getpass.getpass(texts.text("staff", "ops.cli.password_again")):
            print(texts.text("staff", "ops.cli.passwords_differ"), file=sys.stderr)
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
        print(texts.text("staff", "ops.cli.error", error=exc), file=sys.stderr)
        return 1
    print(texts.text("staff", "ops.cli.user_created", username=args.username, role=args.role))
    return 0


if __name__ == "__main__":
    sys.exit(main())
