"""bot.ops.action_server: rasa-sdk behind a shared secret (the real server: tests/e2e)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from bot.config import get_settings
from bot.ops import action_server
from bot.ops.action_server import authorised, expected_header
from bot.ops.stack import PROJECT_ROOT

TOKEN = "s3cret-token"


@pytest.mark.parametrize(
    ("path", "header", "allowed"),
    [
        ("/health", None, True),
        ("/webhook", None, False),
        ("/webhook", "", False),
        ("/webhook", TOKEN, False),
        ("/webhook", "Bearer", False),
        ("/webhook", "Bearer wrong", False),
        ("/webhook", f"bearer {TOKEN}", False),
        ("/webhook", f"Bearer {TOKEN} ", False),
        ("/webhook", f"Bearer {TOKEN}", True),
        ("/actions", None, False),
        ("/actions", f"Bearer {TOKEN}", True),
        ("/health/../webhook", None, False),
        ("/anything", f"Bearer {TOKEN}x", False),
    ],
)
def test_only_the_exact_secret_passes(path: str, header: str | None, allowed: bool) -> None:
    assert authorised(path, header, TOKEN) is allowed


def test_no_configured_secret_lets_nobody_in() -> None:
    assert not authorised("/webhook", expected_header(""), "")
    assert not authorised("/webhook", "Bearer ", "")


def test_the_server_refuses_to_start_without_a_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GW_ACTION_TOKEN"}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "bot.ops.action_server", "--port", "1"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "GW_ACTION_TOKEN" in done.stderr


def test_rasa_sdk_debug_lines_stay_off_unless_message_text_is_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "level", root.level)  # restored afterwards
    for value, expected in (("false", logging.INFO), ("true", logging.DEBUG)):
        monkeypatch.setenv("GW_LOG_LEVEL", "DEBUG")
        monkeypatch.setenv("GW_LOG_MESSAGE_TEXT", value)
        get_settings.cache_clear()
        logging.getLogger("rasa_sdk").setLevel(logging.NOTSET)
        try:
            action_server.configure_logging()
            assert logging.getLogger("rasa_sdk").getEffectiveLevel() == expected
        finally:
            get_settings.cache_clear()
            logging.getLogger("rasa_sdk").setLevel(logging.NOTSET)
