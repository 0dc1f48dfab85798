"""WeChat channel under load: N simulated citizens each file a whole report through the webhook.

Starts its own stack (Rasa server with the WeChat channel in safe mode, action server, app) on a
fresh SQLite ledger, and a local fake of the WeChat API that records every customer-service
message. Each citizen posts signed, AES-encrypted XML exactly as WeChat does: text, a location
pin, a photo (posted twice, as WeChat's retry), answers by menu number. Prints:

- immediate-answer latency of the webhook (max must stay far below WeChat's 5 s),
- time from posting a message to the bot's reply reaching the fake API (p50/p95/max),
- replies lost (an expected question never arrived) and duplicated (arrived twice),
- issues filed vs expected, and photos attached vs expected.

The last line is one JSON object.

    .venv-app/bin/python bench/wechat_load.py [--users 50] [--timeout 180]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.ops.stack import Ports, Stack
from tests.e2e.conftest import _free_port
from tests.fakes.wechat_api import FakeWeChatAPI
from tests.fakes.wechat_server import WeChatServer, fixture

TOKEN, APP_ID, SECRET = "bench-token", "wx-bench-app", "bench-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
INTERNAL_TOKEN = "bench-internal-token"
PHOTO = b"\xff\xd8\xff\xe0" + b"bench photo " * 2000

#: (message kind, values, a phrase only the expected reply contains)
SCRIPT: list[tuple[str, dict[str, str], str]] = [
    ("text", {"content": "我要举报"}, "请描述"),
    ("text", {"content": "有个厂在冒黑烟，味道呛得很"}, "发生在哪里"),
    (
        "location",
        {"lat": "31.51", "lng": "104.71", "label": "四川省绵阳市涪城区青义镇商家村"},
        "什么时候发生",
    ),
    ("text", {"content": "每天晚上十点以后"}, "哪家单位"),
    ("text", {"content": "不清楚"}, "证据吗"),
    ("image", {}, "手机号码"),
    ("text", {"content": "1"}, "对吗"),
    ("text", {"content": "1"}, "已登记，编号"),
]


@dataclass
class Result:
    user: str
    ack_s: list[float] = field(default_factory=list)
    reply_s: list[float] = field(default_factory=list)
    lost: int = 0
    error: str | None = None


def citizen(server: WeChatServer, api: FakeWeChatAPI, timeout: float, out: Result) -> None:
    """One citizen's whole report; waits for each expected question before answering it."""
    with httpx.Client(timeout=30.0) as client:
        for kind, values, expect in SCRIPT:
            extra = dict(values)
            if kind == "image":
                extra["media_id"] = api.add_media(PHOTO + out.user.encode(), "image/jpeg")
            xml = fixture(kind, user=out.user, **extra)
            sent_at = time.monotonic()
            posts = 2 if kind == "image" else 1  # WeChat's retry of the same MsgId
            for _ in range(posts):
                t0 = time.monotonic()
                r = server.post_xml(xml, encrypt=True, client=client)
                out.ack_s.append(time.monotonic() - t0)
                if r.status_code != 200:
                    out.error = f"HTTP {r.status_code} on {kind}"
                    return
            deadline = sent_at + timeout
            arrived = None
            while time.monotonic() < deadline:
                hits = [c for c in api.sent("message/custom/send", out.user) if expect in c.text]
                if hits:
                    arrived = hits[0].at
                    break
                time.sleep(0.1)
            if arrived is None:
                out.lost += 1
                out.error = f"no reply containing {expect!r}"
                return
            out.reply_s.append(max(0.0, arrived - sent_at))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        help="seconds a citizen waits for one reply before counting it lost",
    )
    args = parser.parse_args(argv)

    var = Path(tempfile.mkdtemp(prefix="gw-wechat-bench-"))
    with FakeWeChatAPI(APP_ID, SECRET) as api:
        stack = Stack(
            ports=Ports(_free_port(), _free_port(), _free_port()),
            var_dir=var,
            extra_env={
                "WECHAT_APP_ID": APP_ID,
                "WECHAT_SECRET": SECRET,
                "WECHAT_TOKEN": TOKEN,
                "WECHAT_AES_KEY": AES_KEY,
                "WECHAT_API_BASE_URL": api.base_url,
                "GW_INTERNAL_TOKEN": INTERNAL_TOKEN,
            },
        )
        stack.migrate()
        print(f"starting the stack in {var} …", flush=True)
        stack.start()
        try:
            server = WeChatServer(
                f"{stack.rasa_url}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY
            )
            results = [Result(f"o-bench-{i:03d}-{uuid.uuid4().hex[:6]}") for i in range(args.users)]
            threads = [
                threading.Thread(target=citizen, args=(server, api, args.timeout, r))
                for r in results
            ]
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - started
            time.sleep(2.0)  # let late duplicates show up
            figures = summarise(results, api, stack, wall)
        finally:
            stack.stop()
    print_figures(figures)
    ok = (
        figures["lost"] == 0
        and figures["duplicated"] == 0
        and figures["issues_filed"] == figures["issues_expected"]
        and figures["ack_max_s"] < 1.0
    )
    return 0 if ok else 1


def summarise(
    results: list[Result], api: FakeWeChatAPI, stack: Stack, wall: float
) -> dict[str, Any]:
    users = [r.user for r in results]
    duplicated = 0
    for user in users:
        texts = [c.text for c in api.sent("message/custom/send", user)]
        for _, _, expect in SCRIPT:
            duplicated += max(0, sum(expect in t for t in texts) - 1)
    assert stack.database_url
    with closing(sqlite3.connect(stack.database_url.removeprefix("sqlite:///"))) as conn:
        marks = ",".join("?" * len(users))
        filed = conn.execute(
            f"SELECT COUNT(*) FROM issues WHERE channel = 'wechat' AND reporter_sender_id IN ({marks})",
            users,
        ).fetchone()[0]
        photos = conn.execute(
            f"SELECT COUNT(*) FROM evidence WHERE issue_id IS NOT NULL AND sender_id IN ({marks})",
            users,
        ).fetchone()[0]
    acks = [a for r in results for a in r.ack_s]
    replies = [s for r in results for s in r.reply_s]
    return {
        "users": len(results),
        "messages_posted": len(acks),
        "wall_s": round(wall, 1),
        "ack_max_s": round(max(acks), 3) if acks else None,
        "ack_p95_s": round(pct(acks, 0.95), 3),
        "reply_p50_s": round(pct(replies, 0.5), 2),
        "reply_p95_s": round(pct(replies, 0.95), 2),
        "reply_max_s": round(max(replies), 2) if replies else None,
        "lost": sum(r.lost for r in results),
        "duplicated": duplicated,
        "issues_filed": filed,
        "issues_expected": len(results),
        "photos_attached": photos,
        "errors": sorted({r.error for r in results if r.error}),
    }


def print_figures(f: dict[str, Any]) -> None:
    print(
        f"\nWeChat load: {f['users']} citizens, {f['messages_posted']} webhook posts "
        f"(photos posted twice), {f['wall_s']} s"
    )
    print(
        f"  immediate answer      max {f['ack_max_s']} s   p95 {f['ack_p95_s']} s   (WeChat: 5 s)"
    )
    print(
        f"  bot reply delivered   p50 {f['reply_p50_s']} s   p95 {f['reply_p95_s']} s   "
        f"max {f['reply_max_s']} s"
    )
    print(f"  replies lost          {f['lost']}")
    print(f"  replies duplicated    {f['duplicated']}")
    print(
        f"  issues filed          {f['issues_filed']} / {f['issues_expected']}   "
        f"photos attached {f['photos_attached']}"
    )
    if f["errors"]:
        print(f"  errors                {f['errors']}")
    print(json.dumps(f, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
