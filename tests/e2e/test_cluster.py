"""End to end: the cluster of `make run-cluster` (bot/ops/cluster.py), killed under load.

`python -m bot.ops.cluster run` starts as a separate process, exactly as make runs it: HAProxy in
front of two Rasa servers, two action servers and two apps, one notification sender, on a fresh
PostgreSQL database (created here, dropped afterwards) and Redis db 6 (emptied before and after).
The WeChat API is the local fake (tests/fakes/wechat_api.py); WeChat's server is played with
real wechatpy crypto and XML. Processes are killed with SIGKILL through the pid files the
cluster writes (var/run/<name>.pid), and the cluster restarts them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.casework.store import CaseStore
from bot.config import PROJECT_ROOT
from bot.ops.cluster import ClusterPorts
from bot.ops.stack import APP_VENV, latest_model
from tests.e2e.conftest import _free_port
from tests.factories import draft, quiet_work
from tests.fakes.wechat_api import FakeWeChatAPI
from tests.fakes.wechat_server import WeChatServer, fixture

pytestmark = pytest.mark.e2e

PG_ADMIN_URL = os.environ.get("GW_E2E_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("GW_E2E_REDIS_URL", "redis://127.0.0.1:6379/6")
TOKEN = "gw-e2e-cluster-wechat"
APP_ID = "wx-test-app"
SECRET = "test-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
INTERNAL_TOKEN = "e2e-cluster-internal"
RASA_TOKEN = "e2e-cluster-rasa-token"
TEMPLATE_ID = "tpl-status-update"
TICKET_RE = re.compile(r"HB-\d{8}-\d{4}")
START_TIMEOUT_S = 420.0

#: One report per conversation, every field said (as the one-shot test of test_report_flow).
REPORT = [
    "游仙区石马镇的鑫达砖厂每天晚上冒浓烟，呛得人睡不着",
    "没有了",
    "没有",
    "匿名",
    "确认",
]


def _free_range(size: int) -> int:
    """The first of `size` consecutive ports that are free now."""
    for _ in range(50):
        base = _free_port()
        if base + size > 65000:
            continue
        if all(_port_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no free port range")


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


@dataclass
class ClusterEnv:
    proc: subprocess.Popen[bytes]
    var: Path
    ports: ClusterPorts
    database_url: str
    api: FakeWeChatAPI

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.app}"

    def rasa_server(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports.rasa_servers[i - 1]}"

    def pid(self, name: str) -> int:
        return int((self.var / "run" / f"{name}.pid").read_text())

    def kill(self, name: str) -> int:
        """SIGKILL to the process and everything it started (its process group)."""
        pid = self.pid(name)
        os.killpg(pid, signal.SIGKILL)
        return pid

    def wait_restarted(self, name: str, old_pid: int, url: str | None, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.pid(name) != old_pid and (
                    url is None or httpx.get(url, timeout=2).status_code == 200
                ):
                    return
            except (OSError, ValueError, httpx.HTTPError):
                pass
            time.sleep(0.5)
        raise AssertionError(f"{name} was not restarted:\n{self.log(name)}")

    def log(self, name: str, lines: int = 30) -> str:
        path = self.var / "logs" / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def query(self, sql: str, **params: Any) -> list[Any]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()

    def wechat(self, i: int) -> WeChatServer:
        return WeChatServer(
            f"{self.rasa_server(i)}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY
        )


def _wait_up(env: ClusterEnv) -> None:
    urls = [
        f"http://127.0.0.1:{env.ports.balancer_health}/health",
        *(f"http://127.0.0.1:{p}/" for p in env.ports.rasa_servers),
        *(f"http://127.0.0.1:{p}/health" for p in env.ports.action_servers),
        *(f"http://127.0.0.1:{p}/healthz" for p in env.ports.app_servers),
    ]
    deadline = time.monotonic() + START_TIMEOUT_S
    waiting = list(urls)
    while waiting and time.monotonic() < deadline:
        if env.proc.poll() is not None:
            raise RuntimeError(f"the cluster exited:\n{env.log('rasa-1')}")
        for url in list(waiting):
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    waiting.remove(url)
            except httpx.HTTPError:
                pass
        time.sleep(1.0)
    if waiting:
        raise TimeoutError(f"not up in {START_TIMEOUT_S:.0f}s: {waiting}\n{env.log('rasa-1')}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterEnv]:
    if latest_model() is None:
        pytest.fail("no trained model under models/: run `make train` (make test does)")
    name = f"gw_e2e_cluster_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _flush_redis()
    var = tmp_path_factory.mktemp("cluster") / "var"
    base = _free_range(8)
    ports = ClusterPorts.from_base(
        rasa=_free_port(), app=_free_port(), actions=_free_port(), base=base
    )
    with FakeWeChatAPI(APP_ID, SECRET) as api:
        env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "DATABASE_URL": database_url,  # created by the cluster: "created if missing"
            "GW_REDIS_URL": REDIS_URL,
            "GW_INTERNAL_TOKEN": INTERNAL_TOKEN,
            "GW_RASA_TOKEN": RASA_TOKEN,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_SECRET": SECRET,
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_AES_KEY": AES_KEY,
            "WECHAT_API_BASE_URL": api.base_url,
            "WECHAT_TEMPLATE_ID": TEMPLATE_ID,
        }
        env.pop("GW_TRACKER_URL", None)
        argv = [
            str(APP_VENV / "bin" / "python"),
            "-m",
            "bot.ops.cluster",
            "run",
            "--rasa-port",
            str(ports.rasa),
            "--app-port",
            str(ports.app),
            "--actions-port",
            str(ports.actions),
            "--internal-base",
            str(base),
            "--var",
            str(var),
        ]
        out = (var.parent / "cluster.out").open("wb")
        proc = subprocess.Popen(
            argv, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        cluster = ClusterEnv(proc, var, ports, database_url, api)
        try:
            _wait_up(cluster)
            yield cluster
        finally:
            proc.send_signal(signal.SIGTERM)  # what Ctrl-C does: everything stops
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                proc.kill()
            out.close()
            left = list((var / "run").glob("*.pid")) if (var / "run").exists() else []
            _flush_redis()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
            assert not left, f"pid files left after SIGTERM: {left}"


def say(url: str, sender: str, message: str, *, resend: int = 6) -> str:
    """One REST turn; a 5xx or no answer is sent again with the same message_id, as a WeChat
    or app client would (a copy the dead server had saved is answered, not run twice)."""
    last: Exception | None = None
    message_id = uuid.uuid4().hex
    for _ in range(resend):
        try:
            r = httpx.post(
                f"{url}/webhooks/rest/webhook",
                json={"sender": sender, "message": message, "message_id": message_id},
                timeout=60.0,
            )
            if r.status_code < 500:
                r.raise_for_status()
                said = "\n".join(m.get("text", "") for m in r.json())
                if said.strip():
                    return said
                # the bot said nothing (an action call failed while its server died): the
                # citizen says it again, as a new message
                message_id = uuid.uuid4().hex
                last = RuntimeError("empty answer")
                continue
            last = RuntimeError(f"HTTP {r.status_code}")
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{message!r} never answered: {last}")


def _issues_of(cluster: ClusterEnv, senders: list[str]) -> dict[str, list[str]]:
    rows = cluster.query(
        "SELECT reporter_sender_id, ticket FROM issues WHERE reporter_sender_id = ANY(:s)",
        s=senders,
    )
    out: dict[str, list[str]] = {s: [] for s in senders}
    for sender, ticket in rows:
        out[sender].append(ticket)
    return out


def _redis() -> Any:
    import redis

    return redis.Redis.from_url(REDIS_URL, decode_responses=True)


def _user_events(cluster: ClusterEnv, sender: str) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{cluster.rasa_url}/conversations/{sender}/tracker",
        params={"token": RASA_TOKEN},
        timeout=30,
    )
    r.raise_for_status()
    return [e for e in r.json()["events"] if e["event"] == "user"]


def test_turns_alternating_between_the_rasa_servers_file_one_correct_issue(
    cluster: ClusterEnv,
) -> None:
    sender = f"alt-{uuid.uuid4().hex[:8]}"
    replies = [
        say(cluster.rasa_server(1 + i % 2), sender, message) for i, message in enumerate(REPORT)
    ]
    assert "还有什么问题" in replies[0], replies
    assert "石马镇" in replies[3] and "鑫达砖厂" in replies[3] and "匿名" in replies[3], replies
    ticket = TICKET_RE.search(replies[4])
    assert ticket, replies
    rows = cluster.query(
        "SELECT ticket, district, town, polluter, categories FROM issues"
        " WHERE reporter_sender_id = :s",
        s=f"rest:{sender}",
    )
    assert len(rows) == 1, rows
    assert rows[0][0] == ticket.group(0)
    assert (rows[0][1], rows[0][2]) == ("游仙区", "石马镇")
    assert "鑫达砖厂" in rows[0][3] and "大气" in str(rows[0][4])


def test_thirty_conversations_survive_killing_a_rasa_and_an_action_server(
    cluster: ClusterEnv,
) -> None:
    senders = [f"load-{i}-{uuid.uuid4().hex[:6]}" for i in range(30)]
    turns_done = [0]
    lock = threading.Lock()

    transcripts: dict[str, list[str]] = {s: [] for s in senders}

    def converse(sender: str) -> str:
        reply = ""
        for message in REPORT:
            reply = say(cluster.rasa_url, sender, message)
            transcripts[sender].append(f"> {message}\n{reply}")
            with lock:
                turns_done[0] += 1
        if not TICKET_RE.search(reply):
            # the answer to 确认 was lost with its server (the report may be filed, or not yet):
            # the citizen asks, as they would, and confirms if the bot still waits for it
            reply = say(cluster.rasa_url, sender, "我的举报怎么样了")
            transcripts[sender].append(f"> 我的举报怎么样了\n{reply}")
            if not TICKET_RE.search(reply):
                reply = say(cluster.rasa_url, sender, "确认")
                transcripts[sender].append(f"> 确认\n{reply}")
        return reply

    with ThreadPoolExecutor(max_workers=30) as pool:
        futures = [pool.submit(converse, s) for s in senders]
        deadline = time.monotonic() + 120
        while turns_done[0] < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
        killed = {"rasa-1": cluster.kill("rasa-1"), "actions-1": cluster.kill("actions-1")}
        finals = [f.result(timeout=300) for f in futures]

    missing = [s for s, reply in zip(senders, finals, strict=True) if not TICKET_RE.search(reply)]
    assert not missing, "conversations without a ticket:\n" + "\n\n".join(
        "\n".join(transcripts[s]) for s in missing
    )
    filed = _issues_of(cluster, [f"rest:{s}" for s in senders])
    assert all(len(t) == 1 for t in filed.values()), {s: t for s, t in filed.items() if len(t) != 1}
    # the cluster restarted what was killed
    cluster.wait_restarted("rasa-1", killed["rasa-1"], f"{cluster.rasa_server(1)}/", 300)
    cluster.wait_restarted("actions-1", killed["actions-1"], None, 60)


def test_a_wechat_retry_that_reaches_the_other_server_is_answered_once(
    cluster: ClusterEnv,
) -> None:
    openid = f"o-{uuid.uuid4().hex[:20]}"
    xml = fixture("text", user=openid, content="我要举报")
    first = cluster.wechat(1).post_xml(xml, encrypt=True)
    retry = cluster.wechat(2).post_xml(xml, encrypt=True)  # the same MsgId, a new signed URL
    assert first.status_code == retry.status_code == 200
    assert first.text == retry.text == "success"
    assert cluster.api.wait_for(lambda: len(cluster.api.texts_to(openid)) >= 1, 60)
    time.sleep(3.0)  # what a second turn would have sent by now
    texts = cluster.api.texts_to(openid)
    # one turn's replies (it says two things), each once
    assert sum("描述" in t for t in texts) == 1 and len(texts) == len(set(texts)), texts
    users = _user_events(cluster, openid)
    assert len(users) == 1, users


def test_a_wechat_message_whose_server_is_killed_mid_turn_is_answered_once(
    cluster: ClusterEnv,
) -> None:
    """WeChat was answered "success" and will not send it again; the turn is stalled in the
    voice note's download (the fake API is slow) when its Rasa server is killed. The message
    waits in the inbox (connectors/wechat_inbox.py) until the other server takes it over."""
    openid = f"o-{uuid.uuid4().hex[:20]}"
    media = cluster.api.add_media(b"#!AMR\n" + b"\x00voice" * 300, "audio/amr")
    xml = fixture("voice", user=openid, media_id=media, recognition="我要举报")
    msg_id = re.search(r"<MsgId>(\d+)</MsgId>", xml)
    assert msg_id
    inbox = _redis()
    cluster.api.slow("media/get", 30.0)
    try:
        r = cluster.wechat(1).post_xml(xml, encrypt=True)
        assert (r.status_code, r.text) == (200, "success")
        holder: list[dict[str, Any]] = []

        def held() -> bool:
            try:
                holder[:] = inbox.xpending_range("gw:wechat:inbox", "turns", "-", "+", 10)
            except Exception:  # the group is created by the servers' readers
                return False
            return bool(holder)

        assert cluster.api.wait_for(held, 30), "the message never reached a server's turn"
        # the server running the turn (whichever read it): its consumer name ends in its pid
        pid = int(holder[0]["consumer"].rsplit(":", 1)[1])
        name = next(n for n in ("rasa-1", "rasa-2") if cluster.pid(n) == os.getpgid(pid))
        old = cluster.kill(name)
        killed_at = time.monotonic()
    finally:
        cluster.api.reset_faults()
    assert not cluster.api.texts_to(openid), "answered before the kill: not mid-turn"
    assert cluster.api.wait_for(
        lambda: any("描述" in t for t in cluster.api.texts_to(openid)), 90
    ), (
        cluster.log("rasa-1"),
        cluster.log("rasa-2"),
    )
    # taken over after the lease (15 s since its server last renewed it, looked for every 5 s),
    # then the turn itself (download, upload, Rasa): measured 25.6 s on a loaded machine
    answered_after = cluster.api.sent("message/custom/send", openid)[0].at - killed_at
    assert 5.0 < answered_after < 60.0, f"answered {answered_after:.1f} s after the kill"
    time.sleep(3.0)  # what a second run would have sent by now
    texts = cluster.api.texts_to(openid)
    assert sum("描述" in t for t in texts) == 1 and len(texts) == len(set(texts)), texts
    users = _user_events(cluster, openid)
    assert [u.get("message_id") for u in users] == [f"wx-{msg_id.group(1)}"], users
    rows = cluster.query("SELECT count(*) FROM evidence WHERE msg_id = :m", m=msg_id.group(1))
    assert rows[0][0] == 1
    assert inbox.xlen("gw:wechat:inbox") == 0  # acknowledged and deleted
    cluster.wait_restarted(name, old, f"{cluster.rasa_server(int(name[-1]))}/", 300)


def test_a_rest_message_resent_while_its_first_copy_runs_is_run_once(cluster: ClusterEnv) -> None:
    """The first copy's turn waits for its action call: Rasa reaches the action servers through
    the balancer, stopped (SIGSTOP) for a few seconds. The same message_id sent meanwhile straight
    to the other Rasa server waits for the first copy and gets its answer (connectors/leases.py)."""
    sender = f"resend-{uuid.uuid4().hex[:8]}"
    message_id = uuid.uuid4().hex
    body = {"sender": sender, "message": REPORT[0], "message_id": message_id}
    # Rasa's lock of the conversation (endpoints.cluster.yml: key_prefix greenwhistle): its key is
    # in Redis while a turn holds it
    turn_lock = f"greenwhistle:lock:rest:{sender}"
    balancer = cluster.pid("balancer")

    def post(i: int) -> httpx.Response:
        return httpx.post(f"{cluster.rasa_server(i)}/webhooks/rest/webhook", json=body, timeout=90)

    with ThreadPoolExecutor(max_workers=2) as pool:
        os.killpg(balancer, signal.SIGSTOP)
        try:
            first = pool.submit(post, 1)
            assert cluster.api.wait_for(lambda: bool(_redis().exists(turn_lock)), 30)
            time.sleep(0.5)  # the first copy is in its turn, waiting for its action call
            resent = pool.submit(post, 2)
            time.sleep(1.5)
            assert not first.done() and not resent.done()
        finally:
            os.killpg(balancer, signal.SIGCONT)
        one, two = first.result(timeout=120), resent.result(timeout=120)
    assert one.status_code == two.status_code == 200, (one.text, two.text)
    said = [m.get("text") for m in one.json()]
    assert "还有什么问题" in "\n".join(t or "" for t in said), said
    assert [m.get("text") for m in two.json()] == said
    users = _user_events(cluster, f"rest:{sender}")
    assert [u.get("message_id") for u in users] == [f"rest:{sender}:{message_id}"], users


def test_a_sender_killed_mid_delivery_loses_nothing(cluster: ClusterEnv) -> None:
    store = CaseStore.from_url(cluster.database_url)
    try:
        openids = [f"o-{uuid.uuid4().hex[:20]}" for _ in range(8)]
        tickets = []
        for openid in openids:
            issue, _ = store.file(draft(channel="wechat", reporter_sender_id=openid))
            quiet_work(store).change_status(issue.ticket, "accepted", actor="staff:e2e")
            tickets.append(issue.ticket)
    finally:
        store.engine.dispose()
    # never written: outside the 48-hour window, so each goes as a template message, slowly
    cluster.api.slow("message/template/send", 0.6)
    try:

        def delivered() -> list[str]:
            """The citizens each template message went to (one citizen per issue here)."""
            return [c.touser for c in cluster.api.sent("message/template/send")]

        assert cluster.api.wait_for(lambda: len(delivered()) >= 2, 60), cluster.log("sender-1")
        old = cluster.kill("sender-1")  # mid-delivery: the third is on its way
        cluster.wait_restarted("sender-1", old, None, 60)
        assert cluster.api.wait_for(lambda: set(openids) <= set(delivered()), 90), (
            delivered(),
            cluster.log("sender-1"),
        )
        rows = cluster.query(
            "SELECT ticket, state FROM notifications WHERE ticket = ANY(:t)", t=tickets
        )
        assert sorted(rows) == sorted((t, "sent") for t in tickets)
        counts = {o: delivered().count(o) for o in openids}
        # at most the one message WeChat accepted in the window before it was marked sent
        assert sum(counts.values()) <= len(openids) + 1, counts
        assert all(c >= 1 for c in counts.values()), counts
    finally:
        cluster.api.reset_faults()


def test_the_cluster_runs_from_the_command_line_with_pid_files(cluster: ClusterEnv) -> None:
    names = {p.stem for p in (cluster.var / "run").glob("*.pid")}
    assert names == {
        "rasa-1",
        "rasa-2",
        "actions-1",
        "actions-2",
        "app-1",
        "app-2",
        "sender-1",
        "balancer",
    }
    for name in names:
        assert (cluster.var / "logs" / f"{name}.log").exists()
    assert httpx.get(f"{cluster.app_url}/healthz", timeout=10).status_code == 200
    assert sys.executable  # the test process itself is not part of the cluster
