"""Case store on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.casework.store import CaseStore
from bot.exceptions import StoreUnavailable
from tests.factories import draft


def test_file_assigns_a_readable_ticket_and_history(store: CaseStore) -> None:
    now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
    issue, created = store.file(draft(), now=now)
    assert created
    assert issue.ticket == "HB-20261122-0001"
    assert issue.status == "received"
    assert issue.created_at == now and issue.created_at.tzinfo is not None
    assert [(e.from_status, e.to_status) for e in issue.events] == [(None, "received")]


def test_ticket_day_is_the_local_day(store: CaseStore) -> None:
    late = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)  # 01:30 on the 23rd in Asia/Shanghai
    issue, _ = store.file(draft(), now=late)
    assert issue.ticket.startswith("HB-20261123-")


def test_tickets_count_up_per_day_and_never_repeat(store: CaseStore) -> None:
    day1 = datetime(2026, 11, 20, 4, tzinfo=UTC)
    day2 = datetime(2026, 11, 21, 4, tzinfo=UTC)
    t = [store.file(draft(), now=d)[0].ticket for d in (day1, day1, day2, day1)]
    assert t == ["HB-20261120-0001", "HB-20261120-0002", "HB-20261121-0001", "HB-20261120-0003"]


def test_same_client_ref_files_once(store: CaseStore) -> None:
    a, created_a = store.file(draft(client_ref="rest:abc"))
    b, created_b = store.file(draft(client_ref="rest:abc", phenomenon="另一段文字"))
    assert created_a and not created_b
    assert a.ticket == b.ticket and store.count() == 1


def test_concurrent_filings_get_distinct_tickets(store: CaseStore) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        tickets = list(pool.map(lambda _: store.file(draft())[0].ticket, range(24)))
    assert len(set(tickets)) == 24
    numbers = sorted(int(t.rsplit("-", 1)[1]) for t in tickets)
    assert numbers == list(range(1, 25))


def test_concurrent_retries_of_one_report_file_once(store: CaseStore) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        tickets = set(
            pool.map(lambda _: store.file(draft(client_ref="rest:same"))[0].ticket, range(12))
        )
    assert len(tickets) == 1 and store.count() == 1


def test_for_sender_newest_first(store: CaseStore) -> None:
    old = store.file(draft(reporter_sender_id="u1"), now=datetime(2026, 1, 1, tzinfo=UTC))[0]
    new = store.file(draft(reporter_sender_id="u1"), now=datetime(2026, 2, 1, tzinfo=UTC))[0]
    store.file(draft(reporter_sender_id="u2"))
    assert [i.ticket for i in store.for_sender("u1")] == [new.ticket, old.ticket]


@pytest.mark.parametrize(
    "bad",
    [
        {"categories": []},
        {"categories": ["天气"]},
        {"phenomenon": ""},
        {"reporter_phone": "12"},
        {"channel": "fax"},
        {"latitude": 123.0},
    ],
)
def test_invalid_drafts_are_rejected(bad: dict) -> None:
    with pytest.raises(ValidationError):
        draft(**bad)


def test_unreachable_database_is_reported_as_unavailable() -> None:
    store = CaseStore.from_url("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert store.ping() is False
    with pytest.raises(StoreUnavailable):
        store.file(draft())


def test_ticket_format() -> None:
    from bot.casework.tickets import normalise_ticket

    assert normalise_ticket("查询 hb-20261122-0007 谢谢") == "HB-20261122-0007"
    assert normalise_ticket("HB202611220007") == "HB-20261122-0007"
    assert normalise_ticket("没有编号") is None
    assert re.fullmatch(r"HB-\d{8}-\d{4}", normalise_ticket("HB-20261122-0007") or "")


# -- personal data stays out of other users' reach and out of logs ------------------------------


def test_a_new_sqlite_ledger_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """Before: SQLite made the ledger, its -wal and -shm 0644 and the folder 0755, so every
    local user could read every reporter's name and phone."""
    import stat

    from bot.ops.migrate import upgrade

    folder = tmp_path / "new" / "var"
    url = f"sqlite:///{folder / 'ledger.db'}"
    upgrade(url)
    store = CaseStore.from_url(url)
    try:
        store.file(draft())
        for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm"):
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        store.engine.dispose()


def test_a_failed_statement_does_not_print_its_parameters(store: CaseStore) -> None:
    """The text of a failed statement reaches logs and tracebacks: without hide_parameters it
    carried the bound values, phones included."""
    issue, _ = store.file(draft(reporter_phone="13812345678"))
    with pytest.raises(IntegrityError) as raised, store.transaction() as s:
        s.execute(
            text("INSERT INTO notifications (issue_id, channel, recipient) VALUES (:i, :c, :r)"),
            {"i": issue.id, "c": "wechat", "r": "13812345678"},
        )
    assert "13812345678" not in str(raised.value)
    assert store.engine.hide_parameters


def test_filing_logs_no_personal_data(store: CaseStore, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.casework"):
        issue, _ = store.file(draft(reporter_phone="13812345678", reporter_name="王某某"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert issue.ticket in logged
    for secret in ("13812345678", "138****5678", "5678", "王某某"):
        assert secret not in logged
