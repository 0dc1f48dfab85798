"""Plays WeChat's server: builds message XML from tests/fixtures/wechat/, signs it, optionally
encrypts it (safe mode, wechatpy's WeChatCrypto) and posts it to the channel's webhook."""

from __future__ import annotations

import hashlib
import itertools
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlencode

import httpx
import xmltodict
from wechatpy.crypto import WeChatCrypto

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wechat"
_MSG_IDS = itertools.count(int(time.time() * 1000) * 1000)


def fixture(name: str, **values: Any) -> str:
    """The XML of fixture `name` with $placeholders filled (time and msg_id default to fresh)."""
    values.setdefault("to", "gh_greenwhistle")
    values.setdefault("time", int(time.time()))
    values.setdefault("msg_id", next(_MSG_IDS))
    return Template((FIXTURES / f"{name}.xml").read_text(encoding="utf-8")).substitute(values)


def sign(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's URL signature: SHA-1 of the sorted token, timestamp and nonce."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


@dataclass
class WeChatServer:
    """Posts messages the way WeChat does; `aes_key` set → safe mode (encrypted bodies)."""

    webhook_url: str
    token: str
    app_id: str
    aes_key: str | None = None

    def query(
        self, *, bad_signature: bool = False, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        signature = sign(self.token, timestamp, nonce)
        if bad_signature:
            signature = "0" * 40
        return {"signature": signature, "timestamp": timestamp, "nonce": nonce, **(extra or {})}

    def body(self, xml: str, params: dict[str, str], encrypt: bool) -> bytes:
        if not encrypt:
            return xml.encode("utf-8")
        assert self.aes_key, "encryption needs an AES key"
        crypto = WeChatCrypto(self.token, self.aes_key, self.app_id)
        envelope = crypto.encrypt_message(xml, params["nonce"], params["timestamp"])
        parsed = xmltodict.parse(envelope)["xml"]
        params["encrypt_type"] = "aes"
        params["msg_signature"] = parsed["MsgSignature"]
        to = xmltodict.parse(xml)["xml"].get("ToUserName", "")
        return (
            f"<xml><ToUserName><![CDATA[{to}]]></ToUserName>"
            f"<Encrypt><![CDATA[{parsed['Encrypt']}]]></Encrypt></xml>"
        ).encode()

    def post_xml(
        self,
        xml: str,
        *,
        encrypt: bool = False,
        bad_signature: bool = False,
        client: httpx.Client | None = None,
        timeout: float = 10.0,
    ) -> httpx.Response:
        params = self.query(bad_signature=bad_signature)
        data = self.body(xml, params, encrypt)
        url = f"{self.webhook_url}?{urlencode(params)}"
        if client is not None:
            return client.post(url, content=data, headers={"Content-Type": "text/xml"})
        return httpx.post(url, content=data, headers={"Content-Type": "text/xml"}, timeout=timeout)

    def send(
        self, name: str, *, encrypt: bool = False, **values: Any
    ) -> tuple[httpx.Response, str]:
        """Posts fixture `name`; returns the response and the XML (to post again as a retry)."""
        xml = fixture(name, **values)
        return self.post_xml(xml, encrypt=encrypt), xml

    def decrypt_reply(self, body: str) -> str:
        crypto = WeChatCrypto(self.token, self.aes_key, self.app_id)
        parsed = xmltodict.parse(body)["xml"]
        return str(
            crypto.decrypt_message(
                body, parsed["MsgSignature"], parsed["TimeStamp"], parsed["Nonce"]
            )
        )
