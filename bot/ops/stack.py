"""Starts and stops GreenWhistle's three processes: Rasa server, action server, app.

Used by `make run` (foreground until Ctrl-C), `make shell` (a terminal chat), the end-to-end
tests and the benchmarks, so that all of them start the system the same way.

    python -m bot.ops.stack run            # start everything, print where it is, wait for Ctrl-C
    python -m bot.ops.stack chat           # start everything (unless running) and chat in the terminal

What it prints comes from staff.yml `ops.stack`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from bot import texts
from bot.config import PROJECT_ROOT

logger = logging.getLogger(__name__)

RASA_VENV = PROJECT_ROOT / ".venv-rasa"
APP_VENV = PROJECT_ROOT / ".venv-app"
VAR = PROJECT_ROOT / "var"
MODELS = PROJECT_ROOT / "models"

#: Rasa loads TensorFlow; on a busy 2-core machine that can take a while.
START_TIMEOUT_S = 240.0

#: The WeChat channel's section of the runtime credentials file (values from the environment).
WECHAT_CREDENTIALS = """
# Added by bot.ops.stack because WECHAT_TOKEN is set (docs/wechat.md).
connectors.wechat.WeChatInput:
  app_id: ${WECHAT_APP_ID}
  secret: ${WECHAT_SECRET}
  token: ${WECHAT_TOKEN}
  aes_key: ${WECHAT_AES_KEY}
  api_base_url: ${WECHAT_API_BASE_URL}
  template_id: ${WECHAT_TEMPLATE_ID}
"""
WECHAT_ENV_DEFAULTS = {
    "WECHAT_APP_ID": "",
    "WECHAT_SECRET": "",
    "WECHAT_AES_KEY": "",
    "WECHAT_API_BASE_URL": "https://api.weixin.qq.com/cgi-bin/",
    "WECHAT_TEMPLATE_ID": "",
}


def credentials_file(env: dict[str, str], var_dir: Path) -> Path:
    """credentials.yml, plus the WeChat channel when WECHAT_TOKEN is set (written under var/).

    Rasa substitutes ${VAR} in credentials but fails on an unset one, so the channel cannot sit
    in credentials.yml for deployments without WeChat.
    """
    base = PROJECT_ROOT / "credentials.yml"
    if not env.get("WECHAT_TOKEN"):
        return base
    for key, default in WECHAT_ENV_DEFAULTS.items():
        env.setdefault(key, default)
    runtime = var_dir / "credentials.runtime.yml"
    runtime.write_text(base.read_text(encoding="utf-8") + WECHAT_CREDENTIALS, encoding="utf-8")
    return runtime


@dataclass
class Ports:
    rasa: int = 5005
    actions: int = 5055
    app: int = 8000


@dataclass
class Proc:
    name: str
    argv: list[str]
    health_url: str
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open while the process runs
        self.popen = subprocess.Popen(
            self.argv,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen is not None and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        if self._log:
            self._log.close()
            self._log = None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def internal_token(var_dir: Path) -> str:
    """The internal token stored under `var_dir`, created on first use."""
    path = var_dir / "internal_token"
    if path.is_file() and (token := path.read_text().strip()):
        return token
    token = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(token)
    return token


def latest_model(models_dir: Path = MODELS) -> Path | None:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


@dataclass
class Stack:
    """The three processes, configured for one database and one set of ports."""

    ports: Ports = field(default_factory=Ports)
    database_url: str | None = None
    tracker_url: str | None = None
    var_dir: Path = VAR
    model: Path | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    procs: dict[str, Proc] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = (
            self.database_url
            or os.environ.get("DATABASE_URL")
            or (f"sqlite:///{self.var_dir / 'greenwhistle.db'}")
        )
        self.tracker_url = (
            self.tracker_url
            or os.environ.get("GW_TRACKER_URL")
            or (f"sqlite:///{self.var_dir / 'rasa_tracker.db'}")
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "GW_TRACKER_URL": self.tracker_url,
                "GW_ACTION_ENDPOINT": f"http://{self.host}:{self.ports.actions}/webhook",
                "GW_RASA_URL": f"http://{self.host}:{self.ports.rasa}",
                "GW_APP_URL": f"http://{self.host}:{self.ports.app}",
                "PYTHONPATH": str(PROJECT_ROOT),
                "PYTHONUNBUFFERED": "1",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                "RASA_TELEMETRY_ENABLED": "false",
                "LOG_LEVEL_LIBRARIES": "ERROR",
            }
        )
        env.update(self.extra_env)
        # The channels and the app's /internal API share this secret. Unless set, it is made once
        # and kept in <var>/internal_token (mode 600), where CLIs in another terminal find it.
        if not env.get("GW_INTERNAL_TOKEN"):
            env["GW_INTERNAL_TOKEN"] = internal_token(self.var_dir)
        env.setdefault("GW_EVIDENCE_DIR", str(self.var_dir / "evidence"))
        credentials = credentials_file(env, self.var_dir)
        model = self.model or latest_model()
        logs = self.var_dir / "logs"
        rasa_argv = [
            str(RASA_VENV / "bin" / "rasa"),
            "run",
            "--model",
            str(model or MODELS),
            "--enable-api",
            "--interface",
            self.host,
            "--port",
            str(self.ports.rasa),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            str(credentials),
        ]
        if token := env.get("GW_RASA_TOKEN"):
            rasa_argv += ["--auth-token", token]
        self.procs = {
            "actions": Proc(
                "actions",
                [
                    str(APP_VENV / "bin" / "python"),
                    "-m",
                    "rasa_sdk",
                    "--actions",
                    "actions",
                    "--port",
                    str(self.ports.actions),
                ],
                f"http://{self.host}:{self.ports.actions}/health",
                env,
                logs / "actions.log",
            ),
            "app": Proc(
                "app",
                [
                    str(APP_VENV / "bin" / "python"),
                    "-m",
                    "uvicorn",
                    "bot.web.app:create_app",
                    "--factory",
                    "--host",
                    self.host,
                    "--port",
                    str(self.ports.app),
                    "--log-level",
                    "warning",
                ],
                f"http://{self.host}:{self.ports.app}/healthz",
                env,
                logs / "app.log",
            ),
            "rasa": Proc(
                "rasa", rasa_argv, f"http://{self.host}:{self.ports.rasa}/", env, logs / "rasa.log"
            ),
        }

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.ports.rasa}"

    @property
    def app_url(self) -> str:
        return f"http://{self.host}:{self.ports.app}"

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.ports.actions}"

    def migrate(self) -> None:
        from bot.ops.migrate import upgrade

        assert self.database_url
        upgrade(self.database_url)

    def start(self, *names: str, timeout: float = START_TIMEOUT_S) -> None:
        """Starts the named processes (default all) and waits until each answers its health URL."""
        names = names or tuple(self.procs)
        for name in names:
            self.procs[name].start()
        for name in names:
            self.wait_ready(name, timeout)

    def wait_ready(self, name: str, timeout: float = START_TIMEOUT_S) -> None:
        proc = self.procs[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not proc.running:
                raise RuntimeError(f"{name} exited during start-up:\n{proc.tail()}")
            try:
                if httpx.get(proc.health_url, timeout=2.0).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(
            f"{name} did not answer {proc.health_url} in {timeout:.0f}s:\n{proc.tail()}"
        )

    def stop(self, *names: str) -> None:
        for name in names or tuple(reversed(list(self.procs))):
            self.procs[name].stop()

    def restart(self, name: str) -> None:
        self.procs[name].stop()
        self.start(name)

    def pids(self) -> dict[str, int]:
        return {n: p.popen.pid for n, p in self.procs.items() if p.popen and p.running}


@contextlib.contextmanager
def running_stack(**kwargs: object) -> Iterator[Stack]:
    stack = Stack(**kwargs)  # type: ignore[arg-type]
    stack.migrate()
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _print_banner(stack: Stack) -> None:
    print(
        texts.text(
            "staff",
            "ops.stack.banner",
            rasa_url=stack.rasa_url,
            actions_url=stack.actions_url,
            app_url=stack.app_url,
            database_url=stack.database_url,
            logs=stack.var_dir / "logs",
        )
    )
    if stack.procs["rasa"].env.get("WECHAT_TOKEN"):
        print(texts.text("staff", "ops.stack.banner_wechat", rasa_url=stack.rasa_url))
    print(texts.text("staff", "ops.stack.banner_end"), flush=True)


def chat(rasa_url: str, sender: str | None = None) -> None:
    """A terminal chat over the REST channel."""
    sender = sender or f"shell-{uuid.uuid4().hex[:8]}"
    print(texts.text("staff", "ops.stack.chat.intro"))
    quit_words = {"/quit", "/exit", texts.text("staff", "ops.stack.chat.quit")}
    with httpx.Client(timeout=60.0) as client:
        while True:
            try:
                text = input(texts.text("staff", "ops.stack.chat.prompt")).strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return
            if text in quit_words:
                return
            if not text:
                continue
            try:
                replies = client.post(
                    f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
                ).json()
            except httpx.HTTPError as exc:
                print(texts.text("staff", "ops.stack.chat.unreachable", error=exc))
                continue
            for reply in replies:
                if reply.get("text"):
                    print(texts.text("staff", "ops.stack.chat.bot", said=reply["text"]))
                for i, button in enumerate(reply.get("buttons") or [], 1):
                    print(
                        texts.text(
                            "staff", "ops.stack.chat.button", number=i, title=button.get("title")
                        )
                    )


def _serve(stack: Stack, then_chat: bool) -> int:
    stop = {"now": False}

    def _on_signal(signum: int, _frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _on_signal)
    stack.migrate()
    print(texts.text("staff", "ops.stack.starting"), flush=True)
    try:
        stack.start()
        _print_banner(stack)
        if then_chat:
            chat(stack.rasa_url)
            return 0
        while not stop["now"]:
            for name, proc in stack.procs.items():
                if not proc.running:
                    print(
                        texts.text("staff", "ops.stack.restarting", name=name, log=proc.tail(15)),
                        flush=True,
                    )
                    proc.stop()
                    stack.start(name)
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        print(texts.text("staff", "ops.stack.stopping"), flush=True)
        stack.stop()
        print(texts.text("staff", "ops.stack.stopped"), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.ops.stack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["run", "chat"])
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument("--app-port", type=int, default=8000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    ports = Ports(args.rasa_port, args.actions_port, args.app_port)
    if args.command == "chat":
        url = f"http://127.0.0.1:{ports.rasa}"
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                chat(url)  # the stack is already running (make run in another terminal)
                return 0
        return _serve(Stack(ports=ports), then_chat=True)
    if latest_model() is None:
        print(texts.text("staff", "ops.stack.no_model"), file=sys.stderr)
        return 1
    return _serve(Stack(ports=ports), then_chat=False)


if __name__ == "__main__":
    sys.exit(main())
