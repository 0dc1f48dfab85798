"""The action server: rasa-sdk's app with a shared secret, listening on 127.0.0.1.

rasa-sdk checks nothing itself: anyone who can reach its port may POST a made-up tracker to
/webhook and run `action_check_status` as any citizen's sender id, which answers with that
citizen's reports. So this entry point (used by bot.ops.stack instead of `python -m rasa_sdk`)
builds rasa-sdk's own app from `rasa_sdk.endpoint.create_app_for_serve` and adds what it lacks:

- a request check: every request but GET /health needs `Authorization: Bearer <action token>`
  (`GW_ACTION_TOKEN`), which Rasa sends from endpoints.yml (`action_endpoint.headers`); others get
  401 with a JSON reason;
- an error handler that answers 500 with the exception's type only (rasa-sdk's own echoes the
  request body, a whole tracker, back to the caller and into the log);
- no CORS (rasa-sdk allows every origin by default; only Rasa calls this server);
- 127.0.0.1 unless `--interface` says otherwise (rasa-sdk binds 0.0.0.0).

The server refuses to start without a token. Worker processes are Sanic's, as with rasa-sdk;
bot.ops.stack stops the whole process group, workers included.

    python -m bot.ops.action_server [--interface 127.0.0.1] [--port 5055]
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys
from functools import partial
from typing import Any

from bot.config import get_settings, secret_value
from bot.ops.stack import ACTION_TOKEN_HEADER, ACTION_TOKEN_SCHEME

logger = logging.getLogger(__name__)

ACTIONS_PACKAGE = "actions"
#: Open to anyone: the supervisor's and a load balancer's health probe (says only "ok").
OPEN_PATHS = frozenset({"/health"})
#: Loggers whose DEBUG lines carry what citizens typed (trackers, slots, messages).
CHAT_LOGGERS = ("rasa_sdk", "sanic.access")

NO_TOKEN = (
    "the action server needs a shared secret: set GW_ACTION_TOKEN (bot.ops.stack makes one in "
    "var/action_token) and give Rasa the same one (endpoints.yml action_endpoint.headers)"
)
REFUSED = (
    "missing or wrong action server token: send 'Authorization: Bearer <GW_ACTION_TOKEN>' "
    "(endpoints.yml action_endpoint.headers)"
)


def expected_header(token: str) -> str:
    return f"{ACTION_TOKEN_SCHEME} {token}"


def authorised(path: str, header: str | None, token: str) -> bool:
    """Whether a request to `path` with this Authorization header may pass (constant-time)."""
    if path in OPEN_PATHS:
        return True
    if not token or header is None:
        return False
    return hmac.compare_digest(header.encode(), expected_header(token).encode())


def action_token() -> str:
    """The shared secret from the settings; SystemExit with the reason when it is unset."""
    token = secret_value(get_settings().action_token)
    if not token:
        raise SystemExit(NO_TOKEN)
    return token


def create_app(token: str | None = None, *, endpoints: str = "endpoints.yml") -> Any:
    """rasa-sdk's app for the `actions` package, guarded by the shared secret.

    Called in the main process and again in every Sanic worker (Sanic's AppLoader), so it reads
    the token from the settings unless given one.
    """
    from rasa_sdk.endpoint import create_app_for_serve
    from rasa_sdk.executor import ActionExecutor
    from sanic import Request, response
    from sanic.response import HTTPResponse

    secret = token or action_token()
    executor = ActionExecutor()
    executor.register_package(ACTIONS_PACKAGE)
    app = create_app_for_serve(executor, cors_origins="", endpoints=endpoints)

    async def check_token(request: Request) -> HTTPResponse | None:
        if authorised(request.path, request.headers.get(ACTION_TOKEN_HEADER), secret):
            return None
        logger.warning("refused %s %s: no valid action token", request.method, request.path)
        return response.json({"error": REFUSED}, status=401)

    async def on_error(request: Request, exception: Exception) -> HTTPResponse:
        status = int(getattr(exception, "status_code", 500) or 500)
        if status >= 500:
            logger.error("action server error on %s: %s", request.path, type(exception).__name__)
        return response.json({"error": type(exception).__name__}, status=status)

    app.register_middleware(check_token, "request", priority=1000)
    # Replaces rasa-sdk's handler for every Exception (ErrorHandler.add refuses a second one).
    app.error_handler.cached_handlers[(Exception, None)] = on_error
    return app


def configure_logging() -> None:
    """Our level from GW_LOG_LEVEL; rasa-sdk's DEBUG lines only with GW_LOG_MESSAGE_TEXT."""
    settings = get_settings()
    level = logging.getLevelName(settings.log_level.upper())
    logging.basicConfig(format="%(asctime)s %(levelname)-8s %(name)s  - %(message)s")
    logging.getLogger().setLevel(level)
    quiet = level < logging.INFO and not settings.log_message_text
    for name in CHAT_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if quiet else logging.NOTSET)


def serve(host: str, port: int, *, endpoints: str = "endpoints.yml") -> None:
    """Runs the guarded app as rasa-sdk's `run` does (Sanic workers, one by default)."""
    from rasa_sdk.utils import number_of_sanic_workers
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    action_token()  # fail before Sanic starts workers
    loader = AppLoader(factory=partial(create_app, endpoints=endpoints))
    app = loader.load()
    app.prepare(host=host, port=port, workers=number_of_sanic_workers(), motd=False)
    logger.info("action server on http://%s:%d (token required)", host, port)
    Sanic.serve(primary=app, app_loader=loader)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.ops.action_server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--interface", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--endpoints", default="endpoints.yml")
    args = parser.parse_args(argv)
    configure_logging()
    serve(args.interface, args.port, endpoints=args.endpoints)
    return 0


if __name__ == "__main__":
    sys.exit(main())
