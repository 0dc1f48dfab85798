"""What `make run-cluster` starts (bot/ops/cluster.py), checked without starting it: the process
list and names, the databases and Redis it points at, the balancer's rules, pid files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.ops.cluster import (
    DEFAULT_LOCK_LIFETIME_S,
    ENDPOINTS,
    Cluster,
    ClusterPorts,
    default_database_urls,
    haproxy_config,
    redis_parts,
)
from bot.ops.processes import Proc

NAMES = {"rasa-1", "rasa-2", "actions-1", "actions-2", "app-1", "app-2", "sender-1", "balancer"}


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    for var in ("DATABASE_URL", "GW_TRACKER_URL", "GW_REDIS_URL", "TICKET_LOCK_LIFETIME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("bot.ops.cluster.haproxy_binary", lambda: "/usr/sbin/haproxy")
    return Cluster(var_dir=tmp_path / "var")


def test_the_process_list_is_what_a_multi_machine_deployment_runs(cluster: Cluster) -> None:
    assert set(cluster.procs) == NAMES
    for name, proc in cluster.procs.items():
        assert proc.log_path == cluster.var_dir / "logs" / f"{name}.log"
        assert proc.pid_file == cluster.var_dir / "run" / f"{name}.pid"
    rasa = cluster.procs["rasa-1"]
    assert rasa.argv[rasa.argv.index("--endpoints") + 1] == ENDPOINTS
    assert rasa.argv[rasa.argv.index("--port") + 1] == "5011"
    assert cluster.procs["sender-1"].argv[-2:] == ["-m", "bot.casework.sender"]
    # the public entries are the balancer's; Rasa reaches the action servers through it too
    assert (
        cluster.rasa_url == "http://127.0.0.1:5005" and cluster.app_url == "http://127.0.0.1:8000"
    )
    assert rasa.env["GW_ACTION_ENDPOINT"] == "http://127.0.0.1:5055/webhook"


def test_postgresql_and_redis_by_default_each_overridable(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cluster.database_url is not None and cluster.tracker_url is not None
    assert cluster.database_url.startswith("postgresql+psycopg://")
    assert cluster.database_url.endswith("/greenwhistle_cluster")
    assert cluster.tracker_url.startswith("postgresql://")  # Rasa's psycopg2
    env = cluster.procs["rasa-2"].env
    assert env["GW_REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert env["TICKET_LOCK_LIFETIME"] == str(DEFAULT_LOCK_LIFETIME_S)
    assert (env["GW_REDIS_HOST"], env["GW_REDIS_PORT"], env["GW_REDIS_DB"]) == (
        "127.0.0.1",
        "6379",
        "0",
    )
    assert default_database_urls({"DATABASE_URL": "postgresql+psycopg://u@db/x"}) == (
        "postgresql+psycopg://u@db/x",
        "postgresql://u@db/x",
    )
    assert redis_parts("redis://:pw@cache.internal:6380/3") == {
        "GW_REDIS_HOST": "cache.internal",
        "GW_REDIS_PORT": "6380",
        "GW_REDIS_DB": "3",
    }


def test_only_the_app_and_sender_lack_the_chat_side_tokens(cluster: Cluster) -> None:
    for name in ("app-1", "app-2", "sender-1"):
        assert {"GW_RASA_TOKEN", "GW_ACTION_TOKEN"}.isdisjoint(cluster.procs[name].env)
    assert "GW_RASA_TOKEN" not in cluster.procs["actions-1"].env
    assert set(cluster.procs["balancer"].env) == {"PATH"}


def test_the_balancer_retries_a_dead_server_on_the_other_and_logs_no_query_strings() -> None:
    config = haproxy_config(ClusterPorts())
    assert "retry-on conn-failure empty-response junk-response" in config
    assert "option redispatch 1" in config
    assert "bind 127.0.0.1:5005" in config and "bind 127.0.0.1:8000" in config
    for server in ("127.0.0.1:5011", "127.0.0.1:5012", "127.0.0.1:5061", "127.0.0.1:8012"):
        assert f"{server} check" in config
    assert "%HP" in config and "%HU" not in config and "%r " not in config and "%HQ" not in config
    assert "tune.bufsize 262144" in config


def test_internal_ports_from_a_base() -> None:
    ports = ClusterPorts.from_base(rasa=1, app=2, actions=3, base=20000)
    assert ports.balancer_health == 20000
    assert ports.rasa_servers == (20001, 20002)
    assert ports.action_servers == (20003, 20004)
    assert ports.app_servers == (20005, 20006)


def test_a_process_keeps_its_pid_file_while_it_runs(tmp_path: Path) -> None:
    proc = Proc(
        "svc",
        [sys.executable, "-c", "import time; time.sleep(30)"],
        "",
        {},
        tmp_path / "logs" / "svc.log",
        pid_dir=tmp_path / "run",
    )
    proc.start()
    try:
        assert proc.popen is not None
        assert (tmp_path / "run" / "svc.pid").read_text().strip() == str(proc.popen.pid)
    finally:
        proc.stop(grace=2)
    assert not (tmp_path / "run" / "svc.pid").exists()


def test_the_haproxy_config_is_valid_for_the_installed_haproxy(tmp_path: Path) -> None:
    import shutil

    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        pytest.skip("haproxy not installed (make haproxy)")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_config(ClusterPorts()))
    check = subprocess.run([binary, "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
