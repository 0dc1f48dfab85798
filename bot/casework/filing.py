"""What happens to every new issue inside its filing transaction, whatever the channel.

The routing proposal (责任清单) with the rule that matched, the acceptance and handling deadlines,
the search columns the console filters on, and duplicate / hot-spot detection. Called by
CaseStore.file, so bot chats, hotline work orders, Open311 and staff entries are all treated alike.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bot.casework import deadlines, duplicates, routing
from bot.casework.models import Issue
from bot.config import Settings, get_settings

logger = logging.getLogger(__name__)


def refresh_derived(issue: Issue) -> None:
    """Recomputes the denormalised search columns after any change of the fields they mirror."""
    cats = list(issue.categories or [])
    issue.category_tags = ("|" + "|".join(cats) + "|") if cats else ""
    issue.search_text = " ".join(
        p for p in (issue.ticket, issue.phenomenon, issue.address, issue.polluter, issue.town) if p
    ).lower()


def enrich(
    session: Session, issue: Issue, *, now: datetime, settings: Settings | None = None
) -> None:
    """Routing proposal, deadlines, search columns and duplicates for a just-flushed issue."""
    settings = settings or get_settings()
    refresh_derived(issue)
    proposal = routing.propose(
        issue.categories,
        text=routing.route_text(issue.phenomenon, issue.polluter, issue.address),
        district=issue.district,
    )
    issue.department = proposal.department
    issue.route_rule = proposal.explanation[:200]
    pol = deadlines.policy(settings)
    issue.accept_due = deadlines.accept_due(now, pol)
    # Provisional: counted again from the moment of acceptance (casework.accept).
    issue.handle_due = deadlines.handle_due(
        now, issue.categories, pol, source=issue.source, handed_over=issue.handed_over_at
    )
    duplicates.detect(
        session,
        issue,
        now=now,
        window_days=settings.duplicate_window_days,
        max_distance_m=settings.duplicate_distance_m,
        hotspot_threshold=settings.hotspot_threshold,
    )
    # These are writes of the filing itself, not an update: keep updated_at at the filing time.
    issue.updated_at = now
    flag_modified(issue, "updated_at")
