"""ASGI middleware at the app's edge: security headers on every response, body limits per path.

Pure ASGI rather than Starlette's BaseHTTPMiddleware: the body limit must see the request body
before anything parses it, chunk by chunk (a chunked upload declares no length), and the headers
must reach responses that never pass through a route (static files, 404s, the 413 below).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import texts

logger = logging.getLogger(__name__)

#: Framing only by ourselves, no referrer to other sites, no MIME sniffing, no plugins or
#: <base> tricks. Script and style sources are left alone: the console's pages use inline
#: styles, and the templates escape every citizen text (bot/web/console/pages.py).
SECURITY_HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def add_security_headers(headers: MutableHeaders) -> None:
    """Sets the headers a response lacks; a response's own CSP (evidence files) keeps its rules
    and gains frame-ancestors."""
    for name, value in SECURITY_HEADERS.items():
        own = headers.get(name)
        if own is None:
            headers[name] = value
        elif name == "Content-Security-Policy" and "frame-ancestors" not in own:
            headers[name] = f"{own}; frame-ancestors 'none'"


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies over a limit (413, with the reason in the Open311 error shape).

    `limits`: (path prefix, bytes). A declared Content-Length over the limit is refused before
    a byte is read; otherwise the body is read up to the limit (chunked or not) and handed on.
    """

    def __init__(self, app: ASGIApp, *, limits: Sequence[tuple[str, int]]) -> None:
        self.app = app
        self.limits = tuple(limits)

    def _limit(self, scope: Scope) -> int | None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            return None
        path = str(scope.get("path", ""))
        return next((n for prefix, n in self.limits if path.startswith(prefix)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self._limit(scope)
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole = b"".join(chunks)
        handed = False

        async def replay() -> Message:
            nonlocal handed
            if not handed:
                handed = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        logger.warning("request body over %d bytes refused on %s", limit, scope.get("path"))
        reason = texts.text("staff", "security.body_too_large", limit_kb=limit // 1024)
        response = JSONResponse([{"code": 413, "description": reason}], status_code=413)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
