"""Starts on this one machine exactly what a multi-machine deployment runs (`make run-cluster`).

    python -m bot.ops.cluster run      # start everything, print where it is, wait for Ctrl-C

Processes (each logs to var/logs/<name>.log and keeps its pid in var/run/<name>.pid):

    balancer               HAProxy (Debian's package): 127.0.0.1:5005 → rasa-1/2,
                           127.0.0.1:8000 → app-1/2, 127.0.0.1:5055 → actions-1/2 (Rasa's
                           action endpoint), health at 127.0.0.1:8404/health
    rasa-1, rasa-2         Rasa servers on 5011, 5012 (endpoints.cluster.yml: SQL tracker store
                           on PostgreSQL, Redis lock store)
    actions-1, actions-2   action servers on 5061, 5062
    app-1, app-2           the app (Open311, console) on 8011, 8012
    sender-1               the notification sender (bot.casework.sender), no port

Shared: PostgreSQL (the ledger and Rasa's tracker, database `greenwhistle_cluster` on
127.0.0.1:5432, created if missing; DATABASE_URL / GW_TRACKER_URL override) and Redis (Rasa's
lock store, the WeChat channel's state and inbox, the channels' leases; GW_REDIS_URL, default
redis://127.0.0.1:6379/0). Nothing else is shared, so the same process list runs across
machines (docs/deployment.md). A process that dies is restarted (without waiting for it: the
balancer's health checks send it traffic once it answers); Ctrl-C or SIGTERM stops everything.
This is Stack (bot/ops/stack.py) with several of each process; `make run` stays the
single-machine SQLite default.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot import texts
from bot.ops.processes import Proc, private_file
from bot.ops.stack import RASA_VENV, VAR, Ports, Stack, _serve, latest_model

logger = logging.getLogger(__name__)

DEFAULT_DATABASE = "greenwhistle_cluster"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
#: Rasa's conversation lock lifetime (TICKET_LOCK_LIFETIME, Rasa's default 60 s): a Rasa server
#: killed while holding a conversation's lock stalls that conversation this long at most. A turn
#: must finish within it (under load a turn takes well under 2 s here; docs/deployment.md).
DEFAULT_LOCK_LIFETIME_S = 10
#: The endpoints file of the cluster's Rasa servers.
ENDPOINTS = "endpoints.cluster.yml"
#: Restart a dead process at most this often (a crash loop must not spin).
RESTART_BACKOFF_S = 5.0
_DB_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass(frozen=True)
class ClusterPorts:
    """Public entries (the balancer) and each instance's internal port."""

    rasa: int = 5005
    app: int = 8000
    actions: int = 5055
    balancer_health: int = 8404
    rasa_servers: tuple[int, ...] = (5011, 5012)
    action_servers: tuple[int, ...] = (5061, 5062)
    app_servers: tuple[int, ...] = (8011, 8012)

    @classmethod
    def from_base(
        cls, *, rasa: int, app: int, actions: int, base: int, instances: int = 2
    ) -> ClusterPorts:
        """Internal ports base, base+1, … (tests pick a free range)."""
        ports = iter(range(base, base + 1 + 3 * instances))
        return cls(
            rasa=rasa,
            app=app,
            actions=actions,
            balancer_health=next(ports),
            rasa_servers=tuple(next(ports) for _ in range(instances)),
            action_servers=tuple(next(ports) for _ in range(instances)),
            app_servers=tuple(next(ports) for _ in range(instances)),
        )


def default_database_urls(env: dict[str, str] | os._Environ[str]) -> tuple[str, str]:
    """(ledger URL, tracker URL): DATABASE_URL and GW_TRACKER_URL, else the local PostgreSQL's
    `greenwhistle_cluster` (the app speaks psycopg 3, Rasa psycopg2: one database, two URLs)."""
    user = env.get("PGUSER") or getpass.getuser()
    ledger = (
        env.get("DATABASE_URL") or f"postgresql+psycopg://{user}@127.0.0.1:5432/{DEFAULT_DATABASE}"
    )
    tracker = env.get("GW_TRACKER_URL") or re.sub(r"^postgresql\+\w+://", "postgresql://", ledger)
    return ledger, tracker


def ensure_database(url: str) -> bool:
    """Creates the PostgreSQL database of `url` if it is missing; True when it was created."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return False
    name = parsed.database
    if not _DB_NAME_RE.match(name):
        raise ValueError(f"database name {name!r}: letters, digits and _ only")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if exists:
                return False
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            logger.info("created database %s", name)
            return True
    finally:
        admin.dispose()


def redis_parts(url: str) -> dict[str, str]:
    """Host, port and db of a redis:// URL, as Rasa's RedisLockStore takes them."""
    parts = urlsplit(url)
    db = (parts.path or "/0").lstrip("/") or "0"
    return {
        "GW_REDIS_HOST": parts.hostname or "127.0.0.1",
        "GW_REDIS_PORT": str(parts.port or 6379),
        "GW_REDIS_DB": db,
    }


#: Creates Rasa's tracker table before two Rasa servers race to create it at start-up.
TRACKER_SCHEMA = (
    "import sys\n"
    "from rasa.core.tracker_store import SQLTrackerStore\n"
    "SQLTrackerStore(host=sys.argv[1]).engine.dispose()\n"
)


def haproxy_config(ports: ClusterPorts, host: str = "127.0.0.1") -> str:
    """The balancer's configuration (HAProxy 2.6, Debian bookworm).

    - Health checks every second; a server that fails two is out until it answers again.
    - A request whose server dies under it (connection refused, or closed with no answer) is
      retried on the other server (`retry-on` + `option redispatch 1`: every retry goes
      elsewhere). Only those failures: a slow answer or an HTTP error is the answer. The
      requests are safe to resend: a WeChat message and a hotline turn are handled once by id,
      a filing once by its client_ref, and Rasa's lock store keeps a conversation's turns in
      order.
    - L7 retries replay a buffered request, so the buffer holds a whole one (Rasa → action
      server requests carry the conversation; hotline transcripts are up to 256 KB).
    - The access log records method and path only: query strings carry Rasa's API token and
      WeChat's signatures.
    """

    def backend(name: str, servers: tuple[int, ...], check: str, prefix: str) -> str:
        lines = [
            f"backend {name}",
            "    balance roundrobin",
            f"    option httpchk GET {check}",
            "    http-check expect status 200",
        ]
        for i, port in enumerate(servers, 1):
            lines.append(f"    server {prefix}-{i} {host}:{port} check")
        return "\n".join(lines)

    return "\n".join(
        [
            "# Written by bot.ops.cluster (make run-cluster); see docs/deployment.md.",
            "global",
            "    maxconn 2000",
            "    tune.bufsize 262144",
            "    log stdout format raw local0 info",
            "",
            "defaults",
            "    mode http",
            "    log global",
            '    log-format "%ci [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %rc %HM %HP"',
            "    timeout connect 2s",
            "    timeout client 120s",
            "    timeout server 120s",
            "    timeout http-request 15s",
            "    timeout queue 30s",
            "    retries 3",
            "    option redispatch 1",
            "    retry-on conn-failure empty-response junk-response",
            "    default-server inter 1s fall 2 rise 1",
            "",
            "frontend health",
            f"    bind {host}:{ports.balancer_health}",
            "    monitor-uri /health",
            "",
            "frontend rasa",
            f"    bind {host}:{ports.rasa}",
            "    default_backend rasa",
            "",
            "frontend actions",
            f"    bind {host}:{ports.actions}",
            "    default_backend actions",
            "",
            "frontend app",
            f"    bind {host}:{ports.app}",
            "    option forwardfor",
            "    default_backend app",
            "",
            backend("rasa", ports.rasa_servers, "/", "rasa"),
            "",
            backend("actions", ports.action_servers, "/health", "actions"),
            "",
            backend("app", ports.app_servers, "/healthz", "app"),
            "",
        ]
    )


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if found is None:
        raise FileNotFoundError("haproxy not found: make haproxy (apt-get install -y haproxy)")
    return found


@dataclass
class Cluster(Stack):
    """Two Rasa servers, two action servers and two apps behind HAProxy, and the senders."""

    cluster_ports: ClusterPorts = field(default_factory=ClusterPorts)
    redis_url: str | None = None
    senders: int = 1
    lock_lifetime_s: int | None = None
    _last_restart: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cp = self.cluster_ports
        self.ports = Ports(rasa=cp.rasa, actions=cp.actions, app=cp.app)
        ledger, tracker = default_database_urls(os.environ)
        self.database_url = self.database_url or ledger
        self.tracker_url = self.tracker_url or tracker
        self.redis_url = self.redis_url or os.environ.get("GW_REDIS_URL") or DEFAULT_REDIS_URL
        lifetime = self.lock_lifetime_s or int(
            os.environ.get("TICKET_LOCK_LIFETIME") or DEFAULT_LOCK_LIFETIME_S
        )
        self.extra_env = {
            "GW_REDIS_URL": self.redis_url,
            "TICKET_LOCK_LIFETIME": str(lifetime),
            # the app sees clients through the balancer
            "GW_TRUSTED_PROXIES": self.host,
            **redis_parts(self.redis_url),
            **self.extra_env,
        }
        super().__post_init__()

    def build_procs(self) -> dict[str, Proc]:
        cp = self.cluster_ports
        procs: dict[str, Proc] = {}
        for i, port in enumerate(cp.rasa_servers, 1):
            procs[f"rasa-{i}"] = self.rasa_proc(f"rasa-{i}", port, ENDPOINTS)
        for i, port in enumerate(cp.action_servers, 1):
            procs[f"actions-{i}"] = self.actions_proc(f"actions-{i}", port)
        for i, port in enumerate(cp.app_servers, 1):
            procs[f"app-{i}"] = self.app_proc(f"app-{i}", port)
        for i in range(1, self.senders + 1):
            procs[f"sender-{i}"] = self.sender_proc(f"sender-{i}")
        procs["balancer"] = self.balancer_proc()
        return procs

    def balancer_proc(self) -> Proc:
        config = private_file(self.var_dir / "haproxy.cfg")
        config.write_text(haproxy_config(self.cluster_ports, self.host), encoding="utf-8")
        argv = [haproxy_binary(), "-db", "-f", str(config)]
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/bin")}
        health = f"http://{self.host}:{self.cluster_ports.balancer_health}/health"
        return self._proc("balancer", argv, health, env)

    def migrate(self) -> None:
        """Creates the database if missing, the ledger's tables, and Rasa's tracker table."""
        assert self.database_url and self.tracker_url
        for url in {self.database_url, self.tracker_url}:
            if url.startswith("postgresql"):
                # the app's environment has psycopg 3 only; Rasa's URL names no driver
                ensure_database(re.sub(r"^postgresql(\+\w+)?://", "postgresql+psycopg://", url))
        super().migrate()
        subprocess.run(
            [str(RASA_VENV / "bin" / "python"), "-c", TRACKER_SCHEMA, self.tracker_url],
            env={**self.env, "PYTHONPATH": self.env.get("PYTHONPATH", "")},
            check=True,
            capture_output=True,
            timeout=300,
        )

    def internal_url(self, name: str) -> str:
        """The base URL of one instance (rasa-1, app-2 …), bypassing the balancer."""
        return self.procs[name].health_url.rsplit("/", 1)[0]

    def banner_lines(self) -> str:
        return texts.text(
            "staff",
            "ops.cluster.banner",
            names=", ".join(self.procs),
            health=f"http://{self.host}:{self.cluster_ports.balancer_health}/health",
            pids=self.pid_dir,
            redis=re.sub(r"//[^@/]*@", "//***@", self.redis_url or ""),
        )

    def supervise(self, on_restart: Callable[[str, Proc], None] | None = None) -> list[str]:
        """Restarts every dead child without waiting for it to answer (the balancer's health
        checks hold its traffic until then), at most once per RESTART_BACKOFF_S each."""
        restarted = []
        now = time.monotonic()
        for name, proc in self.procs.items():
            if proc.popen is None or proc.running:
                continue
            if now - self._last_restart.get(name, -RESTART_BACKOFF_S) < RESTART_BACKOFF_S:
                continue
            if on_restart is not None:
                on_restart(name, proc)
            logger.warning("%s died; restarting it", name)
            proc.stop()
            proc.start()
            self._last_restart[name] = now
            restarted.append(name)
        return restarted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.ops.cluster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--app-port", type=int, default=8000)
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument(
        "--internal-base",
        type=int,
        default=None,
        help="internal ports from this one on (default: 8404, 5011-5012, 5061-5062, 8011-8012)",
    )
    parser.add_argument("--senders", type=int, default=1)
    parser.add_argument("--var", type=Path, default=VAR, help="pids, logs, tokens (default var/)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if latest_model() is None:
        print(texts.text("staff", "ops.stack.no_model"), file=sys.stderr)
        return 1
    if args.internal_base:
        ports = ClusterPorts.from_base(
            rasa=args.rasa_port,
            app=args.app_port,
            actions=args.actions_port,
            base=args.internal_base,
        )
    else:
        ports = ClusterPorts(rasa=args.rasa_port, app=args.app_port, actions=args.actions_port)
    cluster = Cluster(cluster_ports=ports, var_dir=args.var, senders=args.senders)
    return _serve(cluster, then_chat=False)


if __name__ == "__main__":
    sys.exit(main())
