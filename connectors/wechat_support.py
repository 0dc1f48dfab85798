"""The WeChat channel's logic that does not need Rasa: importable (and unit-tested) in both envs.

What a WeChat message means for the bot (`translate`), de-duplication of WeChat's retries
(`SeenMessages`), per-user ordering (`UserLanes`), buttons as a numbered text menu, the 48-hour
customer-service window, and a `WeChatClient` whose API base URL can point at a local fake.
XML, signatures and AES stay with wechatpy. What the channel says to citizens is in the `wechat`
section of bot/data/texts/citizen.yml; the menu and template settings in connectors/data/wechat.yml.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import requests
from wechatpy import WeChatClient
from wechatpy.events import ClickEvent, SubscribeEvent, UnsubscribeEvent
from wechatpy.exceptions import WeChatClientException
from wechatpy.messages import (
    BaseMessage,
    ImageMessage,
    LinkMessage,
    LocationMessage,
    ShortVideoMessage,
    TextMessage,
    VideoMessage,
    VoiceMessage,
)

from bot import datafiles, texts

logger = logging.getLogger(__name__)

DATA_FILE = Path(__file__).resolve().parent / "data" / "wechat.yml"
DEFAULT_API_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
#: WeChat allows customer-service messages this long after the citizen's last message.
SERVICE_WINDOW_S = 48 * 3600
#: A text customer-service message carries at most about 2048 bytes; keep well below.
MAX_TEXT_CHARS = 600


#: WeChat's limits: three top-level buttons, a name of at most 16 bytes (4 Chinese characters).
MAX_MENU_BUTTONS, MAX_BUTTON_NAME_BYTES = 3, 16


@dataclass(frozen=True)
class MenuButton:
    """A button of WeChat's menu/create JSON: `click` sends its `key`, `view` opens its `url`."""

    type: Literal["click", "view"]
    name: str
    key: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Menu:
    button: list[MenuButton]


@dataclass(frozen=True)
class WeChatFile:
    """connectors/data/wechat.yml. Checked: WeChat's menu limits, a key for each click button
    with its text in `clicks`, a url for each view button."""

    menu: Menu
    clicks: dict[str, str] = field(default_factory=dict)
    template_fields: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        buttons = self.menu.button
        if not 1 <= len(buttons) <= MAX_MENU_BUTTONS:
            raise datafiles.Invalid(f"1 to {MAX_MENU_BUTTONS} buttons", "menu", "button")
        for i, b in enumerate(buttons):
            at = ("menu", "button", i)
            if len(b.name.encode()) > MAX_BUTTON_NAME_BYTES:
                raise datafiles.Invalid("name longer than 4 Chinese characters", *at, "name")
            if b.type == "click" and (b.key is None or b.key not in self.clicks):
                raise datafiles.Invalid("a click button needs a key listed in `clicks`", *at)
            if b.type == "view" and not b.url:
                raise datafiles.Invalid("a view button needs a url", *at)

    def menu_json(self) -> dict[str, Any]:
        """The menu as WeChat's menu/create API takes it."""
        buttons = [{k: v for k, v in asdict(b).items() if v is not None} for b in self.menu.button]
        return {"button": buttons}


@lru_cache(maxsize=1)
def settings() -> WeChatFile:
    """connectors/data/wechat.yml (menu, clicks, template fields), read and checked once."""
    return datafiles.load(DATA_FILE, WeChatFile)


def mask_user(openid: str | None) -> str:
    """An openid shortened for logs: enough to follow one conversation, not to look it up."""
    if not openid:
        return "-"
    return f"{openid[:4]}…{openid[-2:]}" if len(openid) > 8 else "***"


# -- what a message means -------------------------------------------------------------------------
@dataclass
class Inbound:
    """One WeChat message translated for the bot.

    `text` is what the bot is told (None: no bot turn); `media_id`/`evidence_kind` name a file to
    keep as evidence; `immediate` is a passive reply sent in the HTTP answer itself; `notice` is a
    customer-service message sent before the bot's answer.
    """

    kind: str
    text: str | None = None
    media_id: str | None = None
    evidence_kind: str | None = None
    note: str | None = None
    link_url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    immediate: str | None = None
    notice: str | None = None


AreaResolver = Callable[[str], "str | None"]


def translate(msg: BaseMessage, resolve_area: AreaResolver | None = None) -> Inbound:
    """Maps a parsed WeChat message or event to what the bot should hear and keep."""
    if isinstance(msg, TextMessage):
        return Inbound("text", text=(msg.content or "").strip()[:3000] or None)
    if isinstance(msg, ImageMessage):
        return Inbound(
            "image",
            text=texts.text("citizen", "wechat.media_text.image"),
            media_id=msg.media_id,
            evidence_kind="image",
        )
    if isinstance(msg, (VideoMessage, ShortVideoMessage)):
        return Inbound(
            "video",
            text=texts.text("citizen", "wechat.media_text.video"),
            media_id=msg.media_id,
            evidence_kind="video",
        )
    if isinstance(msg, VoiceMessage):
        recognition = (msg.recognition or "").strip()
        if recognition:
            return Inbound(
                "voice",
                text=recognition[:3000],
                media_id=msg.media_id,
                evidence_kind="voice",
                note=texts.text("citizen", "wechat.voice_note", recognition=recognition[:1000]),
            )
        return Inbound(
            "voice",
            text=texts.text("citizen", "wechat.media_text.voice"),
            media_id=msg.media_id,
            evidence_kind="voice",
            notice=texts.text("citizen", "wechat.voice_no_text"),
        )
    if isinstance(msg, LocationMessage):
        return _location(msg, resolve_area)
    if isinstance(msg, LinkMessage):
        title = (msg.title or "").strip()[:200]
        text = f"{texts.text('citizen', 'wechat.media_text.link')} {title}".strip()
        return Inbound(
            "link",
            text=text,
            evidence_kind="link",
            link_url=(msg.url or "")[:2000],
            note=f"{title}\n{msg.url or ''}".strip(),
        )
    if isinstance(msg, SubscribeEvent):
        return Inbound("subscribe", immediate=texts.text("citizen", "wechat.welcome"))
    if isinstance(msg, UnsubscribeEvent):
        return Inbound("unsubscribe")
    if isinstance(msg, ClickEvent):
        said = settings().clicks.get(msg.key or "")
        return Inbound("click", text=said) if said else Inbound("ignored")
    if msg.type == "event":
        # view, location reports, template delivery receipts …: nothing to answer.
        return Inbound("ignored")
    return Inbound("unsupported", immediate=texts.text("citizen", "wechat.unsupported"))


def _location(msg: LocationMessage, resolve_area: AreaResolver | None) -> Inbound:
    try:
        lat, lng = float(msg.location_x), float(msg.location_y)
    except (TypeError, ValueError):
        return Inbound("unsupported", immediate=texts.text("citizen", "wechat.unsupported"))
    label = (msg.label or "").strip()[:300]
    area = None
    if label and resolve_area is not None:
        try:
            area = resolve_area(label)
        except Exception:  # the gazetteer is a help, never a reason to drop the pin
            logger.exception("could not resolve a location label")
    place = (
        label
        or area
        or texts.text("citizen", "wechat.coordinates", lat=f"{lat:.5f}", lng=f"{lng:.5f}")
    )
    try:
        precision: float | None = float(msg.scale)
    except (TypeError, ValueError):
        precision = None
    pin = {
        "latitude": lat,
        "longitude": lng,
        "precision": precision,
        "label": label or None,
        "area": area,
    }
    said = texts.text("citizen", "wechat.media_text.location")
    return Inbound("location", text=f"{said} {place}", metadata={"location": pin})


def dedupe_key(msg: BaseMessage) -> str:
    """WeChat retries a message with the same MsgId; events have none, so sender+time+event."""
    if msg.id:
        return f"msg:{msg.id}"
    return f"evt:{msg.source}:{msg.time}:{getattr(msg, 'event', '')}:{getattr(msg, 'key', '')}"


class SeenMessages:
    """Message keys seen in the last `ttl_s` seconds; `claim` is True only the first time.

    Claimed on arrival, before processing starts, so a retry that arrives while the first copy
    is still being handled is recognised too.
    """

    def __init__(self, ttl_s: float = 600.0, max_size: int = 200_000) -> None:
        self.ttl_s = ttl_s
        self.max_size = max_size
        self._seen: OrderedDict[str, float] = OrderedDict()

    def claim(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        while self._seen:
            oldest_key, at = next(iter(self._seen.items()))
            if now - at < self.ttl_s and len(self._seen) < self.max_size:
                break
            self._seen.pop(oldest_key)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True

    def __len__(self) -> int:
        return len(self._seen)


# -- ordering ---------------------------------------------------------------------------------
Job = Callable[[], Awaitable[None]]


class UserLanes:
    """Runs jobs one after another per user, different users concurrently (asyncio).

    A citizen's second message is handled after the first, and the bot's replies reach them in
    the order the bot said them. A failing job is logged and the lane goes on.
    """

    def __init__(self, name: str, max_pending: int = 100) -> None:
        self.name = name
        self.max_pending = max_pending
        self._queues: dict[str, deque[Job]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def submit(self, user: str, job: Job) -> bool:
        """Queues `job` for `user`; False (nothing queued) when the user's lane is full."""
        queue = self._queues.setdefault(user, deque())
        if len(queue) >= self.max_pending:
            logger.warning("%s lane of %s full; job dropped", self.name, mask_user(user))
            return False
        queue.append(job)
        if user not in self._tasks:
            self._tasks[user] = asyncio.get_running_loop().create_task(self._drain(user))
        return True

    async def _drain(self, user: str) -> None:
        queue = self._queues[user]
        try:
            while queue:
                job = queue.popleft()
                try:
                    await job()
                except Exception:
                    logger.exception("%s job of %s failed", self.name, mask_user(user))
        finally:
            self._tasks.pop(user, None)
            if not queue:
                self._queues.pop(user, None)

    @property
    def busy(self) -> int:
        return len(self._tasks)

    async def join(self) -> None:
        """Waits until every lane is empty (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)


# -- replies ----------------------------------------------------------------------------------
def render_buttons(text: str, buttons: Sequence[Mapping[str, Any]]) -> tuple[str, list[str]]:
    """Buttons as a numbered text menu (WeChat text messages have no buttons) + their payloads."""
    payloads: list[str] = []
    lines = [text.rstrip(), texts.text("citizen", "wechat.menu_hint")] if buttons else [text]
    for i, button in enumerate(buttons, 1):
        title = str(button.get("title") or button.get("payload") or "").strip()
        # Titles that already start with their number ("1 大气…") keep it only once.
        bare = title[len(str(i)) :].lstrip(" .、") if title.startswith(str(i)) else title
        lines.append(f"{i}. {bare}")
        payloads.append(str(button.get("payload") or title))
    return "\n".join(lines), payloads


def answer_from_menu(text: str, payloads: Sequence[str]) -> str:
    """「2」 after a numbered menu means the second button's payload; anything else stays."""
    t = text.strip().rstrip("。.")
    if t.isdigit() and 1 <= int(t) <= len(payloads):
        return payloads[int(t) - 1]
    return text


def clip_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """Splits a long reply at line breaks into messages WeChat accepts."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def within_service_window(
    last_user_at: float | None, now: float | None = None, window_s: float = SERVICE_WINDOW_S
) -> bool:
    """Customer-service messages are allowed for 48 h after the citizen's last message."""
    if last_user_at is None:
        return False
    now = time.time() if now is None else now
    return 0 <= now - last_user_at < window_s


def template_payload(data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """bot.casework.notify's template fields mapped onto the template's keys ({"keyword1": {"value": …}})."""
    fields: Mapping[str, str] = settings().template_fields
    return {key: {"value": str(data.get(source) or "")} for key, source in fields.items()}


def backoff(attempt: int, base_s: float = 0.5, cap_s: float = 8.0) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, …): doubling, capped."""
    return float(min(cap_s, base_s * (2 ** max(0, attempt - 1))))


# -- the API client ---------------------------------------------------------------------------
class ApiClient(WeChatClient):
    """wechatpy's client with a configurable API base URL (tests point it at a local fake).

    wechatpy fetches the access token from a fixed URL and without a timeout; both are fixed here.
    """

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        base_url: str = DEFAULT_API_BASE_URL,
        timeout: float = 10.0,
        session: Any = None,
    ) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout)
        self.API_BASE_URL = base_url if base_url.endswith("/") else base_url + "/"

    def fetch_access_token(self) -> dict[str, Any]:
        try:
            res = self._http.get(
                url=f"{self.API_BASE_URL}token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                },
                timeout=self.timeout,
            )
            res.raise_for_status()
        except requests.RequestException as exc:
            raise WeChatClientException(
                None, f"token request failed: {type(exc).__name__}", client=self
            ) from exc
        result: dict[str, Any] = res.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self)
        expires_in = int(result.get("expires_in") or 7200)
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result
