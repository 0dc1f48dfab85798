"""The ledger and everything done to an issue: models, repository, commands, lifecycle, routing, deadlines, notifications."""
