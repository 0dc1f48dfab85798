"""Conversation throughput and latency of the whole stack, against Rasa's bare NLU rate.

Starts its own stack (trained Rasa server, action server, app) on a fresh SQLite ledger in a
temporary folder, then:

1. bare NLU: the same user texts sent to /model/parse, at the same concurrency;
2. Rasa's own turn, for reference: conversations of greetings and questions that the domain's
   responses answer, so no custom action runs and nothing goes into the ledger. This is the
   fastest a full Rasa turn gets on this model; the gap between it and a report turn is the cost
   of our actions and database;
3. closed loop: N concurrent scripted report conversations over the REST channel, each worker
   starting a new conversation when one ends, for the given seconds;
4. open loop: turns offered at a fixed rate (default 20 turns/s), for the p95 target;

and prints turns/s, per-turn latency p50/p95/p99, issues filed vs expected, the ratio to the bare
parse rate, the CPU milliseconds each process spends per parse and per turn, and the peak RSS of
each process. The last line is one JSON object.

    .venv-app/bin/python bench/turns.py [--conversations 20] [--rate 20] [--seconds 20]

With --cluster (make bench-cluster) it starts bot.ops.cluster instead (HAProxy, two Rasa servers,
two action servers, two apps, a sender, on a PostgreSQL database made for the run and Redis db
7, emptied before and after; GW_BENCH_REDIS_URL overrides) and measures, at the same concurrency, Rasa's own turn and report turns through one Rasa
server, then through both behind the balancer (turns/s, p50/p95/p99, report ÷ Rasa's own turn),
and finally how long a conversation stalls when its Rasa server is killed mid-turn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from bot.casework.store import CaseStore
from bot.ops.stack import Ports, Stack

# Each script is a whole report; replies are not checked here (the e2e tests do that), only
# whether the report got filed.
SCRIPTS: list[list[str]] = [
    [
        "我要举报",
        "有个厂天天晚上冒黑烟，味道呛得很",
        "涪城区青义镇商家村三组",
        "每天晚上十点以后",
        "不清楚",
        "我拍了几张照片",
        "13812345678",
        "确认",
        "我的举报怎么样了",
    ],
    ["游仙区石马镇的鑫达砖厂每天晚上冒浓烟，呛得人睡不着", "没有", "匿名", "确认", "谢谢"],
    [
        "你好",
        "高新区普明街道的工地半夜还在施工，吵得睡不着觉",
        "昨天晚上",
        "不清楚",
        "没有",
        "13912345678",
        "确认",
    ],
]


# Rasa's own full turn, for reference: chit-chat and questions answered by a response from the
# domain, so no custom action runs and nothing is written to the ledger (the tracker store still
# saves each turn). These turns cost Rasa a parse, two policy predictions and the tracker
# round trip; what a report turn costs beyond them is ours (actions, slot extraction, ledger).
RASA_ONLY_SCRIPTS: list[list[str]] = [
    ["你好", "什么算环境问题", "举报有奖励吗", "谢谢", "再见"],
    ["您好", "哪些问题可以举报", "举报有奖励吗", "多谢"],
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


class CpuMeter:
    """CPU seconds (user + system, children included) each process spends during a phase."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids

    def read(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, pid in self.pids.items():
            try:
                proc = psutil.Process(pid)
                total = 0.0
                for p in [proc, *proc.children(recursive=True)]:
                    t = p.cpu_times()
                    total += t.user + t.system
            except psutil.Error:
                continue
            out[name] = total
        return out

    @staticmethod
    def per_item_ms(before: dict[str, float], after: dict[str, float], n: int) -> dict[str, float]:
        return {
            k: round((after[k] - before[k]) / max(n, 1) * 1000, 2) for k in before if k in after
        }


def _fmt_cpu(ms: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in ms.items())


class RssSampler(threading.Thread):
    """Samples the resident memory of each process (and its children) every 0.2 s."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak: dict[str, int] = dict.fromkeys(pids, 0)
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            for name, pid in self.pids.items():
                try:
                    proc = psutil.Process(pid)
                    rss = proc.memory_info().rss + sum(
                        c.memory_info().rss for c in proc.children(recursive=True)
                    )
                except psutil.Error:
                    continue
                self.peak[name] = max(self.peak[name], rss)
            self._halt.wait(0.2)

    def stop(self) -> None:
        self._halt.set()
        self.join()


async def bare_parse(
    client: httpx.AsyncClient, rasa_url: str, token: str, texts: list[str], concurrency: int
) -> tuple[float, list[float]]:
    """/model/parse is Rasa's HTTP API, which needs the stack's token (the chat webhooks do not)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for t in texts:
        queue.put_nowait(t)
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            text = queue.get_nowait()
            t0 = time.perf_counter()
            r = await client.post(
                f"{rasa_url}/model/parse", params={"token": token}, json={"text": text}
            )
            r.raise_for_status()
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(texts) / (time.perf_counter() - start), latencies


async def conversation(
    client: httpx.AsyncClient,
    rasa_url: str,
    sender: str,
    script: list[str],
    latencies: list[float],
    interval: float | None = None,
    sent: list[float] | None = None,
) -> None:
    for text in script:
        t_send = time.perf_counter()
        if sent is not None:
            sent.append(t_send)
        r = await client.post(
            f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
        )
        r.raise_for_status()
        latencies.append(time.perf_counter() - t_send)
        if interval is not None:
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - t_send)))


async def closed_loop(
    client: httpx.AsyncClient,
    rasa_url: str,
    n: int,
    prefix: str,
    seconds: float = 0.0,
    scripts: list[list[str]] = SCRIPTS,
) -> tuple[float, list[float], int]:
    """`n` workers, each running scripted conversations back to back (a new citizen each time)
    until `seconds` have passed (at least one conversation each), so `n` turns are always in
    flight. Returns turns/s, per-turn latencies and the number of conversations run."""
    latencies: list[float] = []
    started = [0]
    start = time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        while True:
            i = started[0]
            started[0] += 1
            await conversation(
                client, rasa_url, f"{prefix}-{i}", scripts[i % len(scripts)], latencies
            )
            if time.perf_counter() >= deadline:
                return

    await asyncio.gather(*(worker() for _ in range(n)))
    elapsed = time.perf_counter() - start
    return len(latencies) / elapsed, latencies, started[0]


async def open_loop(
    client: httpx.AsyncClient, rasa_url: str, rate: float, seconds: float, prefix: str
) -> tuple[float, list[float], int, float]:
    """Turns offered at `rate` per second: `slots` conversation slots, each sending one turn every
    slots/rate seconds (staggered), starting a new scripted conversation when one ends."""
    slots = max(1, round(rate))  # one turn per second per slot
    interval = slots / rate
    latencies: list[float] = []
    started = [0]
    start = time.perf_counter()
    deadline = start + seconds

    async def slot(k: int) -> None:
        await asyncio.sleep(k / rate)
        while time.perf_counter() < deadline:
            i = started[0]
            started[0] += 1
            script = SCRIPTS[i % len(SCRIPTS)]
            await conversation(client, rasa_url, f"{prefix}-{i}", script, latencies, interval, sent)

    sent: list[float] = []
    await asyncio.gather(*(slot(k) for k in range(slots)))
    # conversations under way at the deadline are finished (so every report can be counted),
    # but the rate is taken over the offered window only
    in_window = sum(1 for t in sent if t < deadline)
    return in_window / seconds, latencies, started[0], rate


def expected_filings(n_convs: int) -> int:
    return sum(1 for i in range(n_convs) if "确认" in SCRIPTS[i % len(SCRIPTS)])


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    var = Path(tempfile.mkdtemp(prefix="gw-bench-"))
    stack = Stack(ports=Ports(_free_port(), _free_port(), _free_port()), var_dir=var)
    print(f"starting the stack in {var} …", flush=True)
    stack.migrate()
    stack.start()
    sampler = RssSampler(stack.pids())
    sampler.start()
    cpu = CpuMeter(stack.pids())
    store = CaseStore.from_url(stack.database_url or "")
    try:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(timeout=120.0, limits=limits) as client:
            # warm-up: first requests load lazy parts (jieba dictionary, DB pool)
            await closed_loop(client, stack.rasa_url, 3, "warmup")
            await closed_loop(client, stack.rasa_url, 2, "warmup-rasa", scripts=RASA_ONLY_SCRIPTS)
            texts = [t for s in SCRIPTS for t in s] * 30
            seq_rate, seq_lat = await bare_parse(client, stack.rasa_url, stack.rasa_token, texts, 1)
            print(
                f"bare NLU /model/parse, one at a time: {seq_rate:.1f}/s  "
                f"p50 {pct(seq_lat, 50) * 1000:.1f} ms",
                flush=True,
            )
            c0 = cpu.read()
            parse_rate, parse_lat = await bare_parse(
                client, stack.rasa_url, stack.rasa_token, texts, args.conversations
            )
            parse_cpu = CpuMeter.per_item_ms(c0, cpu.read(), len(texts))
            print(
                f"bare NLU /model/parse: {parse_rate:.1f}/s  p50 {pct(parse_lat, 50) * 1000:.0f} ms  "
                f"p95 {pct(parse_lat, 95) * 1000:.0f} ms  (concurrency {args.conversations})\n"
                f"  CPU ms per parse: {_fmt_cpu(parse_cpu)}",
                flush=True,
            )

            c0 = cpu.read()
            rtps, rlat, _ = await closed_loop(
                client,
                stack.rasa_url,
                args.conversations,
                f"rasa-{uuid.uuid4().hex[:6]}",
                args.seconds / 2,
                scripts=RASA_ONLY_SCRIPTS,
            )
            rasa_cpu = CpuMeter.per_item_ms(c0, cpu.read(), len(rlat))
            print(
                f"Rasa's own turn (responses only, no custom action, no ledger), "
                f"{args.conversations} concurrent: {rtps:.1f} turns/s  "
                f"p50 {pct(rlat, 50) * 1000:.0f} ms  p95 {pct(rlat, 95) * 1000:.0f} ms  "
                f"= {rtps / parse_rate:.2f} × bare parse\n"
                f"  CPU ms per turn: {_fmt_cpu(rasa_cpu)}",
                flush=True,
            )

            before = store.count()
            c0 = cpu.read()
            tps, lat, n = await closed_loop(
                client,
                stack.rasa_url,
                args.conversations,
                f"closed-{uuid.uuid4().hex[:6]}",
                args.seconds,
            )
            turn_cpu = CpuMeter.per_item_ms(c0, cpu.read(), len(lat))
            filed_closed = store.count() - before
            exp_closed = expected_filings(n)
            print(
                f"closed loop, {args.conversations} concurrent conversations ({n} in all, "
                f"{len(lat)} turns): {tps:.1f} turns/s  "
                f"p50 {pct(lat, 50) * 1000:.0f} ms  p95 {pct(lat, 95) * 1000:.0f} ms  p99 {pct(lat, 99) * 1000:.0f} ms  "
                f"issues filed {filed_closed}/{exp_closed}\n"
                f"  CPU ms per turn: {_fmt_cpu(turn_cpu)}",
                flush=True,
            )

            before = store.count()
            otps, olat, on, rate = await open_loop(
                client, stack.rasa_url, args.rate, args.seconds, f"open-{uuid.uuid4().hex[:6]}"
            )
            filed_open = store.count() - before
            exp_open = expected_filings(on)
            print(
                f"open loop, {rate:.0f} turns/s offered: {otps:.1f} turns/s served  "
                f"p50 {pct(olat, 50) * 1000:.0f} ms  p95 {pct(olat, 95) * 1000:.0f} ms  p99 {pct(olat, 99) * 1000:.0f} ms  "
                f"issues filed {filed_open}/{exp_open}",
                flush=True,
            )
    finally:
        sampler.stop()
        stack.stop()
    rss = {name: round(v / 2**20, 1) for name, v in sampler.peak.items()}
    print("peak RSS (MiB): " + ", ".join(f"{k} {v}" for k, v in rss.items()))
    ratio = tps / parse_rate if parse_rate else float("nan")
    ratio_seq = tps / seq_rate if seq_rate else float("nan")
    ratio_rasa = rtps / parse_rate if parse_rate else float("nan")
    print(f"full turns/s ÷ bare parse/s one at a time = {ratio_seq:.2f}")
    print(
        f"full turns/s ÷ bare parse/s at the same concurrency = {ratio:.2f} (target ≥ 0.9); "
        f"Rasa's own turn without our actions or ledger reaches {ratio_rasa:.2f}; "
        f"report turns ÷ Rasa's own turns = {tps / rtps:.2f}"
    )
    print(f"open-loop p95 {pct(olat, 95) * 1000:.0f} ms (target ≤ 150 ms)")
    return {
        "parse_per_s_sequential": round(seq_rate, 1),
        "ratio_sequential": round(ratio_seq, 3),
        "parse_per_s": round(parse_rate, 1),
        "turns_per_s": round(tps, 1),
        "ratio": round(ratio, 3),
        "rasa_only_turns_per_s": round(rtps, 1),
        "rasa_only_ratio": round(ratio_rasa, 3),
        "cpu_ms_per_parse": parse_cpu,
        "cpu_ms_per_rasa_only_turn": rasa_cpu,
        "cpu_ms_per_turn": turn_cpu,
        "closed_p50_ms": round(pct(lat, 50) * 1000, 1),
        "closed_p95_ms": round(pct(lat, 95) * 1000, 1),
        "closed_p99_ms": round(pct(lat, 99) * 1000, 1),
        "open_offered_per_s": rate,
        "open_served_per_s": round(otps, 1),
        "open_p50_ms": round(pct(olat, 50) * 1000, 1),
        "open_p95_ms": round(pct(olat, 95) * 1000, 1),
        "open_p99_ms": round(pct(olat, 99) * 1000, 1),
        "filed": filed_closed + filed_open,
        "expected": exp_closed + exp_open,
        "peak_rss_mib": rss,
    }


# -- --cluster: one and two Rasa servers behind HAProxy (bot.ops.cluster) ---------------------
CLUSTER_REDIS_URL = os.environ.get("GW_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
CLUSTER_PG_ADMIN = "postgresql+psycopg://root@127.0.0.1:5432/postgres"


async def _measure(
    client: httpx.AsyncClient, url: str, n: int, seconds: float, label: str, cpu: CpuMeter
) -> dict[str, object]:
    """Rasa's own turn, then report turns, through `url`, at `n` concurrent conversations."""
    c0 = cpu.read()
    rtps, rlat, _ = await closed_loop(
        client, url, n, f"{label}-rasa-{uuid.uuid4().hex[:6]}", seconds / 2, RASA_ONLY_SCRIPTS
    )
    rasa_cpu = CpuMeter.per_item_ms(c0, cpu.read(), len(rlat))
    c0 = cpu.read()
    tps, lat, convs = await closed_loop(
        client, url, n, f"{label}-report-{uuid.uuid4().hex[:6]}", seconds
    )
    turn_cpu = CpuMeter.per_item_ms(c0, cpu.read(), len(lat))
    out: dict[str, object] = {
        "rasa_only_turns_per_s": round(rtps, 1),
        "rasa_only_p50_ms": round(pct(rlat, 50) * 1000, 1),
        "report_turns_per_s": round(tps, 1),
        "report_p50_ms": round(pct(lat, 50) * 1000, 1),
        "report_p95_ms": round(pct(lat, 95) * 1000, 1),
        "report_p99_ms": round(pct(lat, 99) * 1000, 1),
        "report_over_rasa_only": round(tps / rtps, 3) if rtps else None,
        "conversations": convs,
        "cpu_ms_per_rasa_only_turn": rasa_cpu,
        "cpu_ms_per_report_turn": turn_cpu,
    }
    print(
        f"{label}: Rasa's own turn {rtps:.1f} turns/s (p50 {pct(rlat, 50) * 1000:.0f} ms); "
        f"report turns {tps:.1f} turns/s p50 {pct(lat, 50) * 1000:.0f} ms "
        f"p95 {pct(lat, 95) * 1000:.0f} ms p99 {pct(lat, 99) * 1000:.0f} ms; "
        f"report ÷ Rasa's own = {out['report_over_rasa_only']}\n"
        f"  CPU ms per report turn: {_fmt_cpu(turn_cpu)}",
        flush=True,
    )
    return out


async def _stall_after_kill(
    client: httpx.AsyncClient, cluster: object, lifetime_s: int
) -> dict[str, float]:
    """A Rasa server killed (SIGKILL) in the middle of a turn leaves that conversation's lock in
    Redis; the conversation's next message, on the other server, waits until it expires. The kill
    comes as soon as the lock's key is in Redis (the turn holds it)."""
    import signal

    from bot.ops.cluster import Cluster

    assert isinstance(cluster, Cluster)
    one, two = cluster.internal_url("rasa-1"), cluster.internal_url("rasa-2")
    sender = f"stall-{uuid.uuid4().hex[:6]}"
    await client.post(
        f"{one}/webhooks/rest/webhook", json={"sender": sender, "message": "我要举报"}
    )
    turn = asyncio.ensure_future(
        client.post(
            f"{one}/webhooks/rest/webhook",
            json={"sender": sender, "message": "有个厂房的烟囱冒黑烟，味道呛得很"},
        )
    )
    # kill while the turn holds the conversation's lock (Rasa's RedisLockStore key)
    import redis

    red = redis.Redis.from_url(CLUSTER_REDIS_URL)
    key = f"greenwhistle:lock:rest:{sender}"
    deadline = time.perf_counter() + 30
    while not red.exists(key) and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
    held = bool(red.exists(key))
    proc = cluster.procs["rasa-1"]
    assert proc.popen is not None
    killed_at = time.perf_counter()
    os.killpg(proc.popen.pid, signal.SIGKILL)
    with contextlib.suppress(httpx.HTTPError):
        await turn
    r = await client.post(
        f"{two}/webhooks/rest/webhook", json={"sender": sender, "message": "有个厂房的烟囱冒黑烟"}
    )
    stall = time.perf_counter() - killed_at
    print(
        f"stall after killing the Rasa server mid-turn: the conversation's next message waited "
        f"{stall:.1f} s on the other server (TICKET_LOCK_LIFETIME {lifetime_s} s; lock held at "
        f"the kill: {held}; HTTP {r.status_code})",
        flush=True,
    )
    return {"stall_s": round(stall, 2), "lock_lifetime_s": lifetime_s, "lock_was_held": held}


async def cluster_async(args: argparse.Namespace) -> dict[str, object]:
    import redis
    from sqlalchemy import create_engine, text

    from bot.ops.cluster import Cluster, ClusterPorts

    name = f"gw_bench_cluster_{uuid.uuid4().hex[:8]}"
    database_url = CLUSTER_PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    redis.Redis.from_url(CLUSTER_REDIS_URL).flushdb()
    base = _free_port()
    while not all(_port_is_free(base + i) for i in range(8)):
        base = _free_port()
    var = Path(tempfile.mkdtemp(prefix="gw-bench-cluster-"))
    lifetime = 10
    cluster = Cluster(
        cluster_ports=ClusterPorts.from_base(
            rasa=_free_port(), app=_free_port(), actions=_free_port(), base=base
        ),
        var_dir=var,
        database_url=database_url,
        redis_url=CLUSTER_REDIS_URL,
        lock_lifetime_s=lifetime,
    )
    print(f"starting the cluster in {var} (database {name}) …", flush=True)
    cluster.migrate()
    results: dict[str, object] = {}
    try:
        cluster.start()
        cpu = CpuMeter(cluster.pids())
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(timeout=120.0, limits=limits) as client:
            for url in (cluster.internal_url("rasa-1"), cluster.internal_url("rasa-2")):
                await closed_loop(client, url, 3, f"warmup-{uuid.uuid4().hex[:4]}")
                await closed_loop(
                    client, url, 2, f"warmup-{uuid.uuid4().hex[:4]}", scripts=RASA_ONLY_SCRIPTS
                )
            n, secs = args.conversations, args.seconds
            results["one_rasa_server"] = await _measure(
                client, cluster.internal_url("rasa-1"), n, secs, "one Rasa server", cpu
            )
            results["two_rasa_servers"] = await _measure(
                client, cluster.rasa_url, n, secs, "two Rasa servers (HAProxy)", cpu
            )
            one = results["one_rasa_server"]["report_turns_per_s"]  # type: ignore[index]
            two = results["two_rasa_servers"]["report_turns_per_s"]  # type: ignore[index]
            print(f"two servers ÷ one server (report turns/s) = {two / one:.2f}", flush=True)
            results["two_over_one"] = round(two / one, 3)
            results["stall"] = await _stall_after_kill(client, cluster, lifetime)
    finally:
        cluster.stop()
        redis.Redis.from_url(CLUSTER_REDIS_URL).flushdb()
        admin = create_engine(CLUSTER_PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    results["cores"] = psutil.cpu_count()
    results["load_average_1min"] = round(psutil.getloadavg()[0], 2)
    print(
        f"on {results['cores']} cores, load average {results['load_average_1min']} "
        "(the machine is shared: figures are noisy)"
    )
    return results


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--conversations", type=int, default=20, help="concurrent conversations (closed loop)"
    )
    parser.add_argument(
        "--rate", type=float, default=20.0, help="turns per second offered (open loop)"
    )
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="length of the closed- and open-loop phases"
    )
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="one and two Rasa servers behind HAProxy on PostgreSQL + Redis (bot.ops.cluster)",
    )
    args = parser.parse_args()
    result = asyncio.run(cluster_async(args) if args.cluster else main_async(args))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
