"""The issue page shows what each photo says beside its SHA-256: capture time and position, the
doubts (too old, too far from the pin), "无拍摄信息" for stripped photos, and no 500 for bad files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.casework.datums import wgs84_to_gcj02
from bot.casework.evidence import EvidenceStore
from bot.casework.schemas import IssueView
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.web.app import create_app
from tests.console_login import login
from tests.factories import draft
from tests.photos import photo, stripped, with_dimensions

FILED = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SENDER = "o-photo-sender"
#: The photo's GPS position (WGS-84) and the WeChat pin of the same spot (GCJ-02).
SPOT_WGS = (31.4678, 104.6791)
PIN_GCJ = wgs84_to_gcj02(*SPOT_WGS)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(timezone="Asia/Shanghai", evidence_dir=tmp_path / "evidence")


@pytest.fixture
def office(store: CaseStore, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(store=store, settings=settings)) as c:
        login(c, store, "office")
        yield c


def filed_with(store: CaseStore, settings: Settings, *photos: bytes) -> IssueView:
    """A WeChat report with a location pin, the photos sent before it attached at filing."""
    evidence = EvidenceStore(store, settings.evidence_dir)
    for i, data in enumerate(photos):
        evidence.add(
            channel="wechat",
            sender_id=SENDER,
            kind="image",
            data=data,
            content_type="image/jpeg",
            received_at=FILED - timedelta(minutes=5),
            msg_id=f"photo-{i}",
        )
    issue, _ = store.file(
        draft(
            channel="wechat",
            reporter_sender_id=SENDER,
            latitude=PIN_GCJ[0],
            longitude=PIN_GCJ[1],
        ),
        now=FILED,
    )
    return issue


def test_a_photo_from_the_spot_shows_time_and_place_without_doubt(
    office: TestClient, store: CaseStore, settings: Settings
) -> None:
    data = photo(taken=datetime(2026, 11, 29, 21, 15), offset="+08:00", position=SPOT_WGS)
    issue = filed_with(store, settings, data)
    html = office.get(f"/console/issues/{issue.ticket}").text
    assert "SHA-256" in html
    assert "拍摄时间 2026-11-29 21:15" in html
    assert "拍摄位置 31.467800, 104.679100（WGS-84）" in html
    assert "距举报位置 0.0 公里" in html  # GCJ-02 pin vs WGS-84 photo: converted, same spot
    assert 'class="tag hot"' not in html


def test_an_old_far_photo_is_flagged(
    office: TestClient, store: CaseStore, settings: Settings
) -> None:
    far_away = (SPOT_WGS[0] + 0.05, SPOT_WGS[1])  # about 5.6 km north
    data = photo(taken=datetime(2026, 11, 10, 9, 0), position=far_away)  # no offset: local time
    issue = filed_with(store, settings, data)
    html = office.get(f"/console/issues/{issue.ticket}").text
    assert "拍摄时间 2026-11-10 09:00（照片未记录时区，按本地时间）" in html
    assert "拍摄于举报前 20 天（超过 7 天）" in html
    assert "拍摄位置距举报位置 5.6 公里（超过 2 公里）" in html


def test_stripped_and_broken_photos_are_said_so_without_an_error(
    office: TestClient, store: CaseStore, settings: Settings
) -> None:
    bomb = with_dimensions(photo(taken=datetime(2026, 11, 29)), 65000, 65000)
    issue = filed_with(store, settings, stripped(), b"\xff\xd8\xff\xe1 not really", bomb)
    response = office.get(f"/console/issues/{issue.ticket}")
    assert response.status_code == 200
    html = response.text
    assert "无拍摄信息（照片不含拍摄时间和位置，微信等渠道常会去除）" in html
    assert "无法读取拍摄信息（文件损坏或格式不支持）" in html
    assert "无法读取拍摄信息（文件或图像尺寸过大，未读取）" in html


def test_a_photo_on_an_issue_without_a_pin_has_no_distance(
    office: TestClient, store: CaseStore, settings: Settings
) -> None:
    evidence = EvidenceStore(store, settings.evidence_dir)
    evidence.add(
        channel="hotline",
        sender_id="call-1",
        kind="image",
        data=photo(taken=datetime(2026, 11, 29, 8, 0), offset="+08:00", position=SPOT_WGS),
        content_type="image/jpeg",
        received_at=FILED,
    )
    issue, _ = store.file(draft(channel="hotline", reporter_sender_id="call-1"), now=FILED)
    html = office.get(f"/console/issues/{issue.ticket}").text
    assert "拍摄位置 31.467800, 104.679100（WGS-84）" in html
    assert "距举报位置" not in html
