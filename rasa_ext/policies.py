"""A policy that notices a custom action that failed (action server or database away).

When the action server cannot be reached, Rasa logs the error, drops the action's events and
carries on, so the citizen would hear nothing. Every GreenWhistle custom action returns at least one
event when it succeeds; an executed custom action followed by no event therefore failed. This
policy then answers with a Chinese "system busy, nothing is lost, please retry" response, and when
the citizen says 确认/继续 afterwards it runs the failed action again. The conversation itself is in
the SQL tracker store, so a retry finds every answer the citizen gave.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_ext import speedups

logger = logging.getLogger(__name__)
speedups.apply()


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=False
)
class ActionFailurePolicy(Policy):
    """Says "busy, retry" after a failed custom action and retries it on the citizen's go-ahead."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Above RulePolicy (6) so that a rule written for the success case does not win.
            "priority": 7,
            "busy_response": "utter_service_busy",
            # action name -> response to use instead of busy_response
            "responses": {"action_submit_report": "utter_submit_failed"},
            "retry_intents": ["affirm"],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.busy_response: str = config["busy_response"]
        self.responses: dict[str, str] = dict(config["responses"])
        self.retry_intents: set[str] = set(config["retry_intents"])

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ActionFailurePolicy:
        return cls(config, model_storage, resource, execution_context)

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        return self._resource

    def _busy_responses(self) -> set[str]:
        return {self.busy_response, *self.responses.values()}

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        action = self._decide(list(tracker.events), domain)
        if action is None:
            return self._prediction(self._default_predictions(domain))
        return self._prediction(confidence_scores_for(action, 1.0, domain))

    def _decide(self, events: list[Event], domain: Domain) -> str | None:
        if not events:
            return None
        custom = {a for a in domain.user_actions if a not in domain.responses}
        custom |= set(domain.form_names)
        last = events[-1]
        if isinstance(last, ActionExecuted) and last.action_name in custom:
            logger.warning(
                "custom action %s produced no events: treating it as failed", last.action_name
            )
            return self.responses.get(last.action_name or "", self.busy_response)

        executed = [e for e in events if isinstance(e, ActionExecuted)]
        if executed and executed[-1].action_name in self._busy_responses():
            return ACTION_LISTEN_NAME

        # The citizen answered our "busy" message with a go-ahead: run the failed action again.
        user_turns = [i for i, e in enumerate(events) if isinstance(e, UserUttered)]
        if not user_turns:
            return None
        latest = events[user_turns[-1]]
        assert isinstance(latest, UserUttered)
        if latest.intent_name not in self.retry_intents:
            return None
        before = [e for e in events[: user_turns[-1]] if isinstance(e, ActionExecuted)]
        if len(before) >= 3 and before[-1].action_name == ACTION_LISTEN_NAME:
            busy, failed = before[-2].action_name, before[-3].action_name
            after_user = [e for e in events[user_turns[-1] :] if isinstance(e, ActionExecuted)]
            ran_since = any(e.action_name == failed for e in after_user)
            if busy in self._busy_responses() and failed in custom and not ran_since:
                return failed
        return None
