"""rasa_ext.speedups keeps Rasa's behaviour: checked inside the Rasa environment itself.

The hand-written check of action responses may only ever say "valid" where jsonschema with
Rasa's own response schema says so too; everything else must still reach jsonschema and fail the
same way. Runs in .venv-rasa (Python 3.10, Rasa 3.6) as a subprocess.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.ops.stack import PROJECT_ROOT, RASA_VENV

pytestmark = pytest.mark.e2e

CASES: list[object] = [
    {"events": [], "responses": []},
    {},
    {
        "events": [{"event": "slot", "name": "location", "value": "涪城区"}],
        "responses": [{"text": "好"}],
    },
    {
        "events": [
            {"event": "slot", "name": "categories", "value": ["大气", "噪声"], "timestamp": None}
        ]
    },
    {"events": [{"event": "slot", "name": "x", "value": None, "timestamp": 1.5, "metadata": {}}]},
    {
        "events": [
            {"event": "active_loop", "name": "report_form"},
            {"event": "followup", "name": "a"},
        ]
    },
    {"events": [{"event": "action", "name": "utter_x", "policy": None, "confidence": 1}]},
    {"events": [{"event": "restart"}, {"event": "reset_slots"}, {"event": "bot", "text": "你好"}]},
    # malformed: every one of these must be rejected exactly as before
    {"events": [{"event": "slot", "name": "x"}]},  # no value
    {"events": [{"event": "slot", "name": 3, "value": 1}]},
    {"events": [{"event": "slot", "value": 1}]},
    {"events": [{"name": "x", "value": 1}]},  # no event type
    {"events": [{"event": 7}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": "yesterday"}]},
    {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": True}]},
    {"events": [{"event": "slot", "name": "x", "value": 1, "metadata": []}]},
    {"events": [{"event": "action", "name": "x", "confidence": "high"}]},
    {"events": [{"event": "action", "name": "x", "hide_rule_turn": "yes"}]},
    {"events": "slot"},
    {"events": ["slot"]},
    {"responses": ["text"]},
    {"responses": {"text": "x"}},
    # full validation paths: user and entities events go to jsonschema
    {"events": [{"event": "user", "text": "你好", "parse_data": {"intent": {"name": "greet"}}}]},
    {"events": [{"event": "entities", "entities": []}]},
]

SCRIPT = r"""
import json, sys
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa_ext import speedups

speedups.apply()
schema = RemoteAction.action_response_format_spec()
out = []
for case in json.load(sys.stdin):
    try:
        validate(case, schema)
        reference = True
    except ValidationError:
        reference = False
    try:
        patched = RemoteAction("x", None)._validate_action_result(case)
    except ValidationError:
        patched = False
    out.append({"reference": reference, "fast": speedups.response_is_plainly_valid(case),
                "patched": patched})
print(json.dumps(out))
"""


def test_action_response_check_agrees_with_jsonschema() -> None:
    proc = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), "-c", SCRIPT],
        input=json.dumps(CASES),
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(results) == len(CASES)
    for case, r in zip(CASES, results, strict=True):
        assert r["patched"] == r["reference"], case  # same verdict as Rasa's own validation
        assert not (r["fast"] and not r["reference"]), case  # the shortcut never lets bad through
    # the shortcut really is taken for the responses our actions send
    assert all(r["fast"] for r in results[:8])
    assert sum(not r["reference"] for r in results) == 15
