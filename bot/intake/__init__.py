"""Conversation turns → report fields, summaries and filing drafts (runs in the action server)."""
