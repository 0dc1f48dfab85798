"""bot.ops.stack and bot.ops.processes: tokens for the private APIs, kept off command lines; var/ private; log levels."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.ops.processes import private_file, stored_token
from bot.ops.stack import (
    ACTION_TOKEN_HEADER,
    ACTION_TOKEN_SCHEME,
    PROJECT_ROOT,
    RASA_LAUNCHER,
    Ports,
    Stack,
    library_log_level,
)


def _stack(var: Path, **env: str) -> Stack:
    return Stack(ports=Ports(15005, 15055, 18000), var_dir=var, extra_env=env)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_tokens_are_made_once_per_var_folder_private_and_read_back(tmp_path: Path) -> None:
    first, again = _stack(tmp_path), _stack(tmp_path)
    assert first.rasa_token == again.rasa_token and len(first.rasa_token) >= 40
    assert first.action_token == again.action_token
    assert (
        len({first.rasa_token, first.action_token, first.procs["app"].env["GW_INTERNAL_TOKEN"]})
        == 3
    )
    for name in ("rasa_token", "action_token", "internal_token"):
        assert _mode(tmp_path / name) == 0o600, name
    assert (tmp_path / "rasa_token").read_text() == first.rasa_token


def test_tokens_from_the_environment_win_and_nothing_is_written(tmp_path: Path) -> None:
    stack = _stack(tmp_path, GW_RASA_TOKEN="operator-rasa", GW_ACTION_TOKEN="operator-action")
    assert (stack.rasa_token, stack.action_token) == ("operator-rasa", "operator-action")
    assert not (tmp_path / "rasa_token").exists() and not (tmp_path / "action_token").exists()


def test_an_empty_token_in_the_environment_is_never_used(tmp_path: Path) -> None:
    stack = _stack(tmp_path, GW_RASA_TOKEN="", GW_ACTION_TOKEN="")
    assert stack.rasa_token and stack.action_token


def test_rasa_always_requires_its_token_and_no_command_line_shows_a_secret(
    tmp_path: Path,
) -> None:
    """Before: `--enable-api` with no token unless GW_RASA_TOKEN was set; and when it was, the
    token sat on Rasa's command line, which `ps` shows to every local user."""
    stack = _stack(tmp_path)
    rasa = stack.procs["rasa"]
    assert "--enable-api" in rasa.argv and RASA_LAUNCHER in rasa.argv
    secrets = [stack.rasa_token, stack.action_token, rasa.env["GW_INTERNAL_TOKEN"]]
    for proc in stack.procs.values():
        assert not any(secret in part for part in proc.argv for secret in secrets), proc.name
    # Each process gets only the secrets it needs.
    assert rasa.env["GW_RASA_TOKEN"] and rasa.env["GW_ACTION_TOKEN"]
    assert "GW_RASA_TOKEN" not in stack.procs["actions"].env
    assert stack.procs["actions"].env["GW_ACTION_TOKEN"] == stack.action_token
    assert {"GW_RASA_TOKEN", "GW_ACTION_TOKEN"}.isdisjoint(stack.procs["app"].env)


def test_the_launcher_hands_the_token_to_rasa_from_the_environment(tmp_path: Path) -> None:
    """The launcher as Rasa runs it, with a stand-in `rasa` package that prints its argv."""
    fake = tmp_path / "rasa"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text(
        "import sys\ndef main():\n    print(sys.argv)\n    return 0\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", RASA_LAUNCHER, "run", "--enable-api"],
        env={**os.environ, "PYTHONPATH": str(tmp_path), "GW_RASA_TOKEN": "-t0k"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # one argument, so a token that starts with '-' is not read as another option
    assert out.strip() == str(["rasa", "run", "--enable-api", "--auth-token=-t0k"])


def test_the_action_server_is_started_on_loopback_through_our_guard(tmp_path: Path) -> None:
    actions = _stack(tmp_path).procs["actions"]
    assert actions.argv[1:3] == ["-m", "bot.ops.action_server"]
    assert actions.argv[actions.argv.index("--interface") + 1] == "127.0.0.1"


def test_endpoints_yml_sends_the_header_the_action_server_checks() -> None:
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    headers = endpoints["action_endpoint"]["headers"]
    assert headers == {ACTION_TOKEN_HEADER: f"{ACTION_TOKEN_SCHEME} ${{GW_ACTION_TOKEN}}"}
    assert "token" not in endpoints["action_endpoint"], "a header, not a URL parameter"


def test_var_written_by_an_older_version_is_tightened(tmp_path: Path) -> None:
    var = tmp_path / "var"
    (var / "logs").mkdir(parents=True)
    for name in ("greenwhistle.db", "greenwhistle.db-wal", "logs/rasa.log", "internal_token"):
        (var / name).write_text("x")
        os.chmod(var / name, 0o644)
    os.chmod(var, 0o755)
    os.chmod(var / "logs", 0o755)
    _stack(var)
    assert _mode(var) == 0o700 and _mode(var / "logs") == 0o700
    for name in ("greenwhistle.db", "greenwhistle.db-wal", "logs/rasa.log", "internal_token"):
        assert _mode(var / name) == 0o600, name


def test_private_files_are_private_from_the_start(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = private_file(tmp_path / "f")
        token = stored_token(tmp_path / "new", "t")
    finally:
        os.umask(old)
    assert _mode(path) == 0o600 and _mode(tmp_path / "new" / "t") == 0o600
    assert _mode(tmp_path / "new") == 0o700 and token


@pytest.mark.parametrize(
    ("env", "level"),
    [
        ({}, "INFO"),
        ({"GW_LOG_LEVEL": "warning"}, "WARNING"),
        ({"GW_LOG_LEVEL": "DEBUG"}, "INFO"),
        ({"GW_LOG_LEVEL": "DEBUG", "GW_LOG_MESSAGE_TEXT": "false"}, "INFO"),
        ({"GW_LOG_LEVEL": "DEBUG", "GW_LOG_MESSAGE_TEXT": "true"}, "DEBUG"),
    ],
)
def test_rasa_logs_message_text_only_when_the_operator_says_so(
    env: dict[str, str], level: str
) -> None:
    """Rasa's and rasa-sdk's DEBUG lines carry what citizens typed."""
    assert library_log_level(env) == level


def test_the_children_get_that_level(tmp_path: Path) -> None:
    stack = _stack(tmp_path, GW_LOG_LEVEL="DEBUG")
    assert stack.procs["rasa"].env["LOG_LEVEL"] == "INFO"
