"""Issue 14: private APIs stay private, the supervisor survives a dead child, var/ is private.

Each test first does what an attacker on the same host (loopback only) would do against the real
stack, then checks that the operator's own use still works:

- Rasa's HTTP API (`GET /conversations/<sender>/tracker`) reads whole chats, phones included: it
  needs the token now;
- the action server ran `action_check_status` for anyone who POSTed a made-up tracker with a
  citizen's sender id, and listened on every address: it needs the shared secret Rasa sends as a
  header, and listens on 127.0.0.1 only;
- when the action server's main process died, its Sanic worker kept the port and every restart
  failed with "Address already in use";
- the ledger, the tracker, the logs and the tokens under var/ were world-readable.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import time
from pathlib import Path

import httpx
import psutil
import pytest

from bot.ops.stack import ACTION_TOKEN_HEADER, Ports, Stack
from tests.e2e.conftest import Chat, _free_port, rasa_api

pytestmark = pytest.mark.e2e

PHONE = "13812345678"
TICKET_RE = re.compile(r"HB-\d{8}-\d{4}")


@pytest.fixture(scope="module")
def citizen(stack: Stack) -> tuple[Chat, str]:
    """A citizen who filed a report with a phone number: (their chat, the ticket)."""
    chat = Chat(stack)
    for line in (
        "游仙区石马镇的鑫达砖厂每天晚上冒浓烟，呛得人睡不着",
        "没有了",
        "没有",
        PHONE,
    ):
        chat.say(line)
    filed = chat.say("确认")
    match = TICKET_RE.search(filed)
    assert match, chat.transcript()
    return chat, match.group(0)


def _conversation_ids(chat: Chat) -> list[str]:
    """The ids Rasa may keep this chat under: the sender, or the REST channel's own namespace."""
    return [chat.sender, f"rest:{chat.sender}"]


def test_rasa_http_api_refuses_a_reader_without_the_token(
    stack: Stack, citizen: tuple[Chat, str]
) -> None:
    chat, _ = citizen
    for conversation in _conversation_ids(chat):
        url = f"{stack.rasa_url}/conversations/{conversation}/tracker"
        for params in ({}, {"token": ""}, {"token": "guessed"}):
            r = httpx.get(url, params=params, timeout=30)
            assert r.status_code == 401, (conversation, params, r.status_code)
            assert PHONE not in r.text
    # The rest of the API is closed the same way (the model's NLU, say).
    assert httpx.post(f"{stack.rasa_url}/model/parse", json={"text": "你好"}).status_code == 401
    # The operator's tools hold the token and still read the chat.
    with rasa_api(stack) as api:
        assert api.post("/model/parse", json={"text": "你好"}).status_code == 200
        read = [api.get(f"/conversations/{c}/tracker") for c in _conversation_ids(chat)]
    assert all(r.status_code == 200 for r in read)
    assert any(PHONE in r.text for r in read), "the token opens the citizen's real chat"
    # The token is on no command line: `ps` shows every argv to every local user.
    rasa = psutil.Process(stack.pids()["rasa"])
    assert all(stack.rasa_token not in part for part in rasa.cmdline())


def _action_call(sender: str) -> dict[str, object]:
    """What Rasa sends the action server; here made up by a stranger who knows a sender id."""
    return {
        "next_action": "action_check_status",
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {"text": "我的举报怎么样了", "intent": {"name": "ask_status"}},
            "latest_event_time": time.time(),
            "followup_action": None,
            "paused": False,
            "events": [],
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
    }


def test_action_server_refuses_a_caller_without_the_shared_secret(
    stack: Stack, citizen: tuple[Chat, str]
) -> None:
    chat, ticket = citizen
    webhook = f"{stack.actions_url}/webhook"
    wrong = ({}, {ACTION_TOKEN_HEADER: "Bearer guessed"}, {ACTION_TOKEN_HEADER: stack.action_token})
    for conversation in _conversation_ids(chat):
        for headers in wrong:
            r = httpx.post(webhook, json=_action_call(conversation), headers=headers, timeout=30)
            assert r.status_code == 401, (headers, r.status_code, r.text)
            assert ticket not in r.text
            assert r.json()["error"], "a JSON reason, not an empty refusal"
    # /actions lists what the server can do: closed as well; /health stays open for probes.
    assert httpx.get(f"{stack.actions_url}/actions", timeout=10).status_code == 401
    assert httpx.get(f"{stack.actions_url}/health", timeout=10).status_code == 200

    # Rasa sends the secret (endpoints.yml headers), so the citizen's own chat still works …
    assert ticket in chat.say("我的举报怎么样了"), chat.transcript()
    # … and so does a caller holding it: the refusals above were the secret, not the payload.
    good = {ACTION_TOKEN_HEADER: f"Bearer {stack.action_token}"}
    answers = [
        httpx.post(webhook, json=_action_call(c), headers=good, timeout=30)
        for c in _conversation_ids(chat)
    ]
    assert all(r.status_code == 200 for r in answers)
    assert any(ticket in r.text for r in answers)


def test_action_server_listens_on_loopback_only(stack: Stack) -> None:
    """127.0.0.2 is this host too; a server bound to 0.0.0.0 would answer there."""
    with socket.socket() as s:
        s.settimeout(5)
        refused = s.connect_ex(("127.0.0.2", stack.ports.actions))
    assert refused != 0, "the action server answers on an address other than 127.0.0.1"


def _group_alive(pgid: int) -> list[int]:
    return [p.pid for p in psutil.process_iter(["pid"]) if _pgid(p.pid) == pgid]


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def test_supervisor_restarts_the_action_server_after_its_main_process_died(
    tmp_path: Path,
) -> None:
    stack = Stack(ports=Ports(_free_port(), _free_port(), _free_port()), var_dir=tmp_path)
    try:
        stack.start("actions", timeout=120)
        old = stack.pids()["actions"]
        workers = psutil.Process(old).children(recursive=True)
        assert workers, "rasa-sdk serves from a Sanic worker process"
        os.kill(old, signal.SIGKILL)  # the main process dies; its worker is orphaned
        deadline = time.monotonic() + 10
        while stack.procs["actions"].running and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stack.supervise() == ["actions"]
        new = stack.pids()["actions"]
        assert new != old
        assert _group_alive(old) == [], "the old worker still runs and holds the port"
        r = httpx.get(f"{stack.actions_url}/health", timeout=10)
        assert r.status_code == 200
        assert stack.supervise() == [], "a healthy child is left alone"
    finally:
        stack.stop()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_var_holds_nothing_other_users_can_read(stack: Stack, citizen: tuple[Chat, str]) -> None:
    var = stack.var_dir
    seen = []
    for path in [var, *var.rglob("*")]:
        if path.is_symlink():
            continue
        mode = _mode(path)
        seen.append(path.relative_to(var).as_posix())
        if path.is_dir():
            assert mode == 0o700, f"{path}: {oct(mode)}"
        else:
            assert mode & 0o077 == 0, f"{path}: {oct(mode)}"
    for expected in (
        "greenwhistle.db",
        "greenwhistle.db-wal",
        "rasa_tracker.db",
        "logs",
        "logs/rasa.log",
        "logs/actions.log",
        "logs/app.log",
        "internal_token",
        "rasa_token",
        "action_token",
    ):
        assert expected in seen, (expected, sorted(seen))
