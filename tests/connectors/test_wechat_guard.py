"""What the WeChat webhook believes (connectors/wechat_guard.py): no Rasa needed.

The channel is tested end to end in tests/e2e/test_channel_trust.py (plain mode) and
tests/e2e/test_wechat.py (safe mode).
"""

from __future__ import annotations

import io
import logging

import pytest
import requests

from connectors.wechat_guard import (
    MAX_CLOCK_SKEW_S,
    REPLAY_TTL_S,
    RedactSecrets,
    Refused,
    check_body_mode,
    check_sender,
    check_signed_url,
    describe_error,
    install_redaction,
    redact,
)
from connectors.wechat_support import SeenMessages
from tests.fakes.wechat_server import sign

TOKEN = "guard-token"
NOW = 1_700_000_000


def _url(timestamp: int, nonce: str = "n0nce") -> tuple[str, str, str]:
    ts = str(timestamp)
    return sign(TOKEN, ts, nonce), ts, nonce


@pytest.mark.parametrize(
    "age_s",
    [0, 1, MAX_CLOCK_SKEW_S, -MAX_CLOCK_SKEW_S],
    ids=["now", "a second ago", "5 minutes ago", "5 minutes ahead"],
)
def test_a_fresh_signed_url_is_believed(age_s: int) -> None:
    key = check_signed_url(TOKEN, *_url(NOW - age_s), now=NOW)
    assert str(NOW - age_s) in key


@pytest.mark.parametrize(
    ("signature", "timestamp", "nonce", "reason"),
    [
        (*_url(NOW - 3 * 86400), "stale timestamp"),
        (*_url(NOW - MAX_CLOCK_SKEW_S - 1), "stale timestamp"),
        (*_url(NOW + 3600), "stale timestamp"),
        ("0" * 40, str(NOW), "n0nce", "invalid signature"),
        (sign(TOKEN, "yesterday", "n"), "yesterday", "n", "invalid timestamp"),
        (None, str(NOW), "n0nce", "invalid signature"),
        (sign(TOKEN, str(NOW), "n"), str(NOW), None, "invalid signature"),
        (sign(TOKEN, "", "n"), None, "n", "invalid signature"),
    ],
)
def test_a_stale_forged_or_incomplete_url_is_refused(
    signature: str | None, timestamp: str | None, nonce: str | None, reason: str
) -> None:
    with pytest.raises(Refused) as caught:
        check_signed_url(TOKEN, signature, timestamp, nonce, now=NOW)
    assert (caught.value.status, caught.value.reason) == (403, reason)


def test_each_signed_url_is_believed_once_while_it_is_fresh() -> None:
    replays = SeenMessages(ttl_s=REPLAY_TTL_S)
    first = check_signed_url(TOKEN, *_url(NOW, "a"), now=NOW)
    other = check_signed_url(TOKEN, *_url(NOW, "b"), now=NOW)
    assert replays.claim(first, now=0) and replays.claim(other, now=0)
    assert not replays.claim(first, now=1)  # the same URL again, with any body
    # the cache outlives the freshness window, so a URL is never believed twice
    assert REPLAY_TTL_S > 2 * MAX_CLOCK_SKEW_S
    assert not replays.claim(first, now=2 * MAX_CLOCK_SKEW_S)


@pytest.mark.parametrize(
    ("safe_mode", "encrypt_type", "refused"),
    [
        (True, "aes", False),
        (True, None, True),
        (True, "raw", True),
        (False, None, False),
        (False, "aes", False),
    ],
)
def test_safe_mode_takes_only_encrypted_bodies(
    safe_mode: bool, encrypt_type: str | None, refused: bool
) -> None:
    if refused:
        with pytest.raises(Refused) as caught:
            check_body_mode(safe_mode=safe_mode, encrypt_type=encrypt_type)
        assert caught.value.status == 400
    else:
        check_body_mode(safe_mode=safe_mode, encrypt_type=encrypt_type)


@pytest.mark.parametrize(
    ("source", "ok"),
    [
        ("o6_bmjrPTlm6_2sgVt7hMZOPfL2M", True),
        ("o-e2e-1234", True),
        ("hotline:call-1", False),
        ("rest:visitor", False),
        ("o6_bmjr PTlm", False),
        ("", False),
        (None, False),
        ("o" * 65, False),
    ],
)
def test_the_sender_must_be_an_openid(source: object, ok: bool) -> None:
    if ok:
        assert check_sender(source) == source
    else:
        with pytest.raises(Refused) as caught:
            check_sender(source)
        assert caught.value.status == 400


SECRET_TOKEN = "81_AbCdEf-secret-token_123"
URL = f"/cgi-bin/media/get?access_token={SECRET_TOKEN}&media_id=m1"


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        (URL, "/cgi-bin/media/get?access_token=***&media_id=m1"),
        ("GET /token?grant_type=x&appid=wx1&secret=s3cr3t HTTP/1.1", None),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_secrets_in_urls_are_redacted(text: str, clean: str | None) -> None:
    out = redact(text)
    assert SECRET_TOKEN not in out and "s3cr3t" not in out
    if clean is not None:
        assert out == clean


def test_a_connection_error_is_described_without_the_token() -> None:
    exc = requests.ConnectionError(
        f"HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: {URL}"
    )
    described = describe_error(exc)
    assert described.startswith("ConnectionError:") and SECRET_TOKEN not in described


def _logger_with_redaction() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger(f"guard-test-{id(stream)}")
    root.propagate = False
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    install_redaction(root)
    install_redaction(root)  # idempotent
    assert sum(isinstance(f, RedactSecrets) for f in handler.filters) == 1
    return root, stream


def test_log_records_lose_the_token_in_message_arguments_and_tracebacks() -> None:
    log, stream = _logger_with_redaction()
    log.debug('http://127.0.0.1:80 "GET %s HTTP/1.1" 200 12', URL)
    log.warning("media download attempt %d failed: %s", 1, requests.ConnectionError(URL))
    try:
        raise requests.ConnectionError(f"Max retries exceeded with url: {URL}")
    except requests.ConnectionError:
        log.exception("job failed")
    out = stream.getvalue()
    assert SECRET_TOKEN not in out, out
    assert out.count("access_token=***") == 3
    assert "Traceback" in out and "job failed" in out
