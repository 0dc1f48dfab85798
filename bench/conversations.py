"""Whole conversations as citizens write them (issue 16): a simulated citizen drives the real stack
over the REST channel, and the filed issue is read back from the ledger.

    .venv-app/bin/python bench/conversations.py --scenarios FILE.yaml [FILE.yaml ...]
                                                [--out RESULTS.jsonl] [--concurrency 4]

Starts its own stack (trained Rasa server, action server, app) on a fresh SQLite ledger in a
temporary folder, as bench/turns.py does; one stack per deployment (province, city) named by the
files. Scenario files (bench/data/conversations/*.yaml): `set`, `style`, `deployment.{province,
city}`, `scenarios[]` with `id`, `kind` (report | borderline | not_ours), `opening`,
`answers.{place, type, time, polluter, evidence, contact}` and `expected.{district, categories,
polluter, redirect}`.

The citizen sends the opening, then answers only what the bot asks, with the scenario's answers
verbatim. Each bot turn is read from its last question message (one containing ？/? or a request
such as 请问/请回复/请输入/请留下/请描述); text in quotes (“…”「…」) is ignored for the fact words:
- a ticket ([A-Z]{2,4}-\\d{8}-\\d{4,6}) anywhere in the turn ends the conversation, if the ledger
  has it (the bot's help texts show an example ticket, HB-20261122-0007);
- not understood (没太明白, 没明白, 不明白, 没听懂, 哪一项需要修改) → other;
- read-back (对吗, 确认无误, 是否正确, 回复“确认”) → 「确认」 (「对」 when the text does not say 确认);
- fact words, the earliest one in the question wins (the bot's ask.* texts in
  bot/data/texts/citizen.yml): place 哪里/在哪/区县/乡镇/街道/地点/位置/地址/什么地方;
  type 描述/哪一类/哪类/什么问题/什么情况/什么污染/类型; time 什么时候/时间/何时/多久/几点;
  polluter 哪家/单位/个人造成/谁/被举报/叫什么; evidence 照片/视频/证据/图片;
  contact 手机/电话/联系方式/号码/匿名 → that fact's answer ("不清楚" when the scenario has none);
- numbered choices (lines "1. …" in the text, or buttons titled "1 …") asked about a place or
  about nothing recognised → the number of the choice naming expected.district, else 1;
- anything else → other: counted; the first time the citizen sends the opening again, the
  second time it gives up. At most 20 citizen messages.

Scoring:
- filed right (report, borderline): an issue was filed for the conversation, its district is the
  expected one (same unit up to 县/市/区, as bench/extraction.py), its categories equal the expected
  set with 油烟 and 扬尘 counted as 大气 on both sides, and, when expected.polluter is set, its
  polluter matches (containment either way or character Dice ≥ 0.5, bench/extraction.py's
  polluter_match); a null expected polluter accepts any.
- redirected right (not_ours): nothing filed, and some bot reply names the expected target (any
  of its parts split at / 、 ， , ; 或 和 and brackets, e.g. 110, 12345, 12315, 物业).
- extra questions per report (report and borderline, over all of them): questions about a fact
  already given. A fact counts as given once the citizen has sent that fact's answer, or, for the
  place, when the opening names the expected district's short name (涪城 for 涪城区), and, for the
  polluter, when the opening contains the expected polluter. Type and time said in the opening do
  not count as given, and evidence and contact are missing until stated, so this is a lower bound.
  Numbered place choices and read-backs are not extra questions.
- turns to file: citizen messages sent up to and including the one that got the ticket (median
  and mean over the filed reports).

Also shown: district, category set and polluter separately (shares of the reports), reports with
at least one extra question (a bot that re-asks a question 18 times weighs heavily on the mean),
questions about facts per report, bot turns the citizen could not answer ("other"), gave up, and
conversations stopped at 20 turns without a ticket.

Prints a table per set and overall, then ONE JSON line. --out writes one JSON line per scenario
(dialogue, questions, ticket, filed fields, verdicts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.extraction import categories as category_set  # noqa: E402
from bench.extraction import district_key, polluter_match, same_district  # noqa: E402

FACTS = ("place", "type", "time", "polluter", "evidence", "contact")
MAX_TURNS = 20
TICKET = re.compile(r"[A-Z]{2,4}-\d{8}-\d{4,6}")
UNKNOWN_ANSWER = "不清楚"

#: What makes a bot message a question (a request counts too).
QUESTION_MARKS = (
    "？",
    "?",
    "请问",
    "请回复",
    "请输入",
    "请留下",
    "请描述",
    "请提供",
    "请告诉",
    "请说",
)
#: The bot did not understand, or asks which field to change: nothing a fact answers.
NOT_UNDERSTOOD = ("没太明白", "没明白", "不明白", "没听懂", "哪一项需要修改")
#: The read-back asking to confirm.
CONFIRM = ("对吗", "确认无误", "是否正确", "回复“确认”", "回复「确认」", '回复"确认"')
#: Words of the bot's questions for each fact (bot/data/texts/citizen.yml ask.*).
FACT_WORDS: dict[str, tuple[str, ...]] = {
    "place": ("哪里", "在哪", "区县", "乡镇", "街道", "地点", "位置", "地址", "什么地方"),
    "type": ("描述", "哪一类", "哪类", "什么问题", "什么情况", "什么污染", "类型"),
    "time": ("什么时候", "时间", "何时", "多久", "几点"),
    "polluter": ("哪家", "单位", "个人造成", "谁", "被举报", "叫什么"),
    "evidence": ("照片", "视频", "证据", "图片"),
    "contact": ("手机", "电话", "联系方式", "号码", "匿名"),
}
QUOTED = re.compile(r"“[^”]*”|「[^」]*」|\"[^\"]*\"")
NUMBERED_LINE = re.compile(r"(?m)^\s*(\d{1,2})\s*[.、．)）:：]\s*(\S.*)$")
NUMBERED_BUTTON = re.compile(r"^\s*(\d{1,2})[\s.、．)）:：]+(\S.*)$")
REDIRECT_SPLIT = re.compile(r"[/、，,;；或和()（）\s]+")


# -- the citizen ------------------------------------------------------------------------------
@dataclass
class Question:
    """What one bot turn asks: kind is ticket, confirm, fact, choice or other."""

    kind: str
    fact: str | None = None
    choices: list[tuple[int, str]] = field(default_factory=list)
    text: str = ""


def _texts(messages: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(m.get("text") or "") for m in messages if m.get("text")]


def _choices(message: Mapping[str, Any] | None, text: str) -> list[tuple[int, str]]:
    found = [(int(n), rest.strip()) for n, rest in NUMBERED_LINE.findall(text)]
    for button in (message or {}).get("buttons") or []:
        m = NUMBERED_BUTTON.match(str(button.get("title") or ""))
        if m:
            found.append((int(m.group(1)), m.group(2).strip()))
    return found if len(found) >= 2 else []


def fact_of(text: str) -> str | None:
    """The fact a question asks about: the one whose word comes first (quotes ignored)."""
    bare = QUOTED.sub("", text)
    best: tuple[int, int] | None = None
    fact = None
    for order, (name, words) in enumerate(FACT_WORDS.items()):
        positions = [bare.find(w) for w in words if w in bare]
        if positions and (best is None or (min(positions), order) < best):
            best = (min(positions), order)
            fact = name
    return fact


def classify(
    messages: Sequence[Mapping[str, Any]], is_filed: Callable[[str], bool] | None = None
) -> Question:
    """What a bot turn (the REST channel's list of {text, buttons}) asks the citizen. A ticket
    counts only when `is_filed` (the ledger) knows it: the bot's help texts show an example one."""
    texts = _texts(messages)
    joined = "\n".join(texts)
    tickets = TICKET.findall(joined)
    if any(is_filed is None or is_filed(t) for t in tickets):
        return Question("ticket", text=joined)
    asking = [m for m in messages if any(q in str(m.get("text") or "") for q in QUESTION_MARKS)]
    if not asking:
        return Question("other", text=joined)
    last = asking[-1]
    text = str(last.get("text") or "")
    if any(w in text for w in NOT_UNDERSTOOD):
        return Question("other", text=text)
    if any(w in text for w in CONFIRM):
        return Question("confirm", text=text)
    fact = fact_of(text)
    choices = _choices(last, text)
    if choices and fact in (None, "place"):
        return Question("choice", fact="place", choices=choices, text=text)
    if fact:
        return Question("fact", fact=fact, text=text)
    return Question("other", text=text)


def pick_choice(choices: Sequence[tuple[int, str]], district: str | None) -> str:
    """The number of the choice naming the expected district, else the first one's."""
    key = district_key(district)
    for number, label in choices:
        if district and (district in label or (key and key in label)):
            return str(number)
    return str(choices[0][0]) if choices else "1"


def given_at_start(scenario: Mapping[str, Any]) -> set[str]:
    """Facts the opening gives: the place when it names the expected district's short name, the
    polluter when it contains the expected polluter."""
    opening = str(scenario.get("opening") or "")
    expected = scenario.get("expected") or {}
    given: set[str] = set()
    key = district_key(expected.get("district"))
    if key and key in opening:
        given.add("place")
    polluter = expected.get("polluter")
    if polluter and str(polluter) in opening:
        given.add("polluter")
    return given


class Citizen:
    """Answers what the bot asks with the scenario's answers; keeps the score of the questions."""

    def __init__(self, scenario: Mapping[str, Any]) -> None:
        self.scenario = scenario
        self.answers = scenario.get("answers") or {}
        self.expected = scenario.get("expected") or {}
        self.given = given_at_start(scenario)
        self.questions: list[dict[str, Any]] = []
        self.others = 0
        self.gave_up = False

    def opening(self) -> str:
        return str(self.scenario["opening"])

    def reply(self, q: Question) -> str | None:
        """The next message, or None when the citizen stops (ticket, or gave up)."""
        if q.kind == "ticket":
            return None
        record: dict[str, Any] = {"kind": q.kind, "fact": q.fact, "extra": False}
        self.questions.append(record)
        if q.kind == "confirm":
            return "确认" if "确认" in q.text else "对"
        if q.kind == "choice":
            return pick_choice(q.choices, self.expected.get("district"))
        if q.kind == "fact" and q.fact:
            record["extra"] = q.fact in self.given
            self.given.add(q.fact)
            answer = self.answers.get(q.fact)
            return str(answer) if answer not in (None, "") else UNKNOWN_ANSWER
        self.others += 1
        if self.others == 1:
            return self.opening()
        self.gave_up = True
        return None

    @property
    def extra_questions(self) -> int:
        return sum(1 for q in self.questions if q["extra"])

    @property
    def fact_questions(self) -> int:
        return sum(1 for q in self.questions if q["kind"] == "fact")


# -- scoring ----------------------------------------------------------------------------------
def same_categories(filed: Iterable[str], expected: Iterable[str]) -> bool:
    """Equal sets of categories, 油烟 and 扬尘 counted as 大气 on both sides."""
    return category_set(filed) == category_set(expected)


def polluter_right(filed: str | None, expected: str | None) -> bool:
    return True if not expected else polluter_match(filed, expected)


def redirect_targets(target: Any) -> list[str]:
    """The parts of an expected redirect (110/公安 → 110, 公安); YAML may give a number."""
    return [p for p in REDIRECT_SPLIT.split("" if target is None else str(target)) if p]


def mentions_redirect(replies: Iterable[str], target: Any) -> bool:
    parts = redirect_targets(target)
    text = "\n".join(replies)
    return bool(parts) and any(p in text for p in parts)


def filed_right(issue: Mapping[str, Any] | None, expected: Mapping[str, Any], deploy: Any) -> bool:
    if not issue:
        return False
    province, city = deploy
    return (
        same_district(issue.get("district"), expected.get("district"), province, city)
        and same_categories(issue.get("categories") or [], expected.get("categories") or [])
        and polluter_right(issue.get("polluter"), expected.get("polluter"))
    )


def verdicts(result: Mapping[str, Any], deploy: Any) -> dict[str, Any]:
    expected = result["expected"]
    issue = result["issue"]
    if result["kind"] == "not_ours":
        return {
            "redirected_right": issue is None
            and mentions_redirect(result["bot_texts"], expected.get("redirect"))
        }
    return {
        "filed": issue is not None,
        "filed_right": filed_right(issue, expected, deploy),
        "district_right": bool(issue)
        and same_district(issue.get("district"), expected.get("district"), *deploy),
        "categories_right": bool(issue)
        and same_categories(issue.get("categories") or [], expected.get("categories") or []),
        "polluter_right": bool(issue)
        and polluter_right(issue.get("polluter"), expected.get("polluter")),
    }


def summarise(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    reports = [r for r in results if r["kind"] != "not_ours"]
    not_ours = [r for r in results if r["kind"] == "not_ours"]
    turns = [r["turns_to_file"] for r in reports if r["turns_to_file"] is not None]

    def share(rows: Sequence[Mapping[str, Any]], key: str) -> float | None:
        return round(sum(bool(r["verdict"][key]) for r in rows) / len(rows), 3) if rows else None

    return {
        "scenarios": len(results),
        "reports": len(reports),
        "filed": sum(bool(r["verdict"]["filed"]) for r in reports),
        "filed_right": sum(bool(r["verdict"]["filed_right"]) for r in reports),
        "filed_right_share": share(reports, "filed_right"),
        "district_right_share": share(reports, "district_right"),
        "categories_right_share": share(reports, "categories_right"),
        "polluter_right_share": share(reports, "polluter_right"),
        "not_ours": len(not_ours),
        "redirected_right": sum(bool(r["verdict"]["redirected_right"]) for r in not_ours),
        "redirected_right_share": share(not_ours, "redirected_right"),
        "extra_questions_per_report": round(
            sum(r["extra_questions"] for r in reports) / len(reports), 3
        )
        if reports
        else None,
        "reports_with_extra_questions": sum(1 for r in reports if r["extra_questions"]),
        "questions_per_report": round(sum(r["fact_questions"] for r in reports) / len(reports), 3)
        if reports
        else None,
        "turns_to_file_median": float(statistics.median(turns)) if turns else None,
        "turns_to_file_mean": round(statistics.fmean(turns), 2) if turns else None,
        "not_understood_turns": sum(r["others"] for r in results),
        "gave_up": sum(bool(r["gave_up"]) for r in results),
        "hit_turn_limit": sum(1 for r in results if r["turns"] >= MAX_TURNS and not r["ticket"]),
    }


# -- driving the stack ------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _issue_fields(view: Any) -> dict[str, Any]:
    return {
        "ticket": view.ticket,
        "district": view.district,
        "town": view.town,
        "categories": list(view.categories or []),
        "polluter": view.polluter,
        "time_text": view.time_text,
        "has_evidence": view.has_evidence,
        "anonymous": view.anonymous,
        "route_rule": view.route_rule,
    }


async def run_scenario(
    client: httpx.AsyncClient, rasa_url: str, store: Any, scenario: Mapping[str, Any], run: str
) -> dict[str, Any]:
    sender = f"conv-{run}-{scenario['id']}"
    citizen = Citizen(scenario)
    dialogue: list[dict[str, Any]] = []
    bot_texts: list[str] = []
    ticket = None
    turns_to_file = None
    message: str | None = citizen.opening()
    turns = 0
    while message is not None and turns < MAX_TURNS:
        turns += 1
        r = await client.post(
            f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}
        )
        r.raise_for_status()
        replies = r.json() or []
        dialogue.append({"citizen": message, "bot": replies})
        bot_texts.extend(_texts(replies))
        q = classify(replies, lambda t: store.get(t) is not None)
        if q.kind == "ticket":
            ticket = next((t for t in TICKET.findall(q.text) if store.get(t) is not None), None)
            turns_to_file = turns
        message = citizen.reply(q)
    view = store.get(ticket) if ticket else None
    if view is None:
        # The REST channel keeps each conversation as rest:<sender> (its own namespace).
        filed = store.for_sender(f"rest:{sender}", limit=1) or store.for_sender(sender, limit=1)
        view = filed[0] if filed else None
        if view is not None and turns_to_file is None:
            turns_to_file = turns
    return {
        "id": scenario["id"],
        "kind": scenario.get("kind", "report"),
        "expected": scenario.get("expected") or {},
        "turns": turns,
        "turns_to_file": turns_to_file if view is not None else None,
        "ticket": ticket or (view.ticket if view else None),
        "issue": _issue_fields(view) if view is not None else None,
        "questions": citizen.questions,
        "fact_questions": citizen.fact_questions,
        "extra_questions": citizen.extra_questions,
        "others": citizen.others,
        "gave_up": citizen.gave_up,
        "bot_texts": bot_texts,
        "dialogue": dialogue,
    }


def load(paths: Sequence[str]) -> list[dict[str, Any]]:
    sets = []
    for p in paths:
        data = yaml.safe_load(Path(p).read_text(encoding="utf-8"))
        dep = data.get("deployment") or {}
        sets.append(
            {
                "set": data.get("set") or Path(p).stem,
                "deployment": (dep.get("province") or "四川省", dep.get("city") or "绵阳市"),
                "scenarios": data.get("scenarios") or [],
            }
        )
    return sets


async def run_sets(
    sets: Sequence[dict[str, Any]], deploy: tuple[str, str], concurrency: int
) -> dict[str, list[dict[str, Any]]]:
    from bot.casework.store import CaseStore
    from bot.ops.stack import Ports, Stack

    var = Path(tempfile.mkdtemp(prefix="gw-conv-"))
    env = {"GW_DEPLOYMENT_PROVINCE": deploy[0], "GW_DEPLOYMENT_CITY": deploy[1]}
    stack = Stack(ports=Ports(_free_port(), _free_port(), _free_port()), var_dir=var, extra_env=env)
    print(f"starting the stack ({deploy[0]}{deploy[1]}) in {var} …", flush=True)
    t0 = time.perf_counter()
    stack.migrate()
    stack.start()
    print(f"  started in {time.perf_counter() - t0:.0f} s", flush=True)
    store = CaseStore.from_url(stack.database_url or "")
    run = uuid.uuid4().hex[:6]
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        async with httpx.AsyncClient(timeout=120.0) as client:
            gate = asyncio.Semaphore(concurrency)

            async def one(s: Mapping[str, Any], scenario: Mapping[str, Any]) -> dict[str, Any]:
                async with gate:
                    result = await run_scenario(client, stack.rasa_url, store, scenario, run)
                result["set"] = s["set"]
                result["verdict"] = verdicts(result, s["deployment"])
                return result

            for s in sets:
                t1 = time.perf_counter()
                out[s["set"]] = list(await asyncio.gather(*(one(s, sc) for sc in s["scenarios"])))
                print(
                    f"  {s['set']}: {len(s['scenarios'])} scenarios in "
                    f"{time.perf_counter() - t1:.0f} s",
                    flush=True,
                )
    finally:
        stack.stop()
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def print_table(rows: Mapping[str, Mapping[str, Any]]) -> None:
    head = (
        f"{'set':<10} {'reports':>7} {'filed':>5} {'filed right':>14} {'not ours':>8} "
        f"{'redirected right':>17} {'extra q/rep':>11} {'q/rep':>5} {'turns med':>9} "
        f"{'turns mean':>10} {'other':>5} {'gave up':>7} {'20 turns':>8}"
    )
    print(head)
    for name, s in rows.items():
        fr = f"{s['filed_right']}/{s['reports']} {_fmt(s['filed_right_share'])}"
        rr = f"{s['redirected_right']}/{s['not_ours']} {_fmt(s['redirected_right_share'])}"
        print(
            f"{name:<10} {s['reports']:>7} {s['filed']:>5} {fr:>14} {s['not_ours']:>8} {rr:>17} "
            f"{_fmt(s['extra_questions_per_report']):>11} {_fmt(s['questions_per_report']):>5} "
            f"{_fmt(s['turns_to_file_median']):>9} {_fmt(s['turns_to_file_mean']):>10} "
            f"{s['not_understood_turns']:>5} {s['gave_up']:>7} {s['hit_turn_limit']:>8}"
        )
    print(
        "filed right: district, category set (油烟/扬尘 = 大气) and named polluter; 'other': bot "
        "turns the citizen could not answer; '20 turns': stopped at the limit without a ticket"
    )
    for name, s in rows.items():
        print(
            f"  {name:<10} district {_fmt(s['district_right_share'])}  categories "
            f"{_fmt(s['categories_right_share'])}  polluter {_fmt(s['polluter_right_share'])}  "
            f"reports with an extra question {s['reports_with_extra_questions']}/{s['reports']}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenarios", nargs="+", required=True, help="scenario files (YAML)")
    parser.add_argument("--out", help="write one JSON line per scenario here")
    parser.add_argument("--concurrency", type=int, default=4, help="conversations at once")
    args = parser.parse_args()
    sets = load(args.scenarios)
    started = time.perf_counter()
    by_set: dict[str, list[dict[str, Any]]] = {}
    for deploy in dict.fromkeys(s["deployment"] for s in sets):
        group = [s for s in sets if s["deployment"] == deploy]
        by_set.update(asyncio.run(run_sets(group, deploy, args.concurrency)))
    seconds = round(time.perf_counter() - started, 1)
    rows = {name: summarise(results) for name, results in by_set.items()}
    rows["overall"] = summarise([r for results in by_set.values() for r in results])
    print_table(rows)
    print(f"{seconds} s in all")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            for results in by_set.values():
                for r in results:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(json.dumps({"sets": rows, "seconds": seconds}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
