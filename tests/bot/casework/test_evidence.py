"""Evidence from the channels: files by SHA-256, the internal upload API, attachment at filing."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.casework.evidence import EvidenceStore, blob_path, save_blob
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.web.app import create_app
from tests.factories import draft

TOKEN = "internal-test-token"
SENDER = "o-evidence-sender"
PHOTO = b"\xff\xd8\xff\xe0 photo of a black river"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        internal_token=SecretStr(TOKEN), evidence_dir=tmp_path / "evidence", max_evidence_bytes=1024
    )


@pytest.fixture
def client(store: CaseStore, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(store=store, settings=settings)) as c:
        yield c


def upload(
    client: TestClient,
    data: bytes = PHOTO,
    *,
    token: str | None = TOKEN,
    msg_id: str = "1001",
    sender: str = SENDER,
) -> object:
    headers = {"X-GW-Token": token} if token else {}
    return client.post(
        "/internal/channels/evidence",
        headers=headers,
        data={
            "channel": "wechat",
            "sender_id": sender,
            "kind": "image",
            "msg_id": msg_id,
            "media_id": "media-1",
            "received_at": "2026-11-22T08:00:00+00:00",
        },
        files={"file": ("evidence", data, "image/jpeg")},
    )


def test_blobs_are_stored_once_under_their_hash(tmp_path: Path) -> None:
    sha = save_blob(tmp_path, PHOTO)
    assert sha == hashlib.sha256(PHOTO).hexdigest()
    assert blob_path(tmp_path, sha).read_bytes() == PHOTO
    assert save_blob(tmp_path, PHOTO) == sha
    assert len(list(tmp_path.rglob("*"))) == 2  # one folder, one file, no temp leftovers


def test_upload_needs_the_internal_token(client: TestClient) -> None:
    assert upload(client, token=None).status_code == 403  # type: ignore[attr-defined]
    assert upload(client, token="wrong").status_code == 403  # type: ignore[attr-defined]


def test_upload_is_refused_while_no_token_is_configured(store: CaseStore, tmp_path: Path) -> None:
    settings = Settings(internal_token=None, evidence_dir=tmp_path)
    with TestClient(create_app(store=store, settings=settings)) as c:
        assert upload(c).status_code == 503  # type: ignore[attr-defined]


def test_upload_stores_file_and_is_idempotent_per_message(
    client: TestClient, settings: Settings
) -> None:
    first = upload(client)
    assert first.status_code == 200, first.text  # type: ignore[attr-defined]
    body = first.json()  # type: ignore[attr-defined]
    assert body["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert body["size"] == len(PHOTO) and body["content_type"] == "image/jpeg"
    assert body["created"] is True
    assert blob_path(settings.evidence_dir, body["sha256"]).read_bytes() == PHOTO
    again = upload(client).json()  # type: ignore[attr-defined]
    assert again["created"] is False and again["id"] == body["id"]


@pytest.mark.parametrize(
    ("data", "status"),
    [(b"x" * 2048, 413), (b"", 400)],
)
def test_oversized_or_empty_files_are_refused(client: TestClient, data: bytes, status: int) -> None:
    assert upload(client, data, msg_id="9").status_code == status  # type: ignore[attr-defined]


def test_filing_attaches_the_senders_loose_evidence(store: CaseStore, tmp_path: Path) -> None:
    evidence = EvidenceStore(store, tmp_path)
    received = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    evidence.add(
        channel="wechat",
        sender_id=SENDER,
        kind="image",
        data=PHOTO,
        content_type="image/jpeg",
        received_at=received,
        msg_id="1",
    )
    evidence.add(
        channel="wechat",
        sender_id="someone-else",
        kind="image",
        data=b"other",
        content_type="image/jpeg",
        received_at=received,
        msg_id="2",
    )
    issue, _ = store.file(draft(channel="wechat", reporter_sender_id=SENDER, has_evidence=None))
    assert issue.has_evidence is True
    attached = evidence.for_ticket(issue.ticket)
    assert [e.sha256 for e in attached] == [hashlib.sha256(PHOTO).hexdigest()]
    assert attached[0].received_at == received
    assert evidence.pending_for("wechat", SENDER) == []
    assert len(evidence.pending_for("wechat", "someone-else")) == 1
    # The next report of the same citizen does not take the first report's photo.
    second, _ = store.file(draft(channel="wechat", reporter_sender_id=SENDER))
    assert evidence.for_ticket(second.ticket) == []


def test_evidence_of_an_issue_over_the_api(client: TestClient, store: CaseStore) -> None:
    assert upload(client).status_code == 200  # type: ignore[attr-defined]
    issue, _ = store.file(draft(channel="wechat", reporter_sender_id=SENDER))
    r = client.get(f"/internal/channels/evidence/{issue.ticket}", headers={"X-GW-Token": TOKEN})
    assert r.status_code == 200
    assert [e["sha256"] for e in r.json()] == [hashlib.sha256(PHOTO).hexdigest()]


def test_blob_folders_are_the_owners_only_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        sha = save_blob(tmp_path / "evidence", PHOTO)
    finally:
        os.umask(old)
    path = blob_path(tmp_path / "evidence", sha)
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "evidence").stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
