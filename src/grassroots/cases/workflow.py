"""The case lifecycle as one table: the states, and the registry of every action.

GB/T 30428's closed loop and the 12345 hotline's work-order flow. An action is one
`CaseAction`: its place in the lifecycle (from which states, who may take it, where each
outcome leads), its inputs, the one service that performs it, who is told, how the
resident reads it, and how the case page offers it. The services declare their action
with `@case_action(...)` on the service function itself (cases.services), so the write and
its declaration stand together; the case page, the API (endpoints, serializers, OpenAPI
schema), the resident's timeline, notifications and Open311 all read the registry.
Adding an action is one decorated service and its test.

"Who" is a set of roles plus three relations to the case: the `lead` handler, any
summoned `assignee`, and the `reporter` (answered for a user by cases.permissions).
`case_perform(...)` is the one entry point that dispatches a named action to its service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grassroots.accounts.roles import LEGS_ROLES, MOUTH_ROLES

if TYPE_CHECKING:
    from grassroots.accounts.models import User
    from grassroots.cases.models import Case, CaseEvent


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


class Action(StrEnum):
    """The names of the built-in actions, for code that names one; labels live in the registry."""

    REGISTER = "register"
    REJECT = "reject"
    MERGE = "merge"
    DISPATCH = "dispatch"
    WHISTLE = "whistle"
    ACKNOWLEDGE = "acknowledge"
    PLAN = "plan"
    RESOLVE = "resolve"
    VERIFY = "verify"
    CLOSE = "close"
    REOPEN = "reopen"
    URGE = "urge"
    ESCALATE = "escalate"
    EXTEND = "extend"
    DECIDE_EXTENSION = "decide_extension"
    NOTE = "note"
    NOT_DUPLICATE = "not_duplicate"
    PUBLISH = "publish"
    REPORT = "report"


# Who: roles (as the permission module groups them), and relations to the case.
LEGS = LEGS_ROLES
MOUTH = MOUTH_ROLES
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


# --- inputs ----------------------------------------------------------------------------------------

#: The kinds of input an action can take. Each surface (page form, API serializer) knows how to
#: render and read every kind; an action only names its inputs' kinds.
INPUT_KINDS = frozenset(
    {
        "note",  # free text, optional: a note for the timeline
        "text",  # free text the action needs (a reason, a plan, a report)
        "choice",  # one of `choices`
        "minutes",  # a duration in minutes, from `choices` on the page
        "decision",  # approve (True) or refuse (False)
        "public",  # True: the resident may read the entry; False: an internal note
        "case",  # another case of the same community (by number on the page, by id in the API)
        "party",  # someone summoned: "user:5", "person:12", "team:3", "unit:7"
        "parties",  # several of them
        "role_notes",  # each party's role in the case, by party
        "photos",  # uploaded images
        "hours",  # hours of work, optional: what a later service-hours ledger reads off the timeline
    }
)


@dataclass(frozen=True)
class Input:
    """One input of an action: the service's keyword, the API field and the form field at once.

    `required` is the API's contract; the page leaves text optional so that the service
    answers what is missing in the reader's words, next to the field.
    """

    name: str
    kind: str
    label: str | Promise = ""
    required: bool = False
    help_text: str = ""
    choices: tuple[tuple[Any, str | Promise], ...] = ()
    rows: int = 2
    placeholder: str = ""
    min_value: int | None = None
    max_value: int | None = None
    max_items: int = 10
    initial: Any = None
    capture: bool = False  # photos: open the phone's camera
    fold: str | Promise = ""  # on the page, folded under this summary

    def __post_init__(self) -> None:
        if self.kind not in INPUT_KINDS:
            raise ValueError(f"unknown input kind {self.kind!r} for {self.name!r}")


# --- notifications and the resident's view ---------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """Who is told of a committed action, and with which message (notify.texts words each kind).

    `audience` is one of: "reporter" (the resident), "parties" (everyone summoned now),
    "new_parties" (those this very event summoned), "street" (the street office),
    "coordinators" (the case's coordinators, in their inbox: a call-back now due).
    """

    kind: str
    audience: str


#: Who may read an action's note outside the staff: nobody, the reporter, or the public feed.
NOTE_STAFF, NOTE_REPORTER, NOTE_PUBLIC = "staff", "reporter", "public"


# --- the action ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseAction:
    """One action of the case workflow, declared once."""

    name: str
    label: str | Promise
    sources: frozenset[str]
    who: frozenset[str]
    #: Where the action leads, by outcome (None: any other outcome); a target of None keeps the status.
    targets: Mapping[str | None, str | None]
    service: Callable[..., Case] | None = None
    inputs: tuple[Input, ...] = ()
    #: The message sent after commit, or a function of the event choosing one (None: nobody is told).
    notice: Notice | Callable[[CaseEvent], Notice | None] | None = None
    #: A second message after commit, to the staff's inbox (the call-back due once work is reported done).
    follow_up: Notice | None = None
    #: What the action means to the resident on their timeline (None: not shown to them).
    public_label: str | Promise | None = None
    note_audience: str = NOTE_STAFF
    #: Extra words for the resident, from the event (the verdict, the new due time).
    public_detail: Callable[[CaseEvent], str] | None = None
    photo_stage: str = ""  # "before"/"after" when the action takes photos
    #: Is the action meaningful now, beyond what the table allows? (e.g. no second extension request)
    offer_when: Callable[[User | None, Case], bool] | None = None
    # How the case page offers it.
    button: str | Promise = ""
    done: str | Promise = ""
    title: str | Promise = ""  # a heading over the form
    #: Folded under this summary (text, or a function of the case); without one, shown open.
    summary: str | Promise | Callable[[Case], str] = ""
    emphasis: str = ""  # "primary", "danger" or "" for the button
    #: The category's condition to show, and its label: ("register_condition", "Register when").
    condition: tuple[str, str | Promise] | None = None
    hint: str | Promise = ""
    describe: Callable[[Case], str] | None = None  # a line about the case's state, above the form
    initial: Callable[[Case], dict] | None = None  # what the form starts with, from the case
    rank: int = 0  # order on the page among the folded actions
    page: str = ""  # the URL name of a page of its own (dispatch), instead of a form on the case page
    internal: bool = False  # recorded by the system only (the report itself): never offered

    @property
    def action(self) -> str:
        """The name, as the lifecycle table calls it."""
        return self.name

    @property
    def target(self) -> str | None:
        """The one status the action leads to whatever the outcome, or None when it depends (or stays)."""
        if len(self.targets) == 1 and None in self.targets:
            return self.targets[None]
        return None

    @property
    def takes_photos(self) -> bool:
        return any(item.kind == "photos" for item in self.inputs)

    @property
    def permission(self) -> str:
        """The object permission that asks "may this user take this action on this case now?"."""
        return f"cases.{self.name}_case"

    def next_status(self, status: str, outcome: str | None) -> str:
        target = self.targets[outcome] if outcome in self.targets else self.targets.get(None)
        return status if target is None else target

    def notice_for(self, event: CaseEvent) -> Notice | None:
        return self.notice(event) if callable(self.notice) else self.notice


REGISTRY: dict[str, CaseAction] = {}
_listeners: list[Callable[[CaseAction], None]] = []


def register(action: CaseAction) -> CaseAction:
    """Add an action to the registry (and tell the surfaces that build per-action parts)."""
    if action.name in REGISTRY and REGISTRY[action.name].service is not action.service:
        raise ValueError(f"the action {action.name!r} is declared twice")
    unknown = set(action.sources) - set(Status.values)
    if unknown:
        raise ValueError(f"{action.name}: unknown states {sorted(unknown)}")
    REGISTRY[action.name] = action
    for listener in _listeners:
        listener(action)
    return action


def unregister(name: str) -> None:
    """Remove an action (tests that declare one of their own clean up with this)."""
    REGISTRY.pop(name, None)


def on_register(listener: Callable[[CaseAction], None]) -> None:
    """Call `listener` for every action registered, those already there included."""
    _listeners.append(listener)
    for action in list(REGISTRY.values()):
        listener(action)


def case_action(**declaration) -> Callable[[Callable[..., Case]], Callable[..., Case]]:
    """Declare the action a service performs, on the service itself."""

    def decorate(service: Callable[..., Case]) -> Callable[..., Case]:
        register(CaseAction(service=service, **declaration))
        return service

    return decorate


def label(name: str) -> str:
    """The action's name in the reader's language (an unknown name is shown as it is)."""
    action = REGISTRY.get(name)
    return str(action.label) if action else name


def case_perform(
    *, actor: User | None, case: Case | int, action: str, expected_version: int | None = None, **inputs
) -> Case:
    """Perform a named action through its one service: what every surface calls."""
    declared = REGISTRY.get(action)
    if declared is None or declared.service is None or declared.internal:
        raise LookupError(f"no such action: {action}")
    return declared.service(actor=actor, case=case, expected_version=expected_version, **inputs)


# --- the lifecycle table, read from the registry ---------------------------------------------------


def __getattr__(name: str):
    """`TRANSITIONS`: the lifecycle table as the registry holds it now."""
    if name == "TRANSITIONS":
        return tuple(REGISTRY.values())
    raise AttributeError(name)


def transition_for(action: str, status: str) -> CaseAction | None:
    """The action when it is allowed from `status`, or None when it is not allowed now."""
    declared = REGISTRY.get(action)
    if declared is None or status not in declared.sources:
        return None
    return declared


def allowed(action: str, status: str, who: set[str]) -> bool:
    """True when someone with these roles/relations may take `action` from `status`."""
    declared = transition_for(action, status)
    return declared is not None and bool(declared.who & who)


def next_status(action: str, status: str, *, outcome: str | None = None) -> str:
    """Where `action` leads from `status`, given its outcome (the lead's acknowledgement, the verdict)."""
    declared = transition_for(action, status)
    if declared is None:
        raise ValueError(f"{action} is not allowed from {status}")
    return declared.next_status(status, outcome)
