"""Evidence files from the channels (固化证据): stored by SHA-256 on receipt, attached at filing.

WeChat media ids expire after 3 days, so the channel downloads a photo, video or voice note the
moment it arrives and hands it to the app (bot/web/channels.py), which keeps the original bytes
under `settings.evidence_dir` and a row in `evidence` for the conversation. When the citizen's
report is filed, `attach_pending` moves the conversation's loose evidence onto the new issue in
the same transaction.

A photo's EXIF capture time and GPS position (bot/casework/exif.py) are checked against the
report by `check_photo`, with the thresholds of bot/data/evidence.yml: taken long before the
report, far from the reported pin (in the pin's datum, bot/casework/datums.py), or after it
arrived.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import datafiles
from bot.casework.datums import distance_m, pin_datum, to_datum
from bot.casework.db import Transactional
from bot.casework.exif import PhotoFacts
from bot.casework.models import Evidence, Issue, utcnow
from bot.config import DATA_DIR

logger = logging.getLogger(__name__)

#: document: a PDF or Word/Excel file staff attach when registering (bot/casework/attachments.py).
KINDS = frozenset({"image", "video", "voice", "link", "document"})


@dataclass(frozen=True)
class EvidenceView:
    """One evidence record as the API returns it (no file bytes, no personal data)."""

    id: int
    issue_id: int | None
    channel: str
    kind: str
    msg_id: str | None
    sha256: str
    size: int
    content_type: str
    received_at: datetime
    note: str | None

    @classmethod
    def of(cls, row: Evidence) -> EvidenceView:
        return cls(
            row.id,
            row.issue_id,
            row.channel,
            row.kind,
            row.msg_id,
            row.sha256,
            row.size,
            row.content_type,
            row.received_at,
            row.note,
        )


Flag = Literal["old", "far", "after_receipt"]


@dataclass(frozen=True)
class EvidenceRules:
    """bot/data/evidence.yml: when a photo's own time and place throw doubt on it."""

    max_age_days: int
    max_distance_km: float
    clock_tolerance_hours: int

    def __post_init__(self) -> None:
        for name in ("max_age_days", "max_distance_km", "clock_tolerance_hours"):
            if getattr(self, name) <= 0:
                raise datafiles.Invalid("must be more than 0", name)


@lru_cache(maxsize=1)
def evidence_rules() -> EvidenceRules:
    return datafiles.load(DATA_DIR / "evidence.yml", EvidenceRules)


@dataclass(frozen=True)
class PhotoCheck:
    """A photo's facts and what they say against the report.

    `age` is how long before the report it was taken (negative: after); `distance_m` how far it
    was taken from the reported pin, both datums made the same; `flags` the doubts raised.
    """

    facts: PhotoFacts
    age: timedelta | None
    distance_m: float | None
    flags: tuple[Flag, ...]


def check_photo(
    facts: PhotoFacts,
    *,
    reported_at: datetime,
    received_at: datetime,
    pin: tuple[float, float] | None,
    channel: str,
    rules: EvidenceRules | None = None,
) -> PhotoCheck:
    """Flags a photo taken more than max_age_days before the report, more than max_distance_km
    from the pin (when the issue has one), or after the file reached us (a wrong clock)."""
    rules = rules or evidence_rules()
    flags: list[Flag] = []
    age = reported_at - facts.taken_at if facts.taken_at else None
    if age is not None and age > timedelta(days=rules.max_age_days):
        flags.append("old")
    if facts.taken_at and facts.taken_at - received_at > timedelta(
        hours=rules.clock_tolerance_hours
    ):
        flags.append("after_receipt")
    distance = None
    if pin is not None and facts.latitude is not None and facts.longitude is not None:
        # EXIF is WGS-84, as GPS writes it; the pin is in its channel's datum (datums.yml).
        taken = to_datum((facts.latitude, facts.longitude), "wgs84", pin_datum(channel))
        distance = distance_m(taken, pin)
        if distance > rules.max_distance_km * 1000:
            flags.append("far")
    return PhotoCheck(facts, age, distance, tuple(flags))


def blob_path(folder: Path, sha256: str) -> Path:
    """Where the bytes with this hash live: <folder>/ab/abcdef…; one file per content."""
    return folder / sha256[:2] / sha256


def save_blob(folder: Path, data: bytes) -> str:
    """Writes `data` once under its SHA-256 (atomic rename) and returns the hash."""
    sha = hashlib.sha256(data).hexdigest()
    path = blob_path(folder, sha)
    if path.exists() and path.stat().st_size == len(data):
        return sha
    # Owner only, whatever the process's umask (the files are 0600 from mkstemp): evidence can
    # show the reporter.
    path.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return sha


def attach_pending(session: Session, issue: Issue) -> int:
    """Inside the filing transaction: the reporter's not-yet-attached evidence joins `issue`.

    Returns how many files were attached; with any, the issue is marked as having evidence.
    """
    if not issue.reporter_sender_id:
        return 0
    result = session.execute(
        update(Evidence)
        .where(
            Evidence.channel == issue.channel,
            Evidence.sender_id == issue.reporter_sender_id,
            Evidence.issue_id.is_(None),
        )
        .values(issue_id=issue.id)
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        issue.has_evidence = True
        logger.info("attached %d evidence file(s) to %s", count, issue.ticket)
    return count


class EvidenceStore:
    """Evidence rows next to the ledger; shares the case store's database and transactions."""

    def __init__(self, store: Transactional, folder: Path) -> None:
        self.store = store
        self.folder = folder

    def add(
        self,
        *,
        channel: str,
        sender_id: str,
        kind: str,
        data: bytes,
        content_type: str,
        received_at: datetime | None = None,
        msg_id: str | None = None,
        media_id: str | None = None,
        note: str | None = None,
    ) -> tuple[EvidenceView, bool]:
        """Keeps the file and its record; the same (channel, msg_id) again returns the first one."""
        if kind not in KINDS:
            raise ValueError(f"unknown evidence kind {kind!r}")
        if msg_id and (existing := self._by_msg(channel, msg_id)) is not None:
            return existing, False
        sha = save_blob(self.folder, data)
        row = Evidence(
            channel=channel,
            sender_id=sender_id,
            kind=kind,
            msg_id=msg_id,
            media_id=media_id,
            sha256=sha,
            size=len(data),
            content_type=content_type[:100],
            received_at=received_at or utcnow(),
            stored_at=utcnow(),
            note=note,
        )
        try:
            with self.store.transaction() as s:
                s.add(row)
                s.flush()
                view = EvidenceView.of(row)
        except IntegrityError:
            # A retry of the same upload raced the first one: the first one is the record.
            if msg_id and (existing := self._by_msg(channel, msg_id)) is not None:
                return existing, False
            raise
        logger.info("evidence %s kind=%s size=%d stored", sha[:12], kind, len(data))
        return view, True

    def _by_msg(self, channel: str, msg_id: str) -> EvidenceView | None:
        with self.store.transaction() as s:
            row = s.execute(
                select(Evidence).where(Evidence.channel == channel, Evidence.msg_id == msg_id)
            ).scalar_one_or_none()
            return EvidenceView.of(row) if row else None

    def for_ticket(self, ticket: str) -> list[EvidenceView]:
        with self.store.transaction() as s:
            rows = s.execute(
                select(Evidence)
                .join(Issue, Issue.id == Evidence.issue_id)
                .where(Issue.ticket == ticket)
                .order_by(Evidence.id)
            ).scalars()
            return [EvidenceView.of(r) for r in rows]

    def pending_for(self, channel: str, sender_id: str) -> list[EvidenceView]:
        """Evidence of a conversation that no filed issue holds yet."""
        with self.store.transaction() as s:
            rows = s.execute(
                select(Evidence)
                .where(
                    Evidence.channel == channel,
                    Evidence.sender_id == sender_id,
                    Evidence.issue_id.is_(None),
                )
                .order_by(Evidence.id)
            ).scalars()
            return [EvidenceView.of(r) for r in rows]
