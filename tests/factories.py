"""Test data factories."""

from __future__ import annotations

import itertools
from typing import Any

from bot.casework.commands import CaseWork
from bot.casework.schemas import IssueDraft, IssueView
from bot.casework.store import CaseStore

_seq = itertools.count(1)


def draft(**overrides: Any) -> IssueDraft:
    """A valid report draft; override any field."""
    n = next(_seq)
    fields: dict[str, Any] = {
        "channel": "rest",
        "client_ref": f"test-{n}",
        "reporter_sender_id": f"user-{n}",
        "reporter_phone": "13812345678",
        "categories": ["水"],
        "phenomenon": "工厂夜里偷排污水，河水发黑发臭",
        "province": "四川省",
        "city": "绵阳市",
        "district": "涪城区",
        "town": "青义镇",
        "address": "商家村三组河边",
        "time_text": "每天晚上",
        "polluter": "绵阳市某某化工有限公司",
        "has_evidence": True,
        "evidence_text": "拍了照片",
        "original_text": "青义镇商家村的化工厂每天晚上偷排污水，河水都黑了",
    }
    fields.update(overrides)
    return IssueDraft(**fields)


def quiet_work(store: CaseStore) -> CaseWork:
    """Case work over `store` whose outbox rows stay pending: no delivery worker runs, so no
    citizen is told anything during the test."""
    return CaseWork(store, notifier=lambda *_: None)


def close(work: CaseWork, ticket: str, *, actor: str = "t") -> IssueView:
    """Takes a received issue to `closed` the way staff do: 分办, 办结, then close."""
    work.route(ticket, department="生态环境局", district="涪城区", actor=actor)
    work.resolve(ticket, result="已查处", actor=actor)
    return work.change_status(ticket, "closed", actor=actor)
