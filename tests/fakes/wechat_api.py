"""A local fake of the WeChat API server (api.weixin.qq.com/cgi-bin/) for tests and benchmarks.

HTTP on 127.0.0.1 in a background thread; the channel reaches it through WECHAT_API_BASE_URL.
It issues access tokens, serves media downloads, records customer-service, template and menu
calls, and can be told to fail (HTTP 500 or a WeChat errcode) or to be slow.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

logger = logging.getLogger(__name__)


@dataclass
class Fault:
    """The next `times` calls of an endpoint fail with `status` (HTTP) or `errcode` (WeChat)."""

    times: int
    status: int = 500
    errcode: int | None = None


@dataclass
class Recorded:
    endpoint: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def touser(self) -> str:
        return str(self.body.get("touser", ""))

    @property
    def text(self) -> str:
        return str((self.body.get("text") or {}).get("content", ""))


class FakeWeChatAPI:
    """Start with `with FakeWeChatAPI(...) as api:`; `api.base_url` is the API base URL."""

    def __init__(self, app_id: str = "wx-test-app", secret: str = "test-secret") -> None:
        self.app_id = app_id
        self.secret = secret
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.media: dict[str, tuple[bytes, str]] = {}
        self.calls: list[Recorded] = []
        self._by_user: dict[tuple[str, str], list[Recorded]] = {}
        self.faults: dict[str, Fault] = {}
        self.delays: dict[str, float] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- life cycle ----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/cgi-bin/"

    def __enter__(self) -> FakeWeChatAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what tests set up -----------------------------------------------------------------------
    def add_media(self, data: bytes, content_type: str = "image/jpeg") -> str:
        media_id = f"media-{uuid.uuid4().hex}"
        with self._lock:
            self.media[media_id] = (data, content_type)
        return media_id

    def fail(
        self, endpoint: str, times: int = 1, *, status: int = 500, errcode: int | None = None
    ) -> None:
        """`endpoint` like "message/custom/send"; errcode given → HTTP 200 with that errcode."""
        with self._lock:
            self.faults[endpoint] = Fault(times, status, errcode)

    def slow(self, endpoint: str, seconds: float) -> None:
        with self._lock:
            self.delays[endpoint] = seconds

    def reset_faults(self) -> None:
        with self._lock:
            self.faults.clear()
            self.delays.clear()

    # -- what tests read -------------------------------------------------------------------------
    def sent(
        self, endpoint: str = "message/custom/send", touser: str | None = None
    ) -> list[Recorded]:
        with self._lock:
            if touser is not None:
                return list(self._by_user.get((endpoint, touser), ()))
            return [c for c in self.calls if c.endpoint == endpoint]

    def texts_to(self, touser: str) -> list[str]:
        return [c.text for c in self.sent("message/custom/send", touser)]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
        """Polls `predicate()` until it holds or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def wait_texts(self, touser: str, count: int, timeout: float = 60.0) -> list[str]:
        """The first `count` texts sent to `touser`, waiting for them; fails loudly on timeout."""
        if not self.wait_for(lambda: len(self.texts_to(touser)) >= count, timeout):
            raise AssertionError(
                f"expected {count} messages to {touser}, got {self.texts_to(touser)!r}"
            )
        return self.texts_to(touser)

    # -- the server ------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                logger.debug(format, *args)

            def do_GET(self) -> None:
                api._dispatch(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw.decode("utf-8")) if raw else {}
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                api._dispatch(self, body)

        return Handler

    def _reply(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        payload: Any,
        content_type: str = "application/json",
    ) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _dispatch(self, h: BaseHTTPRequestHandler, body: dict[str, Any] | None) -> None:
        url = urlparse(h.path)
        endpoint = url.path.removeprefix("/cgi-bin/")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self._lock:
            delay = self.delays.get(endpoint, 0.0)
            fault = self.faults.get(endpoint)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[endpoint]
        if delay:
            time.sleep(delay)
        if fault is not None:
            if fault.errcode is not None:
                return self._reply(h, 200, {"errcode": fault.errcode, "errmsg": "injected"})
            return self._reply(h, fault.status, {"errmsg": "injected failure"})
        if endpoint == "token":
            return self._token(h, query)
        if query.get("access_token") not in self.tokens:
            return self._reply(h, 200, {"errcode": 40001, "errmsg": "invalid credential"})
        if endpoint == "media/get":
            with self._lock:
                media = self.media.get(query.get("media_id", ""))
            if media is None:
                return self._reply(h, 200, {"errcode": 40007, "errmsg": "invalid media_id"})
            return self._reply(h, 200, media[0], media[1])
        if endpoint in ("message/custom/send", "message/template/send", "menu/create"):
            record = Recorded(endpoint, body or {})
            with self._lock:
                self.calls.append(record)
                self._by_user.setdefault((endpoint, record.touser), []).append(record)
            extra = {"msgid": len(self.calls)} if endpoint == "message/template/send" else {}
            return self._reply(h, 200, {"errcode": 0, "errmsg": "ok", **extra})
        return self._reply(h, 404, {"errcode": 404, "errmsg": f"no fake for {endpoint}"})

    def _token(self, h: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        if query.get("appid") != self.app_id or query.get("secret") != self.secret:
            return self._reply(h, 200, {"errcode": 40125, "errmsg": "invalid appsecret"})
        token = f"token-{uuid.uuid4().hex}"
        with self._lock:
            self.tokens.add(token)
            self.token_requests += 1
        return self._reply(h, 200, {"access_token": token, "expires_in": 7200})
