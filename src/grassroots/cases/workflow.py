"""The case lifecycle as one table: state, action, who may do it, next state.

GB/T 30428's closed loop and the 12345 hotline's work-order flow, readable in one
screen. Services look an action up here before they touch anything; the screens
and the API offer exactly the actions this table allows. "Who" is a set of roles
plus three relations to the case: the `lead` handler, any summoned `assignee`,
and the `reporter`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    REPORTED = "reported", _("reported")
    REGISTERED = "registered", _("registered")
    DISPATCHED = "dispatched", _("dispatched")
    ACKNOWLEDGED = "acknowledged", _("in progress")
    RESOLVED = "resolved", _("resolved")
    VERIFIED = "verified", _("verified")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    MERGED = "merged", _("merged")


class Action(models.TextChoices):
    REGISTER = "register", _("register")
    REJECT = "reject", _("reject")
    MERGE = "merge", _("merge into a duplicate")
    DISPATCH = "dispatch", _("dispatch")
    WHISTLE = "whistle", _("whistle (summon several parties)")
    ACKNOWLEDGE = "acknowledge", _("acknowledge")
    PLAN = "plan", _("record the agreed plan")
    RESOLVE = "resolve", _("report done")
    VERIFY = "verify", _("record the call-back")
    CLOSE = "close", _("close")
    REOPEN = "reopen", _("reopen")
    URGE = "urge", _("urge")
    ESCALATE = "escalate", _("escalate to the street")
    EXTEND = "extend", _("request more time")
    DECIDE_EXTENSION = "decide_extension", _("decide on more time")
    NOTE = "note", _("add a note")
    REPORT = "report", _("report")


# Who: roles by name, and relations to the case.
LEGS = frozenset({"secretary", "street", "admin"})
MOUTH = frozenset({"socialworker", "gridworker"})
COORDINATORS = LEGS | MOUTH
LEAD = "lead"
ASSIGNEE = "assignee"
REPORTER = "reporter"

OPEN = frozenset(
    {
        Status.REPORTED,
        Status.REGISTERED,
        Status.DISPATCHED,
        Status.ACKNOWLEDGED,
        Status.RESOLVED,
        Status.VERIFIED,
    }
)
IN_HAND = frozenset({Status.DISPATCHED, Status.ACKNOWLEDGED})
# Open and not yet done: the only states in which a case can be overdue.
UNRESOLVED = frozenset({Status.REGISTERED, Status.DISPATCHED, Status.ACKNOWLEDGED})
FINAL = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED})
SAME = None  # the action leaves the status as it is


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    who: frozenset[str]
    target: str | None  # None: unchanged


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.REGISTER, frozenset({Status.REPORTED}), COORDINATORS, Status.REGISTERED),
    Transition(Action.REJECT, frozenset({Status.REPORTED}), COORDINATORS, Status.REJECTED),
    Transition(Action.MERGE, frozenset({Status.REPORTED, Status.REGISTERED}), COORDINATORS, Status.MERGED),
    Transition(
        Action.DISPATCH, frozenset({Status.REGISTERED, Status.DISPATCHED}), COORDINATORS, Status.DISPATCHED
    ),
    Transition(
        Action.WHISTLE, frozenset({Status.REGISTERED, Status.DISPATCHED}), COORDINATORS, Status.DISPATCHED
    ),
    Transition(Action.ACKNOWLEDGE, IN_HAND, COORDINATORS | {ASSIGNEE}, SAME),  # coordinators: on behalf
    Transition(Action.PLAN, IN_HAND, COORDINATORS | {LEAD}, SAME),
    Transition(Action.RESOLVE, frozenset({Status.ACKNOWLEDGED}), COORDINATORS | {LEAD}, Status.RESOLVED),
    Transition(Action.VERIFY, frozenset({Status.RESOLVED}), COORDINATORS | {REPORTER}, SAME),
    Transition(Action.CLOSE, frozenset({Status.VERIFIED}), COORDINATORS, Status.CLOSED),
    Transition(Action.REOPEN, frozenset({Status.CLOSED}), COORDINATORS, Status.DISPATCHED),
    Transition(Action.URGE, frozenset({Status.REGISTERED, *IN_HAND, Status.RESOLVED}), LEGS, SAME),
    Transition(Action.ESCALATE, frozenset({Status.REGISTERED, *IN_HAND}), COORDINATORS, SAME),
    Transition(Action.EXTEND, IN_HAND, COORDINATORS | {LEAD}, SAME),
    Transition(Action.DECIDE_EXTENSION, IN_HAND, LEGS, SAME),
    Transition(Action.NOTE, OPEN, COORDINATORS | {ASSIGNEE, REPORTER}, SAME),
)

BY_ACTION: dict[str, Transition] = {transition.action: transition for transition in TRANSITIONS}


def transition_for(action: str, status: str) -> Transition | None:
    """The row that allows `action` from `status`, or None when it is not allowed now."""
    transition = BY_ACTION.get(action)
    if transition is None or status not in transition.sources:
        return None
    return transition


def allowed(action: str, status: str, who: set[str]) -> bool:
    """True when someone with these roles/relations may take `action` from `status`."""
    transition = transition_for(action, status)
    return transition is not None and bool(transition.who & who)


def next_status(action: str, status: str, *, outcome: str | None = None) -> str:
    """Where `action` leads from `status`. Two actions depend on their outcome:

    - acknowledge by the lead moves a dispatched case to "in progress"; a supporter's
      acknowledgement is recorded on their assignment and leaves the status alone;
    - verify: satisfied or basically satisfied -> verified; unsatisfied -> dispatched (rework).
    """
    transition = transition_for(action, status)
    if transition is None:
        raise ValueError(f"{action} is not allowed from {status}")
    if action == Action.ACKNOWLEDGE:
        return Status.ACKNOWLEDGED if outcome == LEAD and status == Status.DISPATCHED else status
    if action == Action.VERIFY:
        return Status.DISPATCHED if outcome == "unsatisfied" else Status.VERIFIED
    return transition.target or status
