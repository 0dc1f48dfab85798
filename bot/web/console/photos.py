"""What the issue page says under each photo: its EXIF capture time and position, how far and how
long before the report it was taken, and the doubts (bot/casework/evidence.py check_photo).

Read from the stored original on each view: the file is the evidence, so the page shows what it
says now, and a photo without metadata (WeChat strips it) says so honestly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.casework.evidence import (
    EvidenceView,
    PhotoCheck,
    blob_path,
    check_photo,
    evidence_rules,
)
from bot.casework.exif import read_photo
from bot.casework.schemas import IssueView
from bot.web.console.formatting import local_time

logger = logging.getLogger(__name__)


def photo_notes(
    issue: IssueView, evidence: Sequence[EvidenceView], folder: Path, tz: ZoneInfo
) -> dict[int, dict[str, Any]]:
    """For each photo of the issue (by evidence id): `text` (one line) and `flags` (doubts)."""
    pin = (
        (issue.latitude, issue.longitude)
        if issue.latitude is not None and issue.longitude is not None
        else None
    )
    out: dict[int, dict[str, Any]] = {}
    for ev in evidence:
        if ev.kind != "image":
            continue
        facts = read_photo(blob_path(folder, ev.sha256), tz)
        check = check_photo(
            facts,
            reported_at=issue.created_at,
            received_at=ev.received_at,
            pin=pin,
            channel=issue.channel,
        )
        out[ev.id] = {"text": _line(check, tz), "flags": _flags(check)}
    return out


def _line(check: PhotoCheck, tz: ZoneInfo) -> str:
    said = texts.table("staff", "console.photo")
    facts = check.facts
    if facts.state == "unreadable":
        reason = said["reasons"].get(facts.reason or "", said["reasons"]["not_an_image"])
        return texts.text("staff", "console.photo.unreadable", reason=reason)
    if facts.state == "none":
        return str(said["none"])
    parts = []
    if facts.taken_at is not None:
        when = texts.text("staff", "console.photo.taken", time=local_time(facts.taken_at, tz))
        parts.append(when + (said["zone_assumed"] if facts.zone_assumed else ""))
    else:
        parts.append(said["no_time"])
    if facts.latitude is not None and facts.longitude is not None:
        parts.append(
            texts.text(
                "staff",
                "console.photo.position",
                lat=f"{facts.latitude:.6f}",
                lon=f"{facts.longitude:.6f}",
            )
        )
        if check.distance_m is not None:
            km = f"{check.distance_m / 1000:.1f}"
            parts.append(texts.text("staff", "console.photo.distance", km=km))
    else:
        parts.append(said["no_position"])
    return " · ".join(parts)


def _flags(check: PhotoCheck) -> list[str]:
    rules = evidence_rules()
    out = []
    for flag in check.flags:
        if flag == "old" and check.age is not None:
            out.append(
                texts.text(
                    "staff",
                    "console.photo.flags.old",
                    days=check.age.days,
                    limit=rules.max_age_days,
                )
            )
        elif flag == "far" and check.distance_m is not None:
            out.append(
                texts.text(
                    "staff",
                    "console.photo.flags.far",
                    km=f"{check.distance_m / 1000:.1f}",
                    limit=f"{rules.max_distance_km:g}",
                )
            )
        elif flag == "after_receipt":
            out.append(texts.text("staff", "console.photo.flags.after_receipt"))
    return out
