"""A terminal chat with the bot over the REST channel (`make shell`, `python -m bot.ops.stack chat`)."""

from __future__ import annotations

import uuid

import httpx

from bot import texts


def chat(rasa_url: str, sender: str | None = None) -> None:
    """A terminal chat over the REST channel."""
    sender = sender or f"shell-{uuid.uuid4().hex[:8]}"
    print(texts.text("staff", "ops.stack.chat.intro"))
    quit_words = {"/quit", "/exit", texts.text("staff", "ops.stack.chat.quit")}
    with httpx.Client(timeout=60.0) as client:
        while True:
            try:
                text = input(texts.text("staff", "ops.stack.chat.prompt")).strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return
            if text in quit_words:
                return
            if not text:
                continue
            try:
                replies = client.post(
                    f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
                ).json()
            except httpx.HTTPError as exc:
                print(texts.text("staff", "ops.stack.chat.unreachable", error=exc))
                continue
            for reply in replies:
                if reply.get("text"):
                    print(texts.text("staff", "ops.stack.chat.bot", said=reply["text"]))
                for i, button in enumerate(reply.get("buttons") or [], 1):
                    print(
                        texts.text(
                            "staff", "ops.stack.chat.button", number=i, title=button.get("title")
                        )
                    )
