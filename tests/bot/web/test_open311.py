"""Open311 carries what the ledger knows: department, deadline, the note to the citizen, and with
`?extensions=true` every category, the area, the channel and the duplicate/hot-spot flags; in JSON
and XML, without personal data. The GET side is also read with the third-party `georeport` client
(PyPI) against the app served by uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
import requests
import uvicorn
from fastapi.testclient import TestClient
from georeport import GeoReport

from bot.casework.catalog import categories, statuses
from bot.casework.datums import wgs84_to_gcj02
from bot.casework.models import utcnow
from bot.casework.schemas import IssueView
from bot.casework.store import CaseStore
from bot.config import SecretStr, Settings
from bot.web.app import create_app
from bot.web.open311_wire import xml_document
from tests.factories import draft, quiet_work

API_KEY = "test-open311-key-77c1"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NAME = "王小明"
SENDER = "wx-openid-oAbC_dEf-1234567890xyz"
#: One number, written the ways people write it (privacy.py masks them all).
PHONE_FORMS = ("13912345678", "139 1234 5678", "+86 139-1234-5678", "１３９１２３４５６７８")
PHONE_DIGITS = "12345678"


@pytest.fixture
def settings() -> Settings:
    return Settings(open311_api_key=SecretStr(API_KEY), timezone="Asia/Shanghai", log_level="INFO")


@pytest.fixture
def client(store: CaseStore, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(store=store, settings=settings)) as c:
        yield c


def file(store: CaseStore, *, ago: timedelta = timedelta(0), **fields: Any) -> IssueView:
    issue, new = store.file(draft(**fields), now=utcnow() - ago)
    assert new
    return issue


def tickets(body: list[dict[str, Any]]) -> list[str]:
    return [r["service_request_id"] for r in body]


def local_iso(moment: Any) -> str:
    return str(moment.astimezone(SHANGHAI).replace(microsecond=0).isoformat())


# -- what the ledger knows -------------------------------------------------------------------------
def test_routed_request_names_department_and_deadline(client: TestClient, store: CaseStore) -> None:
    issue = file(store, categories=["噪声"])
    changed = quiet_work(store).route(
        issue.ticket, department="住建局", district="游仙区", actor="staff:li"
    )
    routed = store.get(issue.ticket)
    assert routed is not None and routed.handle_due is not None
    [req] = client.get(f"/open311/v2/requests/{issue.ticket}.json").json()
    assert req["agency_responsible"] == "住建局"
    assert req["expected_datetime"] == local_iso(routed.handle_due)
    assert req["status_notes"] == changed.events[-1].note  # the routing note the citizen got


def test_status_notes_are_the_note_to_the_citizen_never_a_system_note(
    client: TestClient, store: CaseStore
) -> None:
    issue = file(store, reporter_name=NAME)
    # The filing event carries the internal audit note (通过…渠道登记): not for the citizen.
    assert store.get(issue.ticket).events[0].note  # type: ignore[union-attr]
    [req] = client.get(f"/open311/v2/requests/{issue.ticket}.json").json()
    assert req["status_notes"] == statuses()["received"].citizen
    work = quiet_work(store)
    work.accept(
        issue.ticket, actor="staff:li", note=f"{NAME}您好，已受理，请保持电话139 1234 5678畅通"
    )
    [req] = client.get(f"/open311/v2/requests/{issue.ticket}.json").json()
    assert req["status_notes"] == "王**您好，已受理，请保持电话139****5678畅通"


# -- extensions ----------------------------------------------------------------------------------
def test_extensions_carry_every_category_area_channel_and_flags(
    client: TestClient, store: CaseStore
) -> None:
    same = {"polluter": "鑫达砖厂", "address": "商家村三组", "categories": ["大气", "噪声"]}
    first = file(store, channel="wechat", ago=timedelta(hours=3), **same)
    second = file(store, channel="hotline", ago=timedelta(hours=2), **same)
    third = file(store, channel="rest", ago=timedelta(hours=1), **same)
    quiet_work(store).merge(second.ticket, into=first.ticket, actor="staff:li")

    body = client.get("/open311/v2/requests.json", params={"extensions": "true"}).json()
    by_ticket = {r["service_request_id"]: r for r in body}
    ext = by_ticket[first.ticket]["extended_attributes"]
    assert ext["categories"] == [
        {"service_code": categories()["大气"].service_code, "service_name": "大气"},
        {"service_code": categories()["噪声"].service_code, "service_name": "噪声"},
    ]
    assert by_ticket[first.ticket]["service_code"] == categories()["大气"].service_code
    assert (ext["district"], ext["town"]) == ("涪城区", "青义镇")
    assert (ext["channel"], ext["channel_name"]) == ("wechat", "微信")
    assert ext["hotspot"] is True and ext["duplicate_of"] is None
    assert ext["duplicate_count"] >= 1
    merged = by_ticket[second.ticket]["extended_attributes"]
    assert merged["duplicate_of"] == first.ticket
    assert merged["channel"] == "hotline"
    assert by_ticket[third.ticket]["extended_attributes"]["channel_name"] == "网页对话"
    assert ext["source"] is None

    [one] = client.get(f"/open311/v2/requests/{second.ticket}.json?extensions=true").json()
    assert one["extended_attributes"] == merged

    letter = file(store, channel="staff", source="来信", ago=timedelta(minutes=5))
    [got] = client.get(f"/open311/v2/requests/{letter.ticket}.json?extensions=true").json()
    assert got["extended_attributes"]["source"] == "来信"
    assert got["extended_attributes"]["channel"] == "staff"


@pytest.mark.parametrize("value", [None, "false", "0"])
def test_without_extensions_there_are_no_extended_attributes(
    client: TestClient, store: CaseStore, value: str | None
) -> None:
    issue = file(store)
    params = {} if value is None else {"extensions": value}
    for url in ("/open311/v2/requests.json", f"/open311/v2/requests/{issue.ticket}.json"):
        [req] = client.get(url, params=params).json()
        assert "extended_attributes" not in req
        assert req["service_request_id"] == issue.ticket


def test_a_bad_extensions_value_is_open311_400(client: TestClient) -> None:
    response = client.get("/open311/v2/requests.json", params={"extensions": "maybe"})
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"service_code": "water"}, ["water_old", "water_new"]),
        ({"service_code": "noise,water"}, ["noise", "water_old", "water_new"]),
        ({"status": "open"}, ["noise", "water_new"]),
        ({"status": "closed"}, ["water_old"]),
        ({"start_date": "-1d"}, ["noise", "water_new"]),
        ({"end_date": "-1d"}, ["water_old"]),
        ({"service_code": "water", "status": "open"}, ["water_new"]),
        ({"service_request_id": "water_old,noise", "status": "open"}, ["noise", "water_old"]),
    ],
)
def test_spec_filters_work_with_extensions(
    client: TestClient, store: CaseStore, params: dict[str, str], expected: list[str]
) -> None:
    params = dict(params)  # the parameters are shared by the SQLite and PostgreSQL runs
    issues = {
        "noise": file(store, categories=["噪声"], ago=timedelta(hours=1), town="新皂镇"),
        "water_old": file(store, categories=["水"], ago=timedelta(days=3), town="丰谷镇"),
        "water_new": file(store, categories=["水", "大气"], ago=timedelta(hours=2), town="塘汛镇"),
    }
    quiet_work(store).transfer(issues["water_old"].ticket, reason="转交水务局", actor="staff:li")
    for key in ("start_date", "end_date"):
        if params.get(key) == "-1d":
            params[key] = (utcnow() - timedelta(days=1)).isoformat()
    if "service_request_id" in params:
        params["service_request_id"] = ",".join(
            issues[k].ticket for k in params["service_request_id"].split(",")
        )
    body = client.get("/open311/v2/requests.json", params={**params, "extensions": "true"}).json()
    want = sorted((issues[k] for k in expected), key=lambda i: i.created_at, reverse=True)
    assert tickets(body) == [i.ticket for i in want]
    assert [r["extended_attributes"]["town"] for r in body] == [i.town for i in want]


# -- privacy -------------------------------------------------------------------------------------
@pytest.mark.parametrize("written", PHONE_FORMS)
def test_no_phone_name_or_openid_in_any_open311_output(
    client: TestClient, store: CaseStore, written: str
) -> None:
    issue = file(
        store,
        channel="wechat",
        reporter_sender_id=SENDER,
        reporter_name=NAME,
        reporter_phone="13912345678",
        phenomenon=f"我是{NAME}，电话{written}，砖厂晚上冒黑烟",
        address=f"商家村三组，找{NAME}，{written}",
        original_text=f"我是{NAME}，电话{written}，砖厂晚上冒黑烟",
    )
    quiet_work(store).accept(issue.ticket, actor="staff:li", note=f"已联系{NAME}（{written}）")
    for fmt in ("json", "xml"):
        for url in (
            f"/open311/v2/requests.{fmt}",
            f"/open311/v2/requests.{fmt}?extensions=true",
            f"/open311/v2/requests/{issue.ticket}.{fmt}?extensions=true",
            f"/open311/v2/requests.{fmt}?service_request_id={issue.ticket}&extensions=true",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert issue.ticket in response.text
            for secret in (NAME, SENDER, written, PHONE_DIGITS, "1234 5678"):
                assert secret not in response.text, (url, secret)
            assert "王**" in response.text


# -- XML ------------------------------------------------------------------------------------------
def test_services_and_requests_in_xml(client: TestClient, store: CaseStore) -> None:
    issue = file(store, categories=["大气", "噪声"])
    services = client.get("/open311/v2/services.xml")
    assert services.status_code == 200
    assert services.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(services.content)
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert codes == [c.service_code for c in categories().values()]
    assert root.find("service/metadata").text == "false"  # type: ignore[union-attr]

    response = client.get("/open311/v2/requests.xml?extensions=true")
    root = ElementTree.fromstring(response.content)
    [req] = root.findall("request")
    assert req.findtext("service_request_id") == issue.ticket
    assert req.findtext("agency_responsible") == issue.department
    assert req.findtext("zipcode") == ""  # a null is an empty element
    ext = req.find("extended_attributes")
    assert ext is not None
    assert [c.findtext("service_name") for c in ext.findall("categories/category")] == [
        "大气",
        "噪声",
    ]
    assert ext.findtext("hotspot") == "false"
    plain = ElementTree.fromstring(client.get("/open311/v2/requests.xml").content)
    assert plain.find("request/extended_attributes") is None


def test_errors_come_in_the_requested_format(client: TestClient) -> None:
    response = client.get("/open311/v2/requests/HB-20200101-9999.xml")
    assert response.status_code == 404
    root = ElementTree.fromstring(response.content)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    assert "HB-20200101-9999" in (root.findtext("error/description") or "")
    bad = client.get("/open311/v2/requests.csv")
    assert bad.status_code == 400
    assert "json" in bad.json()[0]["description"]


def test_text_xml_cannot_carry_is_dropped_not_a_broken_document(
    client: TestClient, store: CaseStore
) -> None:
    issue = file(store, phenomenon="砖厂冒黑烟\x01\x0b<script>&amp;")
    response = client.get(f"/open311/v2/requests/{issue.ticket}.xml")
    [req] = ElementTree.fromstring(response.content).findall("request")
    assert req.findtext("description") == "砖厂冒黑烟<script>&amp;"


def test_xml_document_shape() -> None:
    doc = xml_document(
        "service_requests", [{"a": None, "b": True, "c": [{"d": 1}], "e": "x\ud800"}]
    )
    assert doc.startswith(b"<?xml")
    assert doc.endswith(
        b"<service_requests><request><a /><b>true</b><c><item><d>1</d></item></c><e>x</e>"
        b"</request></service_requests>"
    )


def test_post_answers_in_xml(client: TestClient, store: CaseStore) -> None:
    form = {
        "api_key": API_KEY,
        "service_code": categories()["噪声"].service_code,
        "lat": "31.46",
        "long": "104.68",
        "description": "工地夜间施工噪音很大",
    }
    response = client.post("/open311/v2/requests.xml", data=form)
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    ticket = root.findtext("request/service_request_id")
    assert ticket and store.get(ticket) is not None
    again = ElementTree.fromstring(client.post("/open311/v2/requests.xml", data=form).content)
    assert again.findtext("request/service_request_id") == ticket  # a replay, not a second issue
    refused = client.post("/open311/v2/requests.xml", data={**form, "api_key": "wrong"})
    assert refused.status_code == 403
    assert ElementTree.fromstring(refused.content).findtext("error/code") == "403"


def test_positions_are_wgs84_both_ways(client: TestClient, store: CaseStore) -> None:
    """A POSTed position (WGS-84) reads back as sent; a WeChat pin (GCJ-02) is converted."""
    form = {
        "api_key": API_KEY,
        "service_code": categories()["大气"].service_code,
        "lat": "31.467812",
        "long": "104.679123",
        "description": "砖厂冒黑烟",
    }
    [posted] = client.post("/open311/v2/requests.json", data=form).json()
    [req] = client.get(f"/open311/v2/requests/{posted['service_request_id']}.json").json()
    assert (req["lat"], req["long"]) == (31.467812, 104.679123)
    pin = wgs84_to_gcj02(31.467812, 104.679123)
    pinned = file(store, channel="wechat", latitude=pin[0], longitude=pin[1])
    [req] = client.get(f"/open311/v2/requests/{pinned.ticket}.json").json()
    assert (req["lat"], req["long"]) == pytest.approx((31.467812, 104.679123), abs=2e-6)


def test_post_then_read_back_with_extensions(client: TestClient, store: CaseStore) -> None:
    response = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": API_KEY,
            "service_code": categories()["水"].service_code,
            "address_string": "涪城区青义镇商家村三组河边",
            "description": f"河水发黑，我叫{NAME}，电话13912345678",
            "first_name": "小明",
            "last_name": "王",
            "phone": "13912345678",
        },
    )
    assert response.status_code == 200
    [posted] = response.json()
    [req] = client.get(
        f"/open311/v2/requests/{posted['service_request_id']}.json?extensions=true"
    ).json()
    assert req["extended_attributes"]["channel"] == "open311"
    assert req["description"] == "河水发黑，我叫王**，电话139****5678"


# -- the third-party client ----------------------------------------------------------------------
@pytest.fixture
def served(store: CaseStore, settings: Settings) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, for a client that speaks HTTP."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(store=store, settings=settings), lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/open311/v2/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_client_reads_services_and_requests(
    served: str, store: CaseStore, output_format: str
) -> None:
    noise = file(store, categories=["噪声"], ago=timedelta(hours=1))
    water = file(store, categories=["水", "大气"], ago=timedelta(days=2))
    work = quiet_work(store)
    work.route(noise.ticket, department="住建局", district="涪城区", actor="staff:li")
    work.transfer(water.ticket, reason="转交水务局", actor="staff:li")
    routed = store.get(noise.ticket)
    assert routed is not None and routed.handle_due is not None
    geo = GeoReport(served, jurisdiction="mianyang", output_format=output_format)

    services = geo.get_service_list()
    assert [s["service_code"] for s in services] == [c.service_code for c in categories().values()]
    definition = geo.get_service_definition("noise")
    assert definition["service_code"] == "noise"

    assert tickets(_as_list(geo.get_service_requests())) == [noise.ticket, water.ticket]

    [only_water] = _as_list(geo.get_service_requests(service_code="water"))
    assert only_water["service_request_id"] == water.ticket
    since = (utcnow() - timedelta(days=1)).astimezone(SHANGHAI).isoformat()
    assert tickets(_as_list(geo.get_service_requests(start_date=since))) == [noise.ticket]
    assert tickets(_as_list(geo.get_service_requests(status="closed"))) == [water.ticket]
    assert tickets(_as_list(geo.get_service_requests(status="open"))) == [noise.ticket]
    by_ids = geo.get_service_requests(service_request_id=f"{water.ticket},{noise.ticket}")
    assert tickets(_as_list(by_ids)) == [noise.ticket, water.ticket]

    one = geo.get_service_request(noise.ticket)
    assert one["service_request_id"] == noise.ticket
    assert one["agency_responsible"] == "住建局"
    assert one["expected_datetime"] == local_iso(routed.handle_due)
    assert one["status"] == "open"

    with pytest.raises(requests.HTTPError) as missing:
        geo.get_service_request("HB-20200101-9999")
    assert missing.value.response is not None and missing.value.response.status_code == 404
    with pytest.raises(requests.HTTPError) as bad:
        geo.get_service_requests(status="pending")
    assert bad.value.response is not None and bad.value.response.status_code == 400


def _as_list(value: Any) -> list[dict[str, Any]]:
    """georeport's XML answers come from xmltodict: one <request> is a dict, none is None."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
