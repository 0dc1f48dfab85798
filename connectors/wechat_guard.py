"""What the WeChat webhook believes of a request, without Rasa (unit-tested in the app env too).

WeChat signs the URL, not the body: `signature` = SHA-1 of the token, `timestamp` and `nonce`.
A signed URL is valid forever, so a URL from a proxy log could be replayed, with any body in plain
mode, for as long as the token stays the same. So the webhook also demands:

- a fresh `timestamp`: at most MAX_CLOCK_SKEW_S (5 minutes) away from the server's clock, either
  way (WeChat's servers keep good time; a 5-minute window absorbs drift and WeChat's retries,
  which come within seconds);
- a URL never seen before: (timestamp, nonce, signature) is claimed in a replay cache kept for
  longer than the freshness window, so every fresh URL can be used once. A repeat is answered
  「success」 and not handled: that is also right for WeChat's own retries, which the MsgId
  de-duplication (wechat_state.ChannelState.claim) handles at most once whatever their URL;
- in safe mode (an AES key is set) an encrypted body, whose `msg_signature` covers the
  ciphertext: a plaintext body is refused, because nothing authenticates it;
- a sender (FromUserName) shaped like an openid, so it can never name a conversation of another
  channel's namespace (`hotline:<call_id>`, `rest:<sender>`).

The replay cache is the channel's state (connectors/wechat_state.py): Redis when several Rasa
servers share it (GW_REDIS_URL), else the Rasa process's memory.

WeChat API calls carry the access token in their URL; `redact` and `RedactSecrets` keep it (and
the app secret) out of every log line, including tracebacks of requests' connection errors.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Protocol

from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

logger = logging.getLogger(__name__)

#: How far a request's timestamp may be from the server's clock, either way (seconds).
MAX_CLOCK_SKEW_S = 300
#: How long a URL stays in the replay cache: longer than any timestamp is accepted.
REPLAY_TTL_S = 2 * MAX_CLOCK_SKEW_S + 60
#: WeChat openids: 28 characters of letters, digits, `_` and `-` (64 allowed for other apps).
OPENID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ClaimStore(Protocol):
    """Keys that may be claimed once in a time window (wechat_support.SeenMessages in memory)."""

    def claim(self, key: str) -> bool:
        """True the first time `key` is claimed within the window, False afterwards."""
        ...


class Refused(Exception):
    """A request the webhook does not believe; `status` is the HTTP code, `reason` for logs and
    for WeChat's server (never shown to citizens)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def check_signed_url(
    token: str,
    signature: str | None,
    timestamp: str | None,
    nonce: str | None,
    *,
    now: float | None = None,
    max_skew_s: float = MAX_CLOCK_SKEW_S,
) -> str:
    """The URL's replay-cache key; Refused(403) unless the URL is signed with `token` and its
    timestamp is fresh."""
    if not (signature and timestamp and nonce):
        raise Refused(403, "invalid signature")
    try:
        check_signature(token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise Refused(403, "invalid signature") from None
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise Refused(403, "invalid timestamp") from None
    now = time.time() if now is None else now
    if abs(now - signed_at) > max_skew_s:
        raise Refused(403, "stale timestamp")
    return replay_key(signature, timestamp, nonce)


def replay_key(signature: str, timestamp: str, nonce: str) -> str:
    return f"url:{timestamp}:{nonce}:{signature}"


def check_body_mode(*, safe_mode: bool, encrypt_type: str | None) -> None:
    """Refused(400) for a plaintext body in safe mode: the URL signature does not cover it."""
    if safe_mode and encrypt_type != "aes":
        raise Refused(400, "plaintext message refused in safe mode (encrypt_type=aes expected)")


def check_sender(source: object) -> str:
    """The openid of a parsed message, or Refused(400)."""
    if not isinstance(source, str) or not source:
        raise Refused(400, "malformed message: no sender")
    if not OPENID_RE.match(source):
        raise Refused(400, "malformed message: sender is not an openid")
    return source


# -- secrets in logs ------------------------------------------------------------------------
_SECRET_RE = re.compile(r"\b(access_token|secret|appsecret)=([^&\s'\"<>]+)", re.IGNORECASE)


def redact(text: str) -> str:
    """`access_token=…` and `secret=…` (WeChat puts both in URLs) become `…=***`."""
    return _SECRET_RE.sub(lambda m: f"{m.group(1)}=***", text)


def describe_error(exc: BaseException) -> str:
    """An exception for a log line, with secrets redacted (requests' errors quote the URL)."""
    text = str(exc)
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


class RedactSecrets(logging.Filter):
    """Redacts secrets in a record's message and traceback before any handler writes it.

    urllib3 logs request URLs (at DEBUG), and a connection error's message and traceback quote
    the URL, access token included, wherever someone logs it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the handler's to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_redaction(root: logging.Logger | None = None) -> None:
    """Adds RedactSecrets to every handler of the root logger (once each)."""
    for handler in (root or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())


__all__ = [
    "MAX_CLOCK_SKEW_S",
    "OPENID_RE",
    "REPLAY_TTL_S",
    "ClaimStore",
    "RedactSecrets",
    "Refused",
    "check_body_mode",
    "check_sender",
    "check_signed_url",
    "describe_error",
    "install_redaction",
    "redact",
    "replay_key",
]
