"""Open311 GeoReport v2 on the wire: the shapes (pydantic, so /docs shows them) and the two
formats the spec has, JSON (through FastAPI's response models) and XML (written here).

bot/web/open311.py fills these from the ledger; bot/web/app.py writes Open311 errors with
`xml_document` when the path asked for XML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from xml.etree import ElementTree

from fastapi import HTTPException
from fastapi.responses import Response
from pydantic import BaseModel

from bot import texts


class Service(BaseModel):
    """One service (a category of complaint) as GeoReport v2 lists it."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class CategoryRef(BaseModel):
    """One of a request's categories, as services.json names it."""

    service_code: str
    service_name: str


class ExtendedAttributes(BaseModel):
    """What the ledger knows beyond GeoReport v2 (`?extensions=true`); no personal data."""

    #: Every category of the request, the first being `service_code`'s.
    categories: list[CategoryRef]
    district: str | None
    town: str | None
    #: The channel the report came in by (wechat, hotline, rest, staff, open311) and its name.
    channel: str
    channel_name: str
    #: How the intake office received it when not by a channel of ours (来信, 来访, 部门移交,
    #: 网格员巡查, 督察交办 …: bot/data/sources.yml), else null.
    source: str | None = None
    #: The request this one was merged into as a duplicate (合并), if it was.
    duplicate_of: str | None
    #: How many other reports were found to repeat this one, and whether it is a hot spot
    #: (重复举报热点).
    duplicate_count: int
    hotspot: bool


class ServiceRequest(BaseModel):
    """One service request as GeoReport v2 lists it; no reporter identity, by design."""

    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    description: str
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None
    #: Only with `?extensions=true`.
    extended_attributes: ExtendedAttributes | None = None


class ServiceDefinition(BaseModel):
    """services/{code}: no service has extra attributes to fill (`metadata` is false)."""

    service_code: str
    attributes: list[dict[str, Any]]


class PostedRequest(BaseModel):
    """The answer to a filed request: its ticket and what the citizen would be told."""

    service_request_id: str
    service_notice: str
    account_id: str | None


class Open311Error(BaseModel):
    """Errors come as a list of these, with the HTTP status as `code` (bot/web/app.py)."""

    code: int
    description: str


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": list[Open311Error]} for status in (400, 403, 404, 409, 413, 500, 503)
}


# -- formats -----------------------------------------------------------------------------------
Format = Literal["json", "xml"]
#: Characters XML 1.0 cannot carry (C0 controls but tab, newline, carriage return; U+FFFE/F) and
#: lone surrogates, which UTF-8 cannot encode.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: The element name of one item of a list written as XML, by the list's name.
_XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "categories": "category",
    "attributes": "attribute",
    "errors": "error",
}


def _fill(node: ElementTree.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _fill(ElementTree.SubElement(node, key), inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            _fill(ElementTree.SubElement(node, _XML_ITEMS.get(node.tag, "item")), inner)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = _NOT_XML.sub("", str(value))


def xml_document(root: str, value: Any) -> bytes:
    """GeoReport v2's XML: `<services><service><service_code>…`, UTF-8. ElementTree escapes the
    text; characters XML 1.0 cannot carry are dropped; absent values are empty elements."""
    top = ElementTree.Element(root)
    _fill(top, value)
    return ElementTree.tostring(top, encoding="utf-8", xml_declaration=True)


def answer(fmt: str, body: BaseModel | Sequence[BaseModel], root: str) -> Any:
    """JSON goes through the route's response model; XML is written here with the same fields
    (those left unset, such as extended_attributes without extensions, are left out of both)."""
    if fmt == "json":
        return body
    dumped = (
        body.model_dump(mode="json", exclude_unset=True)
        if isinstance(body, BaseModel)
        else [r.model_dump(mode="json", exclude_unset=True) for r in body]
    )
    return Response(xml_document(root, dumped), media_type="application/xml; charset=utf-8")


def check_format(fmt: str) -> Format:
    """The format of `requests.{fmt}`; anything but json/xml is a 400 naming the two."""
    if fmt == "json":
        return "json"
    if fmt == "xml":
        return "xml"
    raise HTTPException(400, texts.text("staff", "open311.errors.bad_format", format=repr(fmt)))
