"""Starts and stops GreenWhistle's three processes: Rasa server, action server, app.

Used by `make run` (foreground until Ctrl-C), `make shell` (a terminal chat), the end-to-end
tests and the benchmarks, so that all of them start the system the same way.

    python -m bot.ops.stack run            # start everything, print where it is, wait for Ctrl-C
    python -m bot.ops.stack chat           # start everything (unless running) and chat in the terminal

What it prints comes from staff.yml `ops.stack`.

Trust between the processes (docs/security.md): every process listens on 127.0.0.1; Rasa's HTTP API
needs the Rasa token (`GW_RASA_TOKEN`, else made once in var/rasa_token); the action server needs
the action token (`GW_ACTION_TOKEN`, else var/action_token), which Rasa sends as a header
(endpoints.yml); channels and the app share the internal token (var/internal_token). Tokens
travel in the environment, never on a command line (`ps` shows those to every local user).
Everything under var/ is created 0600 (files) / 0700 (folders): the children run with umask 077.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot import texts
from bot.config import PROJECT_ROOT
from bot.ops.chat import chat
from bot.ops.processes import (
    Proc,
    private_dir,
    private_file,
    stored_token,
    tighten,
)

logger = logging.getLogger(__name__)

RASA_VENV = PROJECT_ROOT / ".venv-rasa"
APP_VENV = PROJECT_ROOT / ".venv-app"
VAR = PROJECT_ROOT / "var"
MODELS = PROJECT_ROOT / "models"

#: Rasa loads TensorFlow; on a busy 2-core machine that can take a while.
START_TIMEOUT_S = 240.0
#: How Rasa authenticates to the action server (endpoints.yml `action_endpoint.headers`, which
#: must say the same) and how bot.ops.action_server checks it.
ACTION_TOKEN_HEADER = "Authorization"
ACTION_TOKEN_SCHEME = "Bearer"

#: Starts `rasa` with `--auth-token` taken from the environment, so that the token is on no
#: command line (the console script `rasa` is `rasa.__main__.main` with sys.argv; see
#: .venv-rasa/bin/rasa). `python -c CODE run …` puts `run …` in sys.argv[1:].
RASA_LAUNCHER = (
    "import os, sys\n"
    "from rasa.__main__ import main\n"
    "sys.argv = ['rasa', *sys.argv[1:], '--auth-token=' + os.environ['GW_RASA_TOKEN']]\n"
    "sys.exit(main())\n"
)

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
    runtime = private_file(var_dir / "credentials.runtime.yml")
    runtime.write_text(base.read_text(encoding="utf-8") + WECHAT_CREDENTIALS, encoding="utf-8")
    return runtime


@dataclass
class Ports:
    rasa: int = 5005
    actions: int = 5055
    app: int = 8000


def internal_token(var_dir: Path) -> str:
    """The internal token stored under `var_dir`, created on first use."""
    return stored_token(var_dir, "internal_token")


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (sqlite:////abs or sqlite:///rel), None for other databases."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or ":memory:" in url:
        return None
    path = url[len(prefix) :].split("?", 1)[0]
    return Path(path) if Path(path).is_absolute() else PROJECT_ROOT / path


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def library_log_level(env: Mapping[str, str]) -> str:
    """LOG_LEVEL for Rasa and rasa-sdk: their DEBUG lines carry what citizens typed (messages,
    slots, whole trackers), so they log at DEBUG only with GW_LOG_MESSAGE_TEXT on."""
    level = (env.get("GW_LOG_LEVEL") or "INFO").strip().upper()
    if level == "DEBUG" and not _truthy(env.get("GW_LOG_MESSAGE_TEXT")):
        return "INFO"
    return level


def latest_model(models_dir: Path = MODELS) -> Path | None:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


@dataclass
class Stack:
    """The four processes (Rasa server, action server, app, notification sender), configured for
    one database and one set of ports. bot.ops.cluster.Cluster runs several of each."""

    ports: Ports = field(default_factory=Ports)
    database_url: str | None = None
    tracker_url: str | None = None
    var_dir: Path = VAR
    model: Path | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    procs: dict[str, Proc] = field(default_factory=dict)
    evidence_dir: Path = field(init=False)
    #: The environment every child starts from (each gets only the secrets it needs).
    env: dict[str, str] = field(init=False)
    credentials: Path = field(init=False)
    model_path: Path = field(init=False)

    def __post_init__(self) -> None:
        private_dir(self.var_dir)
        tighten(self.var_dir)
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
        # Three shared secrets; each one unless set is made once and kept in <var>/<name> (mode
        # 600), where CLIs in another terminal find it. The internal token: the channels and the
        # app's /internal API. The Rasa token: Rasa's HTTP API (--auth-token). The action token:
        # Rasa → action server (endpoints.yml headers).
        for variable, name in (
            ("GW_INTERNAL_TOKEN", "internal_token"),
            ("GW_RASA_TOKEN", "rasa_token"),
            ("GW_ACTION_TOKEN", "action_token"),
        ):
            if not env.get(variable):
                env[variable] = stored_token(self.var_dir, name)
        env.setdefault("GW_EVIDENCE_DIR", str(self.var_dir / "evidence"))
        self.evidence_dir = Path(env["GW_EVIDENCE_DIR"])
        env["LOG_LEVEL"] = library_log_level(env)
        self.env = env
        self.credentials = credentials_file(env, self.var_dir)
        self.model_path = self.model or latest_model() or MODELS
        self.procs = self.build_procs()

    # -- the processes: one of each here; bot.ops.cluster builds several from the same parts ---
    @property
    def logs(self) -> Path:
        return self.var_dir / "logs"

    @property
    def pid_dir(self) -> Path:
        return self.var_dir / "run"

    def build_procs(self) -> dict[str, Proc]:
        return {
            "actions": self.actions_proc("actions", self.ports.actions),
            "app": self.app_proc("app", self.ports.app),
            "rasa": self.rasa_proc("rasa", self.ports.rasa),
            "sender": self.sender_proc("sender"),
        }

    def actions_env(self) -> dict[str, str]:
        """Only Rasa needs the Rasa token."""
        return {k: v for k, v in self.env.items() if k != "GW_RASA_TOKEN"}

    def app_env(self) -> dict[str, str]:
        """The app (and the sender) need neither token of the chat side."""
        return {k: v for k, v in self.env.items() if k not in ("GW_RASA_TOKEN", "GW_ACTION_TOKEN")}

    def _proc(self, name: str, argv: list[str], health_url: str, env: dict[str, str]) -> Proc:
        return Proc(name, argv, health_url, env, self.logs / f"{name}.log", pid_dir=self.pid_dir)

    def actions_proc(self, name: str, port: int) -> Proc:
        argv = [
            str(APP_VENV / "bin" / "python"),
            "-m",
            "bot.ops.action_server",
            "--interface",
            self.host,
            "--port",
            str(port),
        ]
        return self._proc(name, argv, f"http://{self.host}:{port}/health", self.actions_env())

    def app_proc(self, name: str, port: int) -> Proc:
        argv = [
            str(APP_VENV / "bin" / "python"),
            "-m",
            "uvicorn",
            "bot.web.app:create_app",
            "--factory",
            "--host",
            self.host,
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        return self._proc(name, argv, f"http://{self.host}:{port}/healthz", self.app_env())

    def rasa_proc(
        self,
        name: str,
        port: int,
        endpoints: str = "endpoints.yml",
        extra_env: Mapping[str, str] | None = None,
    ) -> Proc:
        argv = [
            str(RASA_VENV / "bin" / "python"),
            "-c",
            RASA_LAUNCHER,
            "run",
            "--model",
            str(self.model_path),
            "--enable-api",
            "--interface",
            self.host,
            "--port",
            str(port),
            "--endpoints",
            endpoints,
            "--credentials",
            str(self.credentials),
        ]
        env = {**self.env, **(extra_env or {})}
        return self._proc(name, argv, f"http://{self.host}:{port}/", env)

    def sender_proc(self, name: str) -> Proc:
        """The outbox sender (bot.casework.sender): no port, so no health URL."""
        argv = [str(APP_VENV / "bin" / "python"), "-m", "bot.casework.sender"]
        return self._proc(name, argv, "", self.app_env())

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.ports.rasa}"

    @property
    def rasa_token(self) -> str:
        """The token of Rasa's HTTP API (`?token=…`), for the operator's tools and tests."""
        return self.env["GW_RASA_TOKEN"]

    @property
    def action_token(self) -> str:
        """The secret the action server wants in `Authorization: Bearer …`."""
        return self.env["GW_ACTION_TOKEN"]

    @property
    def internal_token(self) -> str:
        """The channels' and the app's internal token (X-GW-Token)."""
        return self.env["GW_INTERNAL_TOKEN"]

    @property
    def app_url(self) -> str:
        return f"http://{self.host}:{self.ports.app}"

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.ports.actions}"

    def migrate(self) -> None:
        from bot.ops.migrate import upgrade

        assert self.database_url
        self._private_databases()
        upgrade(self.database_url)

    def _private_databases(self) -> None:
        """Creates the SQLite files 0600 before anything opens them (their -wal and -shm files
        take the mode of the database file)."""
        for url in (self.database_url, self.tracker_url):
            path = _sqlite_path(url or "")
            if path is not None and not path.exists():
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                private_file(path)

    def start(self, *names: str, timeout: float = START_TIMEOUT_S) -> None:
        """Starts the named processes (default all) and waits until each answers its health URL."""
        names = names or tuple(self.procs)
        self._private_databases()
        self.evidence_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in names:
            self.procs[name].start()
        for name in names:
            self.wait_ready(name, timeout)

    def wait_ready(self, name: str, timeout: float = START_TIMEOUT_S) -> None:
        proc = self.procs[name]
        deadline = time.monotonic() + timeout
        if not proc.health_url:  # no port (the sender): alive for a moment is ready
            time.sleep(1.0)
            if not proc.running:
                raise RuntimeError(f"{name} exited during start-up:\n{proc.tail()}")
            return
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

    def supervise(self, on_restart: Callable[[str, Proc], None] | None = None) -> list[str]:
        """Restarts every child that has died (its whole process group first); their names."""
        restarted = []
        for name, proc in self.procs.items():
            if proc.popen is None or proc.running:
                continue
            if on_restart is not None:
                on_restart(name, proc)
            self.restart(name)
            restarted.append(name)
        return restarted

    def banner_lines(self) -> str:
        """More lines for the start-up banner (the cluster lists its processes)."""
        return ""

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
    extra = stack.banner_lines()
    if extra:
        print(extra)
    if stack.env.get("WECHAT_TOKEN"):
        print(texts.text("staff", "ops.stack.banner_wechat", rasa_url=stack.rasa_url))
    print(texts.text("staff", "ops.stack.banner_end"), flush=True)


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
            stack.supervise(
                lambda name, proc: print(
                    texts.text("staff", "ops.stack.restarting", name=name, log=proc.tail(15)),
                    flush=True,
                )
            )
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
