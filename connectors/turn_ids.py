"""A client's id for one message, so that a message sent again is answered, not run twice.

With several Rasa servers behind a balancer, a client whose server died under it (no answer, or
a 5xx) sends the message again, and the balancer retries it on the other server. If the first
server had saved the turn before it died, running the message again would answer it twice (and
could move a form one step too far). So the REST and hotline channels accept an optional id per
message (`message_id` / `turn_id`); Rasa keeps it on the user event, and a message whose id the
conversation already holds is answered with what the bot said to it then, read from the shared
tracker store. (WeChat's MsgId is claimed in Redis instead: connectors/wechat_state.py.)

A copy that arrives while the first is still running (a client that gave up waiting, a
balancer's retry) waits for it: each channel holds a lease per message id (hotline: per call)
across the check and the turn (connectors/leases.py), so the copy reads the first one's answer
here once it ends, runs the message itself only if the first copy's server died before saving
it, and is refused with a 503 and Retry-After if the first copy outlasts leases.WAIT_S.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

#: Letters, digits and ._:- , up to 64 characters.
TURN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")


def replies_to(events: Sequence[Mapping[str, Any]], message_id: str) -> list[dict[str, Any]] | None:
    """What the bot answered to the user message `message_id`, or None if the conversation does
    not hold that message with its whole answer (the bot back to listening after it): then the
    message is run (again).

    Read from the conversation's events (the shared tracker store), so it holds whichever
    server handled the turn first."""
    found = False
    out: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            if found:
                break
            found = event.get("message_id") == message_id
        elif found and kind == "bot":
            message = {"text": event.get("text")} if event.get("text") else {}
            data = event.get("data") or {}
            if data.get("buttons"):
                message["buttons"] = data["buttons"]
            if message:
                out.append(message)
        elif found and kind == "action" and event.get("name") == "action_listen":
            return out
    return None
