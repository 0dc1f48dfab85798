"""Rasa 3.6 hot-path fixes, applied when the model loads our components.

Each one keeps Rasa's behaviour and removes work that profiling the bot under load
(`bench/turns.py` with py-spy; docs/architecture.md, Performance) found on the Rasa server's hot path:

1. `RemoteAction._validate_action_result` ran `jsonschema.validate`, which checks the schema
   against the metaschema on every call and then tries every branch of a 23-way `oneOf` for each
   event. Responses made only of the event types our actions return are checked here by hand,
   exactly as the schema would check them; anything else goes through a validator built once,
   which raises the same `ValidationError` as before.
2. `EndpointConfig.request` opened a new aiohttp session, and so a new TCP connection, for every
   action call and serialised the body with the standard `json` module. The action endpoint now
   keeps one session per event loop (keep-alive connections) and serialises with ujson.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)
_applied = False

# --- 1. action response validation ----------------------------------------------------------

# Event types whose schema branch is only {"event": {"const": name}}: for these the `oneOf`
# succeeds exactly when the common properties are well-typed.
_CONST_ONLY_EVENTS = frozenset(
    {
        "user_featurization",
        "cancel_reminder",
        "reminder",
        "action_execution_rejected",
        "form_validation",
        "loop_interrupted",
        "form",
        "active_loop",
        "reset_slots",
        "resume",
        "pause",
        "followup",
        "export",
        "restart",
        "undo",
        "rewind",
        "bot",
        "session_started",
        "agent",
    }
)


def _is_number_or_none(value: Any) -> bool:
    # JSON-schema "number" excludes booleans
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _is_str_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _event_is_valid(event: Any) -> bool:
    """True when EVENT_SCHEMA certainly accepts `event`; False means "ask jsonschema"."""
    if not isinstance(event, dict):
        return False
    kind = event.get("event")
    if not isinstance(kind, str):
        return False
    if "timestamp" in event and not _is_number_or_none(event["timestamp"]):
        return False
    if "metadata" in event and not (
        event["metadata"] is None or isinstance(event["metadata"], dict)
    ):
        return False
    if kind in _CONST_ONLY_EVENTS:
        return True
    if kind == "slot":
        return isinstance(event.get("name"), str) and "value" in event
    if kind == "action":
        return (
            _is_str_or_none(event.get("policy"))
            and _is_number_or_none(event.get("confidence"))
            and _is_str_or_none(event.get("name"))
            and isinstance(event.get("hide_rule_turn", False), bool)
            and _is_str_or_none(event.get("action_text"))
        )
    return False  # user, entities and unknown kinds: full validation


def response_is_plainly_valid(result: Any) -> bool:
    """True when the action response certainly matches RemoteAction's response schema."""
    if not isinstance(result, dict):
        return False
    events = result.get("events", [])
    responses = result.get("responses", [])
    if not isinstance(events, list) or not isinstance(responses, list):
        return False
    return all(isinstance(r, dict) for r in responses) and all(_event_is_valid(e) for e in events)


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_cls = validator_for(schema)  # the class jsonschema.validate would pick
    validator_cls.check_schema(schema)  # once, not per response
    return validator_cls(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    from jsonschema import ValidationError

    if response_is_plainly_valid(result):
        return True
    try:
        _validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid."
        )
        raise


# --- 2. one keep-alive session per event loop for the action endpoint -------------------------

_sessions: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Any]] = weakref.WeakKeyDictionary()


def _dumps(obj: Any) -> str:
    """ujson where it can (several times faster on a whole tracker), `json` for anything else."""
    import ujson

    try:
        return str(ujson.dumps(obj))
    except (TypeError, OverflowError, ValueError):
        return json.dumps(obj)


class _SharedSession:
    """`async with` hands out a long-lived session and leaves it open on exit."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc: Any) -> None:
        return None


def _endpoint_session(self: Any) -> Any:
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    auth = (
        aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        if self.basic_auth
        else None
    )
    key = (
        self.url,
        tuple(sorted((self.headers or {}).items())),
        tuple(sorted((self.basic_auth or {}).items())),
    )
    per_loop = _sessions.setdefault(loop, {})
    session = per_loop.get(key)
    if session is None or session.closed:
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            json_serialize=_dumps,
            # idle connections are dropped well before the action server's keep-alive (120 s)
            connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=15),
        )
        per_loop[key] = session
    return _SharedSession(session)


def apply() -> None:
    """Idempotent: patches Rasa once per process."""
    global _applied
    if _applied:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    RemoteAction._validate_action_result = _validate_action_result
    EndpointConfig.session = _endpoint_session
    _applied = True
    logger.debug("rasa_ext speedups applied")
