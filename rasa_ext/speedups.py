"""Rasa 3.6 hot-path fixes, applied when the model loads our components.

`RemoteAction._validate_action_result` calls `jsonschema.validate`, which checks the schema
itself against the metaschema on every call; profiling the bot under load showed ~40 % of the
Rasa server's CPU there. The same validation with a validator built once gives the same
answers (and the same ValidationError) at a fraction of the cost.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)
_applied = False


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

    try:
        _validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid."
        )
        raise


def apply() -> None:
    """Idempotent: patches RemoteAction once per process."""
    global _applied
    if _applied:
        return
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _validate_action_result
    _applied = True
    logger.debug("rasa_ext speedups applied")
