"""Installs the official account's menu (我要举报 / 查询进度 / 举报须知) through the WeChat API.

    WECHAT_APP_ID=… WECHAT_SECRET=… python -m connectors.wechat_menu install
    python -m connectors.wechat_menu show      # print the menu JSON, change nothing

The menu is data (connectors/data/wechat.yml); each click is answered as the matching text.
Runs in either environment (needs wechatpy, not Rasa).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from wechatpy.exceptions import WeChatException

from bot import texts
from bot.config import get_settings, secret_value
from connectors.wechat_support import DEFAULT_API_BASE_URL, ApiClient, settings

logger = logging.getLogger(__name__)


def install(app_id: str, secret: str, base_url: str = DEFAULT_API_BASE_URL) -> dict[str, object]:
    """Creates the menu; returns WeChat's answer (raises WeChatException on refusal)."""
    client = ApiClient(app_id, secret, base_url=base_url)
    result: dict[str, object] = client.menu.create(settings().menu_json())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.wechat_menu",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["install", "show"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.command == "show":
        print(json.dumps(settings().menu_json(), ensure_ascii=False, indent=2))
        return 0
    s = get_settings()
    app_id, secret = s.wechat_app_id, secret_value(s.wechat_secret)
    if not app_id or not secret:
        print("WECHAT_APP_ID and WECHAT_SECRET must be set", file=sys.stderr)
        return 2
    base_url = s.wechat_api_base_url or DEFAULT_API_BASE_URL
    try:
        install(app_id, secret, base_url)
    except WeChatException as exc:
        print(f"WeChat refused the menu: {exc}", file=sys.stderr)
        return 1
    names = " / ".join(b.name for b in settings().menu.button)
    print(texts.text("staff", "wechat_menu.installed", names=names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
