"""Evidence from WeChat: photos, videos and voice notes are downloaded at once (media ids expire
in 3 days) and handed to the app over HTTP, because this process never touches the case store."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import aiohttp
from wechatpy.exceptions import WeChatClientException
from wechatpy.messages import BaseMessage

from bot.config import TOKEN_HEADER
from connectors.wechat_config import WeChatConfig
from connectors.wechat_guard import describe_error
from connectors.wechat_support import ApiClient, Inbound, backoff, mask_user

logger = logging.getLogger(__name__)

#: Tries of a media download and of the upload to the app.
ATTEMPTS = 3


class EvidenceKeeper:
    """Downloads a message's media from WeChat and stores it through the app's channel API."""

    def __init__(self, config: WeChatConfig, client: ApiClient) -> None:
        self.config = config
        self.client = client
        self._http: aiohttp.ClientSession | None = None

    async def keep(
        self, msg: BaseMessage, inbound: Inbound, received_at: datetime
    ) -> dict[str, Any] | None:
        """Downloads the media (ids expire in 3 days) and hands it to the app; None on failure."""
        if inbound.evidence_kind == "link":
            data, content_type = (inbound.link_url or "").encode(), "text/uri-list"
        else:
            downloaded = await self._download(str(inbound.media_id))
            if downloaded is None:
                return None
            data, content_type = downloaded
        form = {
            "channel": "wechat",
            "sender_id": msg.source,
            "kind": str(inbound.evidence_kind),
            "received_at": received_at.isoformat(),
            "msg_id": str(msg.id or ""),
            "media_id": inbound.media_id or "",
            "note": inbound.note or "",
        }
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await self._upload(form, data, content_type)
            except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
                logger.warning(
                    "evidence upload attempt %d failed: %s", attempt, describe_error(exc)
                )
                await asyncio.sleep(backoff(attempt))
        logger.error("evidence of %s could not be stored", mask_user(msg.source))
        return None

    async def _download(self, media_id: str) -> tuple[bytes, str] | None:
        loop = asyncio.get_running_loop()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                res = await loop.run_in_executor(None, self.client.media.download, media_id)
                content = getattr(res, "content", None)
                if not content:
                    raise WeChatClientException(None, "empty media download")
                content_type = res.headers.get("Content-Type", "application/octet-stream")
                return bytes(content), content_type.split(";")[0].strip()
            except Exception as exc:  # requests/WeChat errors: retry, then give up politely
                # requests' errors quote the URL, whose query holds the access token
                logger.warning("media download attempt %d failed: %s", attempt, describe_error(exc))
                await asyncio.sleep(backoff(attempt))
        return None

    async def _upload(self, form: dict[str, str], data: bytes, content_type: str) -> dict[str, Any]:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        body = aiohttp.FormData()
        for key, value in form.items():
            if value:
                body.add_field(key, value)
        body.add_field("file", data, filename="evidence", content_type=content_type)
        async with self._http.post(
            f"{self.config.app_url}/internal/channels/evidence",
            data=body,
            headers={TOKEN_HEADER: self.config.internal_token},
        ) as r:
            if r.status != 200:
                raise RuntimeError(f"app answered {r.status}")
            result: dict[str, Any] = await r.json()
            return {k: result.get(k) for k in ("id", "sha256", "size", "kind", "content_type")}
