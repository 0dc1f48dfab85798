"""Case work (案件办理): the staff actions on an issue, each one transaction plus its notifications.

accept (受理), route (分办), change status, resolve (办结), transfer (转办), merge (合并), edit a
field, confirm/reject a duplicate, record the citizen's satisfaction, finish a call-back task.
Every status change is checked against bot/casework/lifecycle.py, audited (StatusEvent / FieldEdit), copied
to issues merged into this one (every reporter is told), turned into a call-back task for hotline
reports (script by bot.casework.notify.callback_script), and written to the outbox
(bot.casework.notify.queue) in the same transaction: a change and the message announcing it are
committed together or not at all. After the commit the delivery worker is woken
(bot.casework.notify.status_changed). The commands return the issue with the messages queued
(`Changed.notices`), so the console says what was done (`notify.status_flash`). Staff-facing messages
come from staff.yml `casework` and `outbox`; the notes a citizen reads on a change from
citizen.yml `notify.notes`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from bot import texts
from bot.casework import deadlines, lifecycle, notify, results
from bot.casework.catalog import categories as known_categories
from bot.casework.catalog import statuses
from bot.casework.filing import refresh_derived
from bot.casework.models import CallbackTask, DuplicateLink, FieldEdit, Issue, StatusEvent, utcnow
from bot.casework.notify import Changed, Notice
from bot.casework.routing import departments
from bot.casework.schemas import EventView, IssueView
from bot.casework.store import CaseStore
from bot.config import Settings, get_settings
from bot.exceptions import InvalidReport, InvalidTransition, IssueNotFound

logger = logging.getLogger(__name__)

#: Fields staff may edit on the issue page, with their Chinese labels (staff.yml casework.fields).
EDITABLE: dict[str, str] = texts.table("staff", "casework.fields")
MAX_TEXT = {"phenomenon": 4000, "address": 1000, "polluter": 200, "time_text": 200}

#: Called after the commit for every status change (default: wake the delivery worker).
Notifier = Callable[[IssueView, EventView], None]


@dataclass
class _Pending:
    """Status events written in this transaction and their outbox messages, to report and to
    wake the delivery worker for once it has committed."""

    events: list[tuple[Issue, StatusEvent]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    def changed(self, issue: Issue) -> Changed:
        return Changed.model_validate(issue).model_copy(update={"notices": tuple(self.notices)})


class CaseWork:
    """Staff operations over a CaseStore; thread-safe like the store itself."""

    def __init__(
        self,
        store: CaseStore,
        settings: Settings | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or get_settings()
        self._notifier = notifier

    # -- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[tuple[Session, _Pending]]:
        pending = _Pending()
        with self.store.transaction() as s:  # one transaction; StoreUnavailable on outage
            yield s, pending
            s.flush()
            views = [
                (IssueView.model_validate(i), EventView.model_validate(e))
                for i, e in pending.events
            ]
        for view, event in views:
            self._notify(view, event)

    def _notify(self, issue: IssueView, event: EventView) -> None:
        fn = self._notifier or notify.status_changed
        try:
            fn(issue, event)
        except Exception:  # the message is in the outbox already; the worker's next pass sends it
            logger.exception("waking the notifier failed for %s", issue.ticket)

    def _issue(self, s: Session, ticket: str, *, lock: bool = True) -> Issue:
        stmt = select(Issue).options(selectinload(Issue.events)).where(Issue.ticket == ticket)
        if lock:
            stmt = stmt.with_for_update()
        issue = s.execute(stmt).scalar_one_or_none()
        if issue is None:
            raise IssueNotFound(texts.text("staff", "casework.errors.no_issue", ticket=ticket))
        return issue

    def _children(self, s: Session, issue: Issue) -> list[Issue]:
        return list(
            s.execute(
                select(Issue)
                .options(selectinload(Issue.events))
                .where(Issue.merged_into_id == issue.id)
                .order_by(Issue.id)
            ).scalars()
        )

    def _record(
        self,
        s: Session,
        pending: _Pending,
        issue: Issue,
        to_status: str,
        *,
        actor: str,
        note: str | None,
        now: datetime,
    ) -> StatusEvent:
        event = lifecycle.apply(issue, to_status, actor=actor, now=now, note=note)
        s.flush()
        pending.events.append((issue, event))
        view, event_view = IssueView.model_validate(issue), EventView.model_validate(event)
        # The transactional outbox: the message goes in with the change, or neither does.
        notice = notify.queue(s, view, event_view)
        if notice is not None:
            pending.notices.append(notice)
        if issue.channel == "hotline":
            s.add(
                CallbackTask(
                    issue_id=issue.id,
                    event_id=event.id,
                    created_at=now,
                    message=notify.callback_script(view, event_view),
                )
            )
        return event

    def _transition(
        self,
        s: Session,
        pending: _Pending,
        issue: Issue,
        to_status: str,
        *,
        actor: str,
        note: str | None,
        now: datetime,
        **needs: Any,
    ) -> None:
        """A checked change of `issue`, copied to every issue merged into it."""
        if issue.merged_into_id is not None:
            raise InvalidTransition(texts.text("staff", "casework.errors.merged_elsewhere"))
        lifecycle.check(issue.status, to_status, note=note, **needs)
        self._record(s, pending, issue, to_status, actor=actor, note=note, now=now)
        for child in self._children(s, issue):
            if child.status != to_status:
                self._record(s, pending, child, to_status, actor=actor, note=note, now=now)

    # -- status -----------------------------------------------------------------------------
    def change_status(
        self,
        ticket: str,
        to_status: str,
        *,
        actor: str,
        note: str | None = None,
        now: datetime | None = None,
        outcome: results.Results | None = None,
    ) -> Changed:
        """A plain status change (in_progress, resolved, closed, reopened, accepted…); to 办结 with
        the results for publication (`outcome`, checked first: bot/casework/results.py)."""
        if to_status == "routed":
            raise InvalidTransition(texts.text("staff", "casework.errors.route_here"))
        if to_status == "merged":
            raise InvalidTransition(texts.text("staff", "casework.errors.merge_here"))
        now = now or utcnow()
        with self._tx() as (s, pending):
            issue = self._issue(s, ticket)
            checked = results.check_for(issue, outcome) if to_status == "resolved" else None
            self._transition(s, pending, issue, to_status, actor=actor, note=note, now=now)
            if to_status == "accepted":
                self._restart_deadline(issue, now)
            if checked is not None:  # on this issue and those merged into it
                for each in (issue, *self._children(s, issue)):
                    results.record(s, each, checked, actor=actor, now=now)
            view = pending.changed(issue)
        return view

    def accept(
        self, ticket: str, *, actor: str, note: str | None = None, now: datetime | None = None
    ) -> Changed:
        """受理: the handling deadline now counts from this moment."""
        return self.change_status(ticket, "accepted", actor=actor, note=note, now=now)

    def _restart_deadline(self, issue: Issue, now: datetime) -> None:
        pol = deadlines.policy(self.settings)
        issue.handle_due = deadlines.handle_due(
            now, issue.categories, pol, source=issue.source, handed_over=issue.handed_over_at
        )

    def route(
        self,
        ticket: str,
        *,
        department: str,
        district: str | None,
        actor: str,
        note: str | None = None,
        now: datetime | None = None,
    ) -> Changed:
        """分办 to a department and district; on an issue already being handled, a re-route."""
        if department not in departments():
            raise InvalidReport(
                texts.text("staff", "casework.errors.unknown_department", department=department)
            )
        now = now or utcnow()
        with self._tx() as (s, pending):
            issue = self._issue(s, ticket)
            district = (district or issue.district or "").strip() or None
            for name, value in (("department", department), ("district", district)):
                FieldEdit.change(s, issue, name, value, actor=actor, at=now)
            if lifecycle.rules().can(issue.status, "routed"):
                if issue.accepted_at is None:
                    self._restart_deadline(issue, now)
                text = note or texts.text(
                    "citizen", "notify.notes.routed", district=district or "", department=department
                )
                self._transition(
                    s,
                    pending,
                    issue,
                    "routed",
                    actor=actor,
                    note=text,
                    now=now,
                    department=department,
                    district=district,
                )
            elif issue.status in ("routed", "in_progress"):
                pass  # re-route: audited as field edits, the citizen is not bothered
            else:
                label = statuses()[issue.status].label
                raise InvalidTransition(
                    texts.text("staff", "casework.errors.cannot_route", status=label)
                )
            issue.updated_at = now
            view = pending.changed(issue)
        return view

    def resolve(
        self, ticket: str, *, result: str, actor: str, now: datetime | None = None
    ) -> Changed:
        """办结 with the result text the citizen reads; they are then asked if they are satisfied.
        With the results for publication: change_status(…, "resolved", outcome=…)."""
        return self.change_status(ticket, "resolved", actor=actor, note=result, now=now)

    def transfer(
        self, ticket: str, *, reason: str, actor: str, now: datetime | None = None
    ) -> Changed:
        """转办: not ours or not environmental; `reason` tells the citizen where it went and why."""
        return self.change_status(ticket, "transferred", actor=actor, note=reason, now=now)

    def merge(
        self,
        ticket: str,
        into: str,
        *,
        actor: str,
        note: str | None = None,
        now: datetime | None = None,
    ) -> Changed:
        """Merges `ticket` into `into`: its reporter (and those merged into it) follow `into`."""
        if ticket == into:
            raise InvalidTransition(texts.text("staff", "casework.errors.merge_self"))
        now = now or utcnow()
        with self._tx() as (s, pending):
            issue = self._issue(s, ticket)
            target = self._issue(s, into)
            while target.merged_into_id is not None:  # merge into the root, never into a child
                target = s.get(Issue, target.merged_into_id) or target
                if target.id == issue.id:
                    raise InvalidTransition(texts.text("staff", "casework.errors.merge_child"))
                if target.merged_into_id is None:
                    break
            if target.id == issue.id:
                raise InvalidTransition(texts.text("staff", "casework.errors.merge_self"))
            text = note or texts.text("citizen", "notify.notes.merged", ticket=target.ticket)
            lifecycle.check(issue.status, "merged", note=text, target=target.ticket)
            children = self._children(s, issue)
            issue.merged_into_id = target.id
            self._record(s, pending, issue, "merged", actor=actor, note=text, now=now)
            for child in children:
                child.merged_into_id = target.id
            s.execute(
                update(DuplicateLink)
                .where(
                    ((DuplicateLink.issue_id == issue.id) & (DuplicateLink.other_id == target.id))
                    | ((DuplicateLink.issue_id == target.id) & (DuplicateLink.other_id == issue.id))
                )
                .values(state="confirmed", decided_by=actor, decided_at=now)
            )
            target.duplicate_count = max(1, target.duplicate_count or 0)
            issue.updated_at = now
            view = pending.changed(issue)
        return view

    def decide_duplicate(
        self, link_id: int, *, confirm: bool, actor: str, now: datetime | None = None
    ) -> Changed:
        """Confirm (merge the newer issue into the older) or reject a suggested duplicate."""
        now = now or utcnow()
        with self.store.transaction() as s:
            link = s.get(DuplicateLink, link_id)
            if link is None:
                raise IssueNotFound(
                    texts.text("staff", "casework.errors.no_duplicate", link_id=link_id)
                )
            newer, older = s.get(Issue, link.issue_id), s.get(Issue, link.other_id)
            assert newer is not None and older is not None
            newer_ticket, older_ticket = newer.ticket, older.ticket
            if not confirm:
                link.state, link.decided_by, link.decided_at = "rejected", actor, now
                for i in (newer, older):
                    i.duplicate_count = max(0, (i.duplicate_count or 0) - 1)
                return Changed.model_validate(newer)
        return self.merge(newer_ticket, older_ticket, actor=actor, now=now)

    def feedback(
        self,
        ticket: str,
        *,
        satisfied: bool,
        actor: str,
        comment: str | None = None,
        now: datetime | None = None,
    ) -> Changed:
        """满意 closes the issue; 不满意 reopens it (and the issue it was merged into)."""
        now = now or utcnow()
        with self._tx() as (s, pending):
            issue = self._issue(s, ticket)
            root = s.get(Issue, issue.merged_into_id) if issue.merged_into_id else issue
            assert root is not None
            if issue.status != "resolved":
                raise InvalidTransition(texts.text("staff", "casework.errors.not_resolved"))
            answers = texts.table("staff", "casework.satisfaction")
            answer = answers["satisfied" if satisfied else "unsatisfied"]
            FieldEdit.change(s, issue, "satisfaction", answer, actor=actor, at=now)
            if satisfied:
                note = texts.text("citizen", "notify.notes.satisfied")
                if issue is root:
                    self._transition(s, pending, issue, "closed", actor=actor, note=note, now=now)
                else:
                    self._record(s, pending, issue, "closed", actor=actor, note=note, now=now)
            else:
                said = (comment or "").strip()[:200]
                note = texts.text("citizen", "notify.notes.unsatisfied") + (
                    texts.text("citizen", "notify.notes.comment", comment=said) if said else ""
                )
                if root.status == "resolved":
                    self._transition(s, pending, root, "reopened", actor=actor, note=note, now=now)
                if issue is not root and issue.status != "reopened":
                    self._record(s, pending, issue, "reopened", actor=actor, note=note, now=now)
            view = pending.changed(issue)
        return view

    # -- fields -----------------------------------------------------------------------------
    def edit(
        self, ticket: str, changes: dict[str, str], *, actor: str, now: datetime | None = None
    ) -> IssueView:
        """Edits fields (strings from a form), each change audited; unchanged fields are skipped."""
        now = now or utcnow()
        with self.store.transaction() as s:
            issue = self._issue(s, ticket)
            for name, raw in changes.items():
                if name not in EDITABLE:
                    raise InvalidReport(
                        texts.text("staff", "casework.errors.not_editable", field=name)
                    )
                value = _parse_field(name, raw)
                FieldEdit.change(s, issue, name, value, actor=actor, at=now, show=_show)
            if any(
                n in changes for n in ("categories", "phenomenon", "address", "polluter", "town")
            ):
                refresh_derived(issue)
            issue.updated_at = now
            s.flush()
            return IssueView.model_validate(issue)

    # -- call-back tasks (回访) -----------------------------------------------------------------
    def complete_callback(
        self, task_id: int, *, actor: str, outcome: str | None, now: datetime | None = None
    ) -> None:
        with self.store.transaction() as s:
            task = s.get(CallbackTask, task_id)
            if task is None:
                raise IssueNotFound(
                    texts.text("staff", "casework.errors.no_callback", task_id=task_id)
                )
            if task.done_at is not None:
                raise InvalidTransition(texts.text("staff", "casework.errors.callback_done"))
            task.done_at, task.done_by = now or utcnow(), actor
            task.outcome = (outcome or "").strip()[:1000] or None


def _show(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _parse_field(name: str, raw: str) -> Any:
    """A form string as the column's value; raises InvalidReport with a Chinese reason."""
    text = (raw or "").strip()
    if name == "categories":
        cats = [
            c.strip() for c in text.replace("，", "、").replace(",", "、").split("、") if c.strip()
        ]
        unknown = [c for c in cats if c not in known_categories()]
        if not cats or unknown:
            what = "、".join(unknown) or texts.text("staff", "casework.errors.empty")
            raise InvalidReport(texts.text("staff", "casework.errors.bad_categories", what=what))
        return list(dict.fromkeys(cats))
    if name in ("latitude", "longitude"):
        if not text:
            return None
        try:
            number = float(text)
        except ValueError as exc:
            raise InvalidReport(
                texts.text("staff", "casework.errors.not_a_number", field=EDITABLE[name])
            ) from exc
        limit = 90 if name == "latitude" else 180
        if not -limit <= number <= limit:
            raise InvalidReport(
                texts.text("staff", "casework.errors.out_of_range", field=EDITABLE[name])
            )
        return number
    if name == "reporter_phone":
        from bot.nlp.privacy import normalise_phone

        if not text:
            return None
        phone = normalise_phone(text)
        if phone is None:
            raise InvalidReport(texts.text("staff", "casework.errors.bad_phone"))
        return phone
    if name == "phenomenon":
        if not text:
            raise InvalidReport(texts.text("staff", "casework.errors.no_phenomenon"))
        return text[: MAX_TEXT[name]]
    return text[: MAX_TEXT.get(name, 1000)] or None
