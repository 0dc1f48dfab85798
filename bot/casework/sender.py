"""The notification sender: delivers the outbox (bot.casework.notify) as a process of its own.

    python -m bot.casework.sender [--poll-s 2]

`make run` starts one (`sender`), `make run-cluster` one or more (`sender-1`, …): each claims
the rows it delivers (FOR UPDATE SKIP LOCKED on PostgreSQL, a lease on SQLite), so several
senders never deliver one row at once, and a sender killed mid-delivery loses nothing (see the
docstring of bot.casework.notify for the only window in which a message can go out twice).
SIGTERM or Ctrl-C ends it after the delivery in hand. It reads DATABASE_URL, GW_RASA_URL (the
Rasa server, or the load balancer in front of several) and GW_INTERNAL_TOKEN.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from bot.casework.notify import Notifier
from bot.casework.store import get_store
from bot.config import get_settings, secret_value

logger = logging.getLogger(__name__)

#: How often an idle sender looks for due messages: the longest a status message waits.
DEFAULT_POLL_S = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.casework.sender",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--poll-s", type=float, default=DEFAULT_POLL_S)
    args = parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    token = secret_value(settings.internal_token) or None
    if token is None:
        logger.warning("GW_INTERNAL_TOKEN unset: the channel refuses every push")
    notifier = Notifier(get_store(), rasa_url=settings.rasa_url, token=token, poll_s=args.poll_s)

    def _stop(signum: int, _frame: object) -> None:
        logger.info("signal %d: stopping after the delivery in hand", signum)
        notifier.request_stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    logger.info(
        "sender started (%s, poll every %.1fs)",
        "FOR UPDATE SKIP LOCKED" if notifier.skip_locked else "lease",
        args.poll_s,
    )
    notifier.run()
    logger.info("sender stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
