"""GreenWhistle custom actions (rasa-sdk): thin wrappers that read slots, call bot/, return events.

Every action returns at least one event when it succeeds: the Rasa-side ActionFailurePolicy takes an
executed custom action with no events as a failure and tells the citizen to retry.
"""

from bot import datafiles, texts

# A broken catalogue or data file stops the action server at start-up, naming file and line.
texts.check_all()
datafiles.check_all()
