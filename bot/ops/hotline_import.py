"""Batch import of hotline transcripts (the end-of-shift export) through the hotline channel.

    python -m bot.ops.hotline_import export.jsonl           # one JSON object per line
    python -m bot.ops.hotline_import transcripts/            # *.txt (call id = file name), *.json, *.jsonl
    python -m bot.ops.hotline_import export.jsonl --report attention.csv --strict

Each call goes through `/webhooks/hotline/webhook` exactly as the agent's page does: the draft,
then answers for what is missing, then 「确认」. The caller cannot be asked any more, so time,
polluter and evidence that were not mentioned are answered 「不清楚」/「没有」 (noted in the
report; `--strict` leaves them to an agent). Calls still missing place or contact, calls to be
transferred, and filed calls with warnings are written to the report file. Re-running is safe:
a call id is filed once (client_ref hotline:<call_id>); a filed call answers with its ticket.

Exit status: 0 all filed, 1 some need attention or were rejected, 2 the channel is unreachable.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot import texts
from bot.config import TOKEN_HEADER
from bot.web.hotline_client import HotlineClient, HotlineReply, HotlineUnavailable

logger = logging.getLogger(__name__)

#: Fields a caller rarely mentions that an end-of-shift import may record as not known, with
#: the answer given for them (agent.yml import.answers).
OPTIONAL_ANSWERS: dict[str, str] = texts.table("agent", "import.answers")
MAX_TURNS = 8


@dataclass
class Record:
    """One call read from the export; `problem` is set when it could not be read at all."""

    source: str
    call_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


@dataclass
class Outcome:
    call_id: str | None
    source: str
    result: str  # filed / attention / rejected
    ticket: str | None = None
    reason: str = ""
    missing: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "source": self.source,
            "result": self.result,
            "ticket": self.ticket or "",
            "reason": self.reason,
            "missing": "；".join(
                texts.text(
                    "agent", "import.report.missing", label=m["label"], question=m["question"]
                )
                for m in self.missing
            ),
            "warnings": "；".join(self.warnings),
            "assumed": "、".join(self.assumed),
        }


# -- reading --------------------------------------------------------------------------------------
def _decode(raw: bytes) -> str | None:
    if b"\x00" in raw:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _record(obj: Any, source: str) -> Record:
    if not isinstance(obj, dict):
        return Record(source, None, problem=texts.text("agent", "import.problems.not_an_object"))
    call_id = obj.get("call_id")
    payload = {
        k: obj.get(k)
        for k in ("call_id", "transcript", "caller_number", "agent_id", "started_at")
        if obj.get(k) is not None
    }
    return Record(source, str(call_id) if call_id is not None else None, payload)


def _jsonl(path: Path) -> Iterator[Record]:
    text = _decode(path.read_bytes())
    if text is None:
        yield Record(str(path), None, problem=texts.text("agent", "import.problems.not_text"))
        return
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            yield _record(json.loads(line), where)
        except ValueError:
            yield Record(where, None, problem=texts.text("agent", "import.problems.bad_line"))


def read_records(path: Path) -> list[Record]:
    """Every call in a JSONL file or a folder of *.txt / *.json / *.jsonl files."""
    if path.is_file():
        if path.suffix == ".json":
            return list(_json_file(path))
        if path.suffix == ".txt":
            return list(_txt_file(path))
        return list(_jsonl(path))
    records: list[Record] = []
    for item in sorted(path.iterdir()):
        if item.suffix == ".jsonl":
            records.extend(_jsonl(item))
        elif item.suffix == ".json":
            records.extend(_json_file(item))
        elif item.suffix == ".txt":
            records.extend(_txt_file(item))
    return records


def _json_file(path: Path) -> Iterator[Record]:
    text = _decode(path.read_bytes())
    try:
        obj = json.loads(text) if text is not None else None
    except ValueError:
        obj = None
    if obj is None:
        yield Record(path.name, path.stem, problem=texts.text("agent", "import.problems.bad_file"))
        return
    for item in obj if isinstance(obj, list) else [obj]:
        yield _record(item, path.name)


def _txt_file(path: Path) -> Iterator[Record]:
    text = _decode(path.read_bytes())
    if text is None:
        yield Record(path.name, path.stem, problem=texts.text("agent", "import.problems.not_text"))
        return
    yield Record(path.name, path.stem, {"call_id": path.stem, "transcript": text})


# -- filing ---------------------------------------------------------------------------------------
def _reason(reply: HotlineReply) -> str:
    err = reply.error or {}
    return (
        err.get("reason")
        or f"{err.get('message', '')} ({err.get('message_en', reply.status_code)})"
    )


def import_one(client: HotlineClient, record: Record, *, strict: bool = False) -> Outcome:
    """Drafts, answers and confirms one call; never raises except when the channel is away."""
    if record.problem or not record.call_id:
        return Outcome(
            record.call_id,
            record.source,
            "rejected",
            reason=record.problem or texts.text("agent", "import.problems.no_call_id"),
        )
    reply = client.post(record.payload)
    if not reply.ok:
        return Outcome(record.call_id, record.source, "rejected", reason=_reason(reply))
    body = reply.body
    warnings = [str(w.get("message")) for w in body.get("warnings") or []]
    assumed: list[str] = []
    for _ in range(MAX_TURNS):
        status = body.get("status")
        if status == "filed":
            return Outcome(
                record.call_id,
                record.source,
                "filed",
                ticket=body.get("ticket"),
                warnings=warnings,
                assumed=assumed,
            )
        if status == "transfer":
            reason = (body.get("transfer") or {}).get("reason") or texts.text(
                "agent", "import.reasons.not_environmental"
            )
            return Outcome(
                record.call_id,
                record.source,
                "attention",
                reason=texts.text("agent", "import.reasons.transfer", reason=reason),
                warnings=warnings,
            )
        missing = body.get("missing") or []
        if status == "confirm" and not missing:
            reply = client.follow_up(record.call_id, texts.text("agent", "import.confirm"))
        elif missing and not strict and missing[0]["field"] in OPTIONAL_ANSWERS:
            name = missing[0]["field"]
            assumed.append(missing[0]["label"])
            reply = client.follow_up(record.call_id, OPTIONAL_ANSWERS[name])
        else:
            return Outcome(
                record.call_id,
                record.source,
                "attention",
                reason=texts.text("agent", "import.reasons.missing")
                if missing
                else texts.text("agent", "import.reasons.status", status=status),
                missing=missing,
                warnings=warnings,
                assumed=assumed,
            )
        if not reply.ok:
            return Outcome(
                record.call_id,
                record.source,
                "attention",
                reason=_reason(reply),
                warnings=warnings,
                assumed=assumed,
            )
        body = reply.body
    return Outcome(
        record.call_id,
        record.source,
        "attention",
        reason=texts.text("agent", "import.reasons.no_progress"),
        missing=body.get("missing") or [],
        warnings=warnings,
        assumed=assumed,
    )


def write_report(path: Path, outcomes: list[Outcome]) -> None:
    rows = [o.row() for o in outcomes]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as f:  # Excel reads the BOM
            writer = csv.DictWriter(f, fieldnames=list(Outcome(None, "", "").row()))
            writer.writeheader()
            writer.writerows(rows)
    else:
        with path.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.ops.hotline_import",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", type=Path, help=texts.text("agent", "import.help.path"))
    parser.add_argument(
        "--report", type=Path, default=None, help=texts.text("agent", "import.help.report")
    )
    parser.add_argument(
        "--strict", action="store_true", help=texts.text("agent", "import.help.strict")
    )
    parser.add_argument(
        "--rasa-url", default=None, help=texts.text("agent", "import.help.rasa_url")
    )
    parser.add_argument("--token", default=None, help=texts.text("agent", "import.help.token"))
    parser.add_argument(
        "--quiet", action="store_true", help=texts.text("agent", "import.help.quiet")
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.path.exists():
        print(texts.text("agent", "import.cli.not_found", path=args.path), file=sys.stderr)
        return 2
    records = read_records(args.path)
    client = HotlineClient.from_env(args.rasa_url, args.token)
    outcomes: list[Outcome] = []
    try:
        for record in tqdm(
            records,
            desc=texts.text("agent", "import.cli.progress"),
            unit=texts.text("agent", "import.cli.unit"),
            disable=args.quiet,
            file=sys.stderr,
        ):
            outcomes.append(import_one(client, record, strict=args.strict))
    except HotlineUnavailable as exc:
        print(texts.text("agent", "import.cli.unreachable", error=exc), file=sys.stderr)
        return 2
    finally:
        client.close()
    if any(o.result == "rejected" and TOKEN_HEADER in o.reason for o in outcomes):
        print(texts.text("agent", "import.cli.token_refused"), file=sys.stderr)
    filed = [o for o in outcomes if o.result == "filed"]
    attention = [o for o in outcomes if o.result == "attention"]
    rejected = [o for o in outcomes if o.result == "rejected"]
    flagged = [o for o in filed if o.warnings or o.assumed]
    report = args.report or Path(f"hotline-import-{datetime.now():%Y%m%d-%H%M%S}.jsonl")
    write_report(report, attention + rejected + flagged)
    counts = {
        "total": len(outcomes),
        "filed": len(filed),
        "flagged": len(flagged),
        "attention": len(attention),
        "rejected": len(rejected),
    }
    print(texts.text("agent", "import.cli.summary", **counts))
    print(texts.text("agent", "import.cli.summary_en", **counts))
    for o in rejected:
        print(
            texts.text(
                "agent",
                "import.cli.rejected",
                call_id=o.call_id or "-",
                source=o.source,
                reason=o.reason,
            )
        )
    for o in attention:
        labels = "、".join(m["label"] for m in o.missing)
        missing = texts.text("agent", "import.cli.missing", labels=labels) if labels else ""
        print(
            texts.text(
                "agent",
                "import.cli.attention",
                call_id=o.call_id,
                source=o.source,
                reason=o.reason,
                missing=missing,
            )
        )
    print(texts.text("agent", "import.cli.report", path=report))
    return 0 if not attention and not rejected else 1


if __name__ == "__main__":
    sys.exit(main())
