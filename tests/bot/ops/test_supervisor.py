"""The supervisor (bot.ops.stack, bot.ops.processes) restarts a dead child together with everything it started.

The children here are real processes shaped like rasa-sdk under Sanic: a main process that starts
a worker (a grandchild of the supervisor) which holds the port. Before the fix, the supervisor
saw the dead main process, "stopped" it (a no-op: it was dead already) and started a new one,
whose worker could not bind the port the orphaned worker still held.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from bot.ops.processes import Proc, process_group
from bot.ops.stack import Ports, Stack

#: The worker: answers GET / with its pid on the port; ignores SIGTERM when told to.
WORKER = r"""
import http.server, os, signal, sys
if sys.argv[2] == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = str(os.getpid()).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
try:
    server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
except OSError as exc:
    print("worker:", exc, flush=True); sys.exit(1)
server.serve_forever()
"""

#: The main process: starts the worker, then waits (as Sanic's worker manager does).
MAIN = r"""
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2], sys.argv[3]])
while True:
    time.sleep(1)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stack(tmp_path: Path, mode: str = "plain") -> Stack:
    stack = Stack(ports=Ports(_free_port(), _free_port(), _free_port()), var_dir=tmp_path)
    port = _free_port()
    stack.procs = {
        "svc": Proc(
            "svc",
            [sys.executable, "-c", MAIN, WORKER, str(port), mode],
            f"http://127.0.0.1:{port}/",
            dict(os.environ),
            tmp_path / "logs" / "svc.log",
        )
    }
    return stack


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    s = _stack(tmp_path)
    yield s
    s.stop()


def _serving_pid(stack: Stack) -> int:
    return int(httpx.get(stack.procs["svc"].health_url, timeout=5).text)


def _wait_dead(proc: Proc) -> None:
    deadline = time.monotonic() + 10
    while proc.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not proc.running


def test_a_dead_main_process_is_restarted_with_its_orphaned_worker_gone(stack: Stack) -> None:
    stack.start("svc", timeout=30)
    proc = stack.procs["svc"]
    assert proc.popen is not None
    old_main = proc.popen.pid
    old_worker = _serving_pid(stack)
    assert old_worker != old_main and old_worker in [p.pid for p in proc.group()]

    os.kill(old_main, signal.SIGKILL)
    _wait_dead(proc)
    assert psutil.pid_exists(old_worker), "the worker outlives its main process (the fault)"

    assert stack.supervise() == ["svc"]
    assert not psutil.pid_exists(old_worker) or psutil.Process(old_worker).status() == "zombie"
    assert process_group(old_main) == []
    new_worker = _serving_pid(stack)
    assert new_worker != old_worker
    assert new_worker in [p.pid for p in stack.procs["svc"].group()]
    assert stack.supervise() == [], "a healthy child is left alone"


def test_stop_kills_a_group_that_ignores_sigterm_after_the_grace_period(tmp_path: Path) -> None:
    stack = _stack(tmp_path, mode="stubborn")
    proc = stack.procs["svc"]
    try:
        stack.start("svc", timeout=30)
        worker = _serving_pid(stack)
        started = time.monotonic()
        proc.stop(grace=1.0)
        assert 1.0 <= time.monotonic() - started < 10
        assert proc.group() == []
        assert not psutil.pid_exists(worker) or psutil.Process(worker).status() == "zombie"
    finally:
        stack.stop()


def test_stop_leaves_processes_outside_the_group_alone(stack: Stack) -> None:
    import subprocess

    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stack.start("svc", timeout=30)
        stack.stop()
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_children_run_in_their_own_session_with_umask_077(stack: Stack, tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    stack.procs["svc"].argv = [
        sys.executable,
        "-c",
        "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getsid(0)));"
        " os.mkdir(sys.argv[1] + '.d'); time.sleep(60)",
        str(probe),
    ]
    proc = stack.procs["svc"]
    proc.start()
    deadline = time.monotonic() + 10
    while not (probe.exists() and probe.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.popen is not None and int(probe.read_text()) == proc.popen.pid
    assert probe.stat().st_mode & 0o777 == 0o600
    assert Path(f"{probe}.d").stat().st_mode & 0o777 == 0o700
