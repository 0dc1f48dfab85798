"""Starts the real stack (trained Rasa server, action server, app) once for the e2e tests.

Rasa's HTTP API needs the stack's token (`rasa_api(stack)` sends it); the action server needs
the action token, which only Rasa sends. Channels (/webhooks/...) need neither.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.ops.stack import Ports, Stack, latest_model

API_KEY = "e2e-open311-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if latest_model() is None:
        pytest.fail("no trained model under models/: run `make train` (make test does)")
    var: Path = tmp_path_factory.mktemp("stack")
    s = Stack(
        ports=Ports(_free_port(), _free_port(), _free_port()),
        var_dir=var,
        extra_env={"GW_OPEN311_API_KEY": API_KEY, "GW_SQLITE_BUSY_TIMEOUT_S": "2"},
    )
    s.migrate()
    try:
        s.start()
        yield s
    finally:
        s.stop()


class Chat:
    """One citizen talking to the bot over the REST channel."""

    def __init__(self, stack: Stack, sender: str | None = None) -> None:
        self.stack = stack
        self.sender = sender or f"e2e-{uuid.uuid4().hex[:10]}"
        self.log: list[tuple[str, list[str]]] = []

    def say(self, text: str) -> str:
        r = httpx.post(
            f"{self.stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            timeout=60.0,
        )
        r.raise_for_status()
        texts = [m.get("text", "") for m in r.json()]
        self.log.append((text, texts))
        return "\n".join(texts)

    def transcript(self) -> str:
        return "\n".join(f"> {u}\n{chr(10).join(b)}" for u, b in self.log)

    @property
    def conversation(self) -> str:
        """The conversation in the tracker store (and the ledger's reporter_sender_id): REST
        conversations are `rest:<sender>` (connectors/rest_support.py)."""
        return f"rest:{self.sender}"

    def tracker(self) -> dict[str, Any]:
        """This conversation as Rasa keeps it (Rasa's HTTP API, with the stack's token)."""
        with rasa_api(self.stack) as api:
            r = api.get(f"/conversations/{self.conversation}/tracker")
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body


def rasa_api(stack: Stack) -> httpx.Client:
    """A client of Rasa's HTTP API (/conversations, /model/parse …) that sends the token."""
    return httpx.Client(base_url=stack.rasa_url, params={"token": stack.rasa_token}, timeout=60.0)


@pytest.fixture
def chat(stack: Stack) -> Chat:
    return Chat(stack)
