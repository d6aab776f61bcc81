"""The one write path for cases: one function per action of the workflow table.

Each service (1) checks that the actor may see the case and may take the action
now (cases.workflow), (2) locks the case row and compares the version the actor
saw, so that of two people acting at once exactly one wins and the other is told
"someone else just did this", (3) changes the case and writes the timeline entry
in the same transaction, and (4) queues notifications only after commit.
Views, the API, Open311, the CLI and the demo all call these functions.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.accounts.roles import reports_as_self, role_of, user_can
from grassroots.cases import calendar, duplicates, links, rollups
from grassroots.cases.models import (
    Assignment,
    Attachment,
    Case,
    CaseCounter,
    CaseEvent,
    Category,
    Channel,
    PartyLink,
    Satisfaction,
    Urgency,
)
from grassroots.cases.permissions import has_pending_assignment, may_take, party_filter, standing
from grassroots.cases.questions import clean_answers
from grassroots.cases.signals import case_event_committed
from grassroots.cases.uploads import check_upload
from grassroots.cases.workflow import (
    ASSIGNEE,
    COORDINATORS,
    IN_HAND,
    LEAD,
    LEGS,
    NOTE_PUBLIC,
    NOTE_REPORTER,
    OPEN,
    REGISTRY,
    REPORTER,
    SAME,
    Action,
    Input,
    Notice,
    Status,
    allowed,
    case_action,
    next_status,
    transition_for,
)
from grassroots.core import inhand, pii
from grassroots.core.ids import parse_id
from grassroots.orgs.models import MemberUnit, VolunteerTeam
from grassroots.people.models import Person
from grassroots.places.models import Building, Community, Grid, Household


class CaseConflict(Exception):
    """Someone else changed the case between the moment the actor saw it and now."""

    def __init__(self, case: Case):
        self.case = case
        super().__init__(
            _(
                "Someone else just changed this case (it is now “%(status)s”). "
                "Please look again before acting."
            )
            % {"status": case.get_status_display()}
        )


class ActionNotAllowed(Exception):
    """The action is not possible in the case's present state; the message says why."""


#: The kinds of party a case can summon, and a party as text ("team:3"), for forms and schemas.
PARTY_KINDS = ("user", "person", "team", "unit")
PARTY_PATTERN = rf"^({'|'.join(PARTY_KINDS)}):[1-9][0-9]{{0,17}}$"


@dataclass(frozen=True)
class Party:
    """Someone to summon to a case: "user:5", "person:12", "team:3" or "unit:7"."""

    kind: str
    id: int

    @classmethod
    def parse(cls, text: str) -> Party:
        kind, _sep, raw_id = (text or "").partition(":")
        party_id = parse_id(raw_id)
        if kind not in PARTY_KINDS or party_id is None:
            raise ValidationError({"parties": _("Unknown party “%(text)s”.") % {"text": text}})
        return cls(kind, party_id)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass
class ReportDetails:
    """What intake, the patrol form, the portal and the API collect about a new problem."""

    category: Category
    description: str
    channel: str
    urgency: str = Urgency.NORMAL
    reporter_person: Person | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    household: Household | None = None
    building: Building | None = None
    grid: Grid | None = None  # a place as wide as a grid (a hotspot's proactive case), with no building
    location_note: str = ""
    plan_x: float | None = None
    plan_y: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    answers: dict = field(default_factory=dict)
    photos: Sequence[UploadedFile] = ()
    media_urls: Sequence[str] = ()
    reported_at: datetime | None = None


# --- helpers ----------------------------------------------------------------------------------------

#: The most hours one report may carry (a report covers one piece of work, not a season).
MAX_HOURS = Decimal("100")


def _hours(hours, *, actor, link: PartyLink | None) -> dict:
    """Hours of work reported with a note or "done", as the timeline keeps them for a later ledger.

    `hours` (a decimal as text, one place) and `hours_by` (the party that worked: the link's party,
    else the acting account as "user:5") go in the entry's changes.
    """
    if hours in (None, ""):
        return {}
    try:
        value = Decimal(str(hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours": _("Give the hours as a number, such as 1.5.")}) from None
    if not Decimal("0") < value <= MAX_HOURS:
        raise ValidationError({"hours": _("Give between 0.1 and %(max)s hours.") % {"max": MAX_HOURS}})
    by = links.party_of(link) if link is not None else (f"user:{actor.pk}" if actor is not None else "")
    return {"hours": str(value), "hours_by": by}


HOURS = Input(
    "hours",
    "hours",
    gettext_lazy("Hours worked (optional)"),
    help_text="Hours of work this report covers, e.g. 1.5 (kept for the service-hours ledger).",
)


# What the declarations below share.
NOTE_OPTIONAL = Input("note", "note", gettext_lazy("Note (optional)"))
REASON = Input("reason", "text", gettext_lazy("Reason"), required=True)
LEAD_HELP = 'The lead party: "user:5", "person:12", "team:3" or "unit:7".'
ROLE_NOTES_HELP = 'Each party\'s role in the case, by party: {"unit:7": "property company"}.'
EXTENSION_CHOICES = (
    (60, gettext_lazy("1 hour")),
    (120, gettext_lazy("2 hours")),
    (240, gettext_lazy("4 hours")),
    (24 * 60, gettext_lazy("1 day")),
    (2 * 24 * 60, gettext_lazy("2 days")),
    (3 * 24 * 60, gettext_lazy("3 days")),
    (7 * 24 * 60, gettext_lazy("1 week")),
)


def _extension_requested(case: Case) -> str:
    """What the legs decide on: how much more time, and why."""
    text = calendar.duration_text(case.extension_requested_minutes or 0)
    return f"{text}: {case.extension_reason}" if case.extension_reason else text


def _extension_decided(event: CaseEvent) -> str:
    """The resident's words for a decision on more time: the new due time, or a refusal."""
    if event.changes.get("approved") and event.changes.get("resolution_due"):
        new = datetime.fromisoformat(event.changes["resolution_due"]["new"])
        return _("More time granted: now due %(due)s") % {
            "due": timezone.localtime(new).strftime("%Y-%m-%d %H:%M")
        }
    return _("More time refused")


def _not_allowed_reason(action: str, case: Case) -> str:
    declared = REGISTRY.get(action)
    if declared is None:
        return _("Unknown action.")
    return _("“%(action)s” is not possible while the case is “%(status)s”.") % {
        "action": declared.label,
        "status": case.get_status_display(),
    }


def _visible(actor, case_id: int, *, proven: bool):
    """The case as the actor may see it; a caller whose standing was proven otherwise finds it by id."""
    queryset = Case.objects.all() if proven else Case.objects.visible_to(actor)
    return queryset.filter(pk=case_id)


@transaction.atomic
def _act(
    *,
    actor,
    case: Case | int,
    action: str,
    expected_version: int | None,
    note: str = "",
    outcome: str | Callable[[Case, set[str]], str] | None = None,
    mutate: Callable[[Case, set[str]], dict] | None = None,
    public: bool = True,
    at: datetime | None = None,
    proven_relations: frozenset[str] | None = None,
    link: PartyLink | None = None,
) -> Case:
    """Lock, check, change, record: the skeleton every action shares.

    `proven_relations` is for callers without an account whose standing was proven
    another way (the portal's case number + phone digits): they act with exactly
    those relations and are recorded under that role, never as an administrator.
    A one-tap `link` (cases.links) proves the relations of its party, for its case and
    purpose only; the timeline entry names the party.
    """
    case_id = case.pk if isinstance(case, Case) else case
    if link is not None:
        if actor is not None:
            raise PermissionDenied
        proof = links.prove(link, case_id=case_id, action=action)
        proven_relations, link = proof.relations, proof.link
    locked = _visible(actor, case_id, proven=proven_relations is not None).select_for_update().first()
    if locked is None:
        raise PermissionDenied
    if expected_version is not None and locked.version != expected_version:
        raise CaseConflict(locked)
    return _apply(
        locked,
        actor=actor,
        action=action,
        note=note,
        outcome=outcome,
        mutate=mutate,
        public=public,
        at=at,
        proven_relations=proven_relations,
        link=link,
    )


def _apply(
    locked: Case,
    *,
    actor,
    action: str,
    note: str = "",
    outcome: str | Callable[[Case, set[str]], str] | None = None,
    mutate: Callable[[Case, set[str]], dict] | None = None,
    public: bool = True,
    at: datetime | None = None,
    proven_relations: frozenset[str] | None = None,
    link: PartyLink | None = None,
    rollup: bool = True,
) -> Case:
    """Check, change, record, on a case already locked (or created) in the caller's transaction."""
    if transition_for(action, locked.status) is None:
        raise ActionNotAllowed(_not_allowed_reason(action, locked))
    who = set(proven_relations) if proven_relations is not None else standing(actor, locked)
    if not allowed(action, locked.status, who):
        raise PermissionDenied
    before = locked.status
    changes = mutate(locked, who) if mutate else {}
    if callable(outcome):
        outcome = outcome(locked, who)
    locked.status = next_status(action, before, outcome=outcome)
    locked.version += 1
    locked.save()
    _record(
        locked,
        actor=actor,
        action=action,
        note=note,
        before=before,
        changes=changes,
        public=public,
        at=at,
        actor_role=(LEAD if LEAD in proven_relations else min(proven_relations))
        if proven_relations
        else None,
        link=link,
        rollup=rollup,
    )
    return locked


def _record(
    case: Case,
    *,
    actor,
    action: str,
    note: str,
    before: str,
    changes: dict,
    public: bool = True,
    at: datetime | None = None,
    actor_role: str | None = None,
    link: PartyLink | None = None,
    rollup: bool = True,
) -> CaseEvent:
    """The timeline entry of a change, with the dashboard's fact and rollups moved in step (unless the
    caller moves them itself, once, at the end of its transaction: `rollup=False`)."""
    if actor_role is None:
        actor_role = role_of(actor)
    event = CaseEvent.objects.create(
        party_link=link,
        actor_name=link.holder_name if link is not None else "",
        case=case,
        at=at or timezone.now(),
        actor=actor,
        actor_role=actor_role,
        action=action,
        note=note,
        from_status=before,
        to_status=case.status,
        changes=changes,
        public=public,
    )
    inhand.keep(case, "events", event)
    if rollup:
        # The dashboard's fact and rollups move with the timeline, in this transaction (cases.rollups).
        rollups.case_changed(case, action=action)
    transaction.on_commit(lambda: _announce(event.pk))
    return event


def _announce(event_id: int) -> None:
    """Announce the committed event to whoever subscribes (notifications queue their messages)."""
    case_event_committed.send(sender=CaseEvent, event_id=event_id)


def _attach(
    case: Case,
    *,
    files: Iterable[UploadedFile],
    urls: Iterable[str] = (),
    stage: str,
    actor,
    event: CaseEvent | None = None,
) -> None:
    for upload in files:
        content_type = check_upload(upload)
        attachment = Attachment.objects.create(
            case=case,
            event=event,
            file=upload,
            stage=stage,
            content_type=content_type,
            size=upload.size,
            original_name=upload.name[:200],
            uploaded_by=actor,
        )
        inhand.keep(case, "attachments", attachment)
    for url in urls:
        attachment = Attachment.objects.create(
            case=case, event=event, url=url, stage=stage, uploaded_by=actor
        )
        inhand.keep(case, "attachments", attachment)


def case_number(community: Community, day: date, place: int) -> str:
    """A case's number: the community, the day it was reported, its place in that day's sequence."""
    return f"{community.code}-{day:%Y%m%d}-{place:04d}"


def _next_number(community: Community, day: date) -> str:
    """The next number of the community's day, in one statement that creates or bumps the counter.

    The counter's row stays locked until the transaction ends, so a report takes its number as late as
    it can (case_report): reports of one community on one day wait for each other only from there.
    """
    table, community_id, day_, last = map(
        connection.ops.quote_name, (CaseCounter._meta.db_table, "community_id", "day", "last")
    )
    # The names are the model's own, the values parameters.
    statement = (
        f"INSERT INTO {table} ({community_id}, {day_}, {last}) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT ({community_id}, {day_}) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [community.pk, connection.ops.adapt_datefield_value(day)])
        (place,) = cursor.fetchone()
    return case_number(community, day, place)


def _place(details: ReportDetails, community: Community) -> dict:
    """Household, building and grid, each derived from the most precise place given."""
    household, building = details.household, details.building
    if household is not None:
        building = household.building
    if building is not None and building.community_id != community.id:
        raise ValidationError({"household": _("This place belongs to another community.")})
    if details.grid is not None and details.grid.community_id != community.id:
        raise ValidationError({"household": _("This place belongs to another community.")})
    grid = household.grid if household else (building.grid if building else details.grid)
    return {"household": household, "building": building, "grid": grid}


def case_due_times(category: Category, urgency: str, start: datetime) -> tuple[datetime, datetime]:
    response, resolution = category.limits(urgency)
    if category.working_time:
        local = timezone.localtime(start)
        return calendar.add_working_minutes(local, response), calendar.add_working_minutes(local, resolution)
    return start + timedelta(minutes=response), start + timedelta(minutes=resolution)


def _send_back_for_rework(case: Case) -> dict:
    """Unsatisfied or reopened: counted as rework, the same parties sign for it again, fresh clocks."""
    case.rework_count += 1
    case.resolved_at = None
    case.assignments.filter(active=True).update(acknowledged_at=None, acknowledged_by=None)
    return _restart_clocks(case)


def _restart_clocks(case: Case) -> dict:
    """Rework gets the category's full time again from now, and may be reported overdue again."""
    old = case.resolution_due
    case.response_due, case.resolution_due = case_due_times(case.category, case.urgency, timezone.now())
    case.responded_at = None
    case.overdue_notified_at = None
    return {
        "resolution_due": {"old": old.isoformat() if old else None, "new": case.resolution_due.isoformat()}
    }


# --- reporting and registration ---------------------------------------------------------------------


@case_action(
    name=Action.REPORT,
    label=gettext_lazy("report"),
    sources=frozenset(),
    who=frozenset(),
    targets={None: Status.REPORTED},
    public_label=gettext_lazy("Problem reported"),
    internal=True,
)
def case_report(
    *,
    actor,
    community: Community,
    details: ReportDetails,
    register: bool = False,
    note: str = "",
    hold: bool = False,
) -> Case:
    """A new problem enters the loop. With `register`, intake staff register it at once.

    With `hold`, the case comes back holding its timeline, attachments and (no) parties as written
    (core.inhand), for an answer built from it at once without reading them back (the API's 201).
    """
    errors: dict[str, list[str]] = {}
    if not details.description.strip():
        errors.setdefault("description", []).append(_("Please describe the problem."))
    if not details.category.active:
        errors.setdefault("category", []).append(_("This category is no longer in use."))
    if details.channel not in Channel.values:
        errors.setdefault("channel", []).append(_("Unknown channel."))
    if details.urgency not in Urgency.values:
        errors.setdefault("urgency", []).append(_("Unknown urgency."))
    phone = pii.normalise_phone(details.reporter_phone)
    if phone and not pii.phone_is_plausible(phone):
        errors.setdefault("reporter_phone", []).append(_("This does not look like a phone number."))
    try:
        # A case the community raises itself (a hotspot's) has no caller to ask the category's questions.
        required = details.channel != Channel.PROACTIVE
        answers = clean_answers(details.category, details.answers, required=required)
    except ValidationError as error:
        errors.setdefault("answers", []).extend(error.messages)
        answers = {}
    for upload in details.photos:
        try:
            check_upload(upload)
        except ValidationError as error:
            errors.setdefault("photos", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    # No actor is a member of the public reporting through the portal (portal.views.MEMBER_OF_THE_PUBLIC):
    # they may report and nothing else; everyone else needs the capability.
    if actor is not None and not user_can(actor, "cases.case.report"):
        raise PermissionDenied
    if actor is None and register:
        raise PermissionDenied
    place = _place(details, community)
    reported_at = details.reported_at or timezone.now()
    day = timezone.localtime(reported_at).date()
    with transaction.atomic():
        case = Case(
            number=_PROVISIONAL + secrets.token_hex(12),  # the day's number is taken late, below
            community=community,
            category=details.category,
            description=details.description.strip(),
            channel=details.channel,
            urgency=details.urgency,
            answers=answers,
            reporter_person=None if details.anonymous else details.reporter_person,
            reporter_user=actor if reports_as_self(actor) else None,
            reporter_name="" if details.anonymous else details.reporter_name.strip()[:50],
            anonymous=details.anonymous,
            location_note=details.location_note.strip()[:200],
            plan_x=details.plan_x,
            plan_y=details.plan_y,
            latitude=details.latitude,
            longitude=details.longitude,
            reported_at=reported_at,
            public_token=secrets.token_hex(12),
            created_by=actor,
            **place,
        )
        if phone and not details.anonymous:
            case.set_reporter_phone(phone)
        case.save()
        # What this function writes is all the new case has (its standing and its fact read them).
        for relation in _NEW_CASE_RELATIONS:
            inhand.hold(case, relation)
        event = _record(
            case,
            actor=actor,
            action=Action.REPORT,
            note=note,
            before="",
            changes={},
            at=reported_at,
            rollup=False,
        )
        if register:
            # Nobody else can see a case before its transaction commits: it is neither read again
            # nor locked, and a coordinator's standing towards it is still checked.
            case = _apply(
                case,
                actor=actor,
                action=Action.REGISTER,
                mutate=_registration(reported_at),
                at=reported_at,
                rollup=False,
            )
        # A proactive case stands for the cases it links, not a duplicate of them. The open cases it
        # may repeat are read and compared before it waits (below), so that it then reads only those
        # the reports before it added.
        ahead = duplicates.read_ahead(case) if case.channel != Channel.PROACTIVE else None
        # From here on, reports of the community on this day wait for each other (the day's counter
        # stays locked until the commit): each one is numbered, checked for the open case it repeats
        # and counted as a repeat knowing every report numbered before it, simultaneous ones too.
        case.number = _next_number(community, day)
        if ahead is not None:
            _flag_if_duplicate(case, ahead)
        Case.objects.filter(pk=case.pk).update(
            number=case.number, suspected_duplicate=case.suspected_duplicate, suspicion=case.suspicion
        )
        # The photos' files are kept under the case's number (models.attachment_path).
        _attach(case, files=details.photos, urls=details.media_urls, stage="before", actor=actor, event=event)
        # Last: the rollup rows it adds to stay locked from here to the commit (cases.rollups.apply).
        rollups.case_changed(case, action=Action.REPORT, timeline=inhand.held(case, "events"), new=True)
    if not hold:
        inhand.release(case, *_NEW_CASE_RELATIONS)
    return case


#: What a new case has only as case_report writes it: its timeline, its attachments, its parties (none).
_NEW_CASE_RELATIONS = ("events", "attachments", "assignments")
#: A new case's number until it takes the day's next one, late in its transaction (never seen: no
#: other transaction reads the case before it commits).
_PROVISIONAL = "~"


def _flag_if_duplicate(case: Case, ahead: dict) -> None:
    """Mark a new report that repeats an open case (cases.duplicates states the rule); the caller saves."""
    found = duplicates.suspect(case, ahead=ahead)
    if found is not None:
        case.suspected_duplicate, case.suspicion = found.case, found.reason


@case_action(
    name=Action.REGISTER,
    label=gettext_lazy("register"),
    sources=frozenset({Status.REPORTED}),
    who=COORDINATORS,
    targets={None: Status.REGISTERED},
    inputs=(NOTE_OPTIONAL,),
    notice=Notice("registered", "reporter"),
    public_label=gettext_lazy("Accepted and registered"),
    button=gettext_lazy("Register"),
    emphasis="primary",
    condition=("register_condition", gettext_lazy("Register when")),
    done=gettext_lazy("Registered: the clocks are running."),
)
def case_register(
    *,
    actor,
    case: Case | int,
    expected_version: int | None = None,
    note: str = "",
    at: datetime | None = None,
) -> Case:
    """Accept the case and start its clocks from the category and urgency."""
    return _act(
        actor=actor,
        case=case,
        action=Action.REGISTER,
        expected_version=expected_version,
        note=note,
        mutate=_registration(at),
        at=at,
    )


def _registration(at: datetime | None) -> Callable[[Case, set[str]], dict]:
    """Registering: the clocks start (at `at`, or now) from the category and urgency."""

    def mutate(locked: Case, _who: set[str]) -> dict:
        start = at or timezone.now()
        locked.registered_at = start
        locked.response_due, locked.resolution_due = case_due_times(locked.category, locked.urgency, start)
        return {
            "response_due": locked.response_due.isoformat(),
            "resolution_due": locked.resolution_due.isoformat(),
        }

    return mutate


@case_action(
    name=Action.REJECT,
    label=gettext_lazy("reject"),
    sources=frozenset({Status.REPORTED}),
    who=COORDINATORS,
    targets={None: Status.REJECTED},
    inputs=(REASON,),
    notice=Notice("rejected", "reporter"),
    public_label=gettext_lazy("Not taken on"),
    note_audience=NOTE_PUBLIC,
    summary=gettext_lazy("Reject"),
    button=gettext_lazy("Reject"),
    emphasis="danger",
    rank=70,
    done=gettext_lazy("Rejected. The reason is on the timeline."),
)
def case_reject(*, actor, case: Case | int, reason: str, expected_version: int | None = None) -> Case:
    """Decline a report that the community cannot take on, always with a reason for the resident."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason for rejecting.")})

    def mutate(locked: Case, _who: set[str]) -> dict:
        locked.rejection_reason = reason.strip()
        locked.closed_at = timezone.now()
        return {}

    return _act(
        actor=actor,
        case=case,
        action=Action.REJECT,
        expected_version=expected_version,
        note=reason,
        mutate=mutate,
    )


@case_action(
    name=Action.MERGE,
    label=gettext_lazy("merge into a duplicate"),
    sources=frozenset({Status.REPORTED, Status.REGISTERED}),
    who=COORDINATORS,
    targets={None: Status.MERGED},
    inputs=(
        Input(
            "into",
            "case",
            gettext_lazy("Number of the case it repeats"),
            required=True,
            placeholder="HSY-20260101-0001",
            help_text="The id of the open case this one repeats.",
        ),
        Input("note", "note", gettext_lazy("Note (optional)"), rows=0),
    ),
    notice=Notice("merged", "reporter"),
    public_label=gettext_lazy("Merged with an earlier report of the same problem"),
    summary=gettext_lazy("Merge into a duplicate"),
    button=gettext_lazy("Merge"),
    rank=60,
    done=gettext_lazy("Merged into the case it repeats."),
)
def case_merge(
    *, actor, case: Case | int, into: Case, expected_version: int | None = None, note: str = ""
) -> Case:
    """Fold a duplicate report into the case it repeats; the reporter follows the original."""
    if not Case.objects.visible_to(actor).filter(pk=into.pk).exists():
        raise ValidationError({"into": _("No such case.")})

    def mutate(locked: Case, _who: set[str]) -> dict:
        if into.pk == locked.pk:
            raise ValidationError({"into": _("A case cannot be merged into itself.")})
        if not into.is_open or into.community_id != locked.community_id:
            raise ValidationError({"into": _("Merge only into an open case of the same community.")})
        locked.merged_into = into
        locked.closed_at = timezone.now()
        locked.suspected_duplicate, locked.suspicion = None, ""
        return {"merged_into": into.number}

    with transaction.atomic():
        merged = _act(
            actor=actor,
            case=case,
            action=Action.MERGE,
            expected_version=expected_version,
            note=note or into.number,
            mutate=mutate,
        )
        original = Case.objects.select_for_update().get(pk=into.pk)
        original.version += 1
        original.save(update_fields=["version"])
        # The note is the duplicate's number; the timeline words it in the reader's language.
        _record(
            original,
            actor=actor,
            action=Action.NOTE,
            note=merged.number,
            before=original.status,
            changes={"duplicate": merged.number},
        )
    return merged


def _has_suspicion(_user, case: Case) -> bool:
    return case.suspected_duplicate_id is not None


@case_action(
    name=Action.NOT_DUPLICATE,
    label=gettext_lazy("not a duplicate"),
    sources=OPEN,
    who=COORDINATORS,
    targets={None: SAME},
    inputs=(NOTE_OPTIONAL,),
    offer_when=_has_suspicion,
    public_label=gettext_lazy("Checked: a problem of its own"),  # recorded as internal: staff only
    summary=gettext_lazy("Not a duplicate"),
    button=gettext_lazy("Not a duplicate"),
    rank=61,
    done=gettext_lazy("Marked as not a duplicate."),
)
def case_not_duplicate(
    *, actor, case: Case | int, expected_version: int | None = None, note: str = ""
) -> Case:
    """Clear the likely-duplicate flag: a coordinator looked and it is another problem."""

    def mutate(locked: Case, _who: set[str]) -> dict:
        if locked.suspected_duplicate_id is None:
            raise ActionNotAllowed(_("This case is not flagged as a duplicate."))
        number = (
            Case.objects.filter(pk=locked.suspected_duplicate_id).values_list("number", flat=True).first()
        )
        locked.suspected_duplicate, locked.suspicion = None, ""
        return {"not_duplicate_of": number or ""}

    return _act(
        actor=actor,
        case=case,
        action=Action.NOT_DUPLICATE,
        expected_version=expected_version,
        note=note,
        mutate=mutate,
        public=False,
    )


#: The longest public summary: a line or two, as the 12345 hotline publishes its work orders.
PUBLIC_SUMMARY_LENGTH = 300


def _suggested_summary(case: Case) -> dict:
    """The form starts from what is published already, else the description without its numbers."""
    return {"summary": case.public_summary or pii.redact_numbers(case.description)[:PUBLIC_SUMMARY_LENGTH]}


@case_action(
    name=Action.PUBLISH,
    label=gettext_lazy("publish a public summary"),
    sources=frozenset(Status.values) - {Status.MERGED},
    who=COORDINATORS,
    targets={None: SAME},
    inputs=(
        Input(
            "summary",
            "text",
            gettext_lazy("Public summary"),
            required=True,
            help_text="What anonymous readers (Open311) see instead of the description.",
        ),
    ),
    public_label=gettext_lazy("Summary published"),
    summary=gettext_lazy("Publish a summary for the public"),
    hint=gettext_lazy(
        "Anonymous readers (Open311) never see the description as typed, only this summary: no names, "
        "no flat numbers, nothing about health. Phone and ID numbers are taken out in any case."
    ),
    initial=_suggested_summary,
    button=gettext_lazy("Publish"),
    rank=70,
    done=gettext_lazy("The public summary is published."),
)
def case_publish(*, actor, case: Case | int, summary: str, expected_version: int | None = None) -> Case:
    """Approve what the public may read of a case (the 12345 practice: residents' words stay inside)."""
    text = pii.redact_numbers(" ".join((summary or "").split()))
    if not text:
        raise ValidationError({"summary": _("Write the summary the public will read.")})
    if len(text) > PUBLIC_SUMMARY_LENGTH:
        raise ValidationError(
            {"summary": _("At most %(n)d characters, please.") % {"n": PUBLIC_SUMMARY_LENGTH}}
        )

    def mutate(locked: Case, _who: set[str]) -> dict:
        locked.public_summary, locked.public_summary_at = text, timezone.now()
        return {}

    return _act(
        actor=actor,
        case=case,
        action=Action.PUBLISH,
        expected_version=expected_version,
        note=text,
        mutate=mutate,
        public=False,
    )


# --- dispatch and the whistle --------------------------------------------------------------------------


def _resolve_party(party: Party, community_id: int) -> dict:
    """The assignment fields for a party, checked to belong to the case's community."""
    from grassroots.accounts.models import User

    lookups = {
        # Integrations' service accounts report cases; they are never handlers.
        "user": (
            User.objects.filter(community_id=community_id, is_active=True, api_client__isnull=True),
            "user",
        ),
        "person": (Person.objects.filter(community_id=community_id), "person"),
        "team": (VolunteerTeam.objects.filter(community_id=community_id), "team"),
        "unit": (MemberUnit.objects.filter(community_id=community_id), "unit"),
    }
    queryset, field_name = lookups[party.kind]
    target = queryset.filter(pk=party.id).first()
    if target is None:
        raise ValidationError(
            {"parties": _("%(party)s is not a party of this community.") % {"party": party}}
        )
    return {field_name: target}


def _summon(
    case: Case, *, lead: Party | None, supporters: Sequence[Party], role_notes: dict[str, str]
) -> dict:
    """Replace the case's parties: the previous ones are released (kept for the record)."""
    wanted = ([lead] if lead else []) + [party for party in supporters if party != lead]
    if not wanted:
        raise ValidationError({"lead": _("Choose who handles the case.")})
    if len(set(wanted)) != len(wanted):
        raise ValidationError({"parties": _("The same party is summoned twice.")})
    resolved = [(party, _resolve_party(party, case.community_id)) for party in wanted]
    case.assignments.filter(active=True).update(active=False)
    now = timezone.now()
    for party, fields in resolved:
        Assignment.objects.create(
            case=case,
            is_lead=party == lead,
            summoned_at=now,
            role_note=role_notes.get(str(party), "")[:100],
            **fields,
        )
    return {"lead": str(lead) if lead else "", "supporters": [str(p) for p in wanted if p != lead]}


@case_action(
    name=Action.DISPATCH,
    label=gettext_lazy("dispatch"),
    sources=frozenset({Status.REGISTERED, Status.DISPATCHED}),
    who=COORDINATORS,
    targets={None: Status.DISPATCHED},
    inputs=(
        Input("lead", "party", required=True, help_text=LEAD_HELP),
        Input("supporters", "parties"),
        Input("role_notes", "role_notes", help_text=ROLE_NOTES_HELP),
        NOTE_OPTIONAL,
    ),
    notice=Notice("dispatched", "new_parties"),
    public_label=gettext_lazy("Passed to the handlers"),
    page="case-dispatch",
    done=gettext_lazy("Dispatched: the handler is asked to acknowledge."),
)
def case_dispatch(
    *,
    actor,
    case: Case | int,
    lead: Party,
    supporters: Sequence[Party] = (),
    expected_version: int | None = None,
    note: str = "",
    role_notes: dict[str, str] | None = None,
) -> Case:
    """Give the case to a lead handler (and any supporters); they must acknowledge it."""
    return _summon_for(
        Action.DISPATCH,
        actor=actor,
        case=case,
        lead=lead,
        supporters=supporters,
        expected_version=expected_version,
        note=note,
        role_notes=role_notes,
    )


def _summon_for(
    action: str,
    *,
    actor,
    case,
    lead: Party,
    supporters: Sequence[Party],
    expected_version: int | None,
    note: str,
    role_notes: dict[str, str] | None,
) -> Case:
    """Dispatch and whistle differ in what they demand, not in what they write."""
    return _act(
        actor=actor,
        case=case,
        action=action,
        expected_version=expected_version,
        note=note,
        mutate=lambda locked, _who: _summon(
            locked, lead=lead, supporters=supporters, role_notes=role_notes or {}
        ),
    )


@case_action(
    name=Action.WHISTLE,
    label=gettext_lazy("whistle (summon several parties)"),
    sources=frozenset({Status.REGISTERED, Status.DISPATCHED}),
    who=COORDINATORS,
    targets={None: Status.DISPATCHED},
    inputs=(
        Input("lead", "party", required=True, help_text='The lead party, e.g. "person:12".'),
        Input("parties", "parties", required=True, help_text="Everyone else summoned."),
        Input("role_notes", "role_notes"),
        NOTE_OPTIONAL,
    ),
    notice=Notice("whistled", "new_parties"),
    public_label=gettext_lazy("Several parties summoned to solve it together"),
    page="case-dispatch",
    done=gettext_lazy("Whistle blown: every party is asked to report for duty."),
)
def case_whistle(
    *,
    actor,
    case: Case | int,
    lead: Party,
    parties: Sequence[Party],
    expected_version: int | None = None,
    note: str = "",
    role_notes: dict[str, str] | None = None,
) -> Case:
    """吹哨报到: summon several parties at once; each reports for duty, the lead carries it through."""
    if len({*parties, lead}) < 2:
        raise ValidationError({"parties": _("A whistle summons at least two parties.")})
    return _summon_for(
        Action.WHISTLE,
        actor=actor,
        case=case,
        lead=lead,
        supporters=parties,
        expected_version=expected_version,
        note=note,
        role_notes=role_notes,
    )


@case_action(
    name=Action.ACKNOWLEDGE,
    label=gettext_lazy("acknowledge"),
    sources=IN_HAND,
    who=COORDINATORS | {ASSIGNEE},  # coordinators: on behalf of a party without an account
    targets={LEAD: Status.ACKNOWLEDGED, None: SAME},
    inputs=(
        Input("party", "party", help_text="Coordinators: the party reporting for duty by phone."),
        Input("note", "note", gettext_lazy("Note (optional)"), fold=gettext_lazy("Reply with a note")),
    ),
    public_label=gettext_lazy("Took it on"),
    button=gettext_lazy("Report for duty"),
    emphasis="primary",
    offer_when=has_pending_assignment,
    done=gettext_lazy("Reporting for duty is recorded."),
)
def case_acknowledge(
    *,
    actor,
    case: Case | int,
    party: Party | None = None,
    expected_version: int | None = None,
    note: str = "",
    link: PartyLink | None = None,
) -> Case:
    """A summoned party signs for the case (reports for duty). The lead's signature starts the work.

    Parties without an account (the owners' committee, a building head who only has a
    phone) report for duty by telephone: a coordinator records it for them, naming the
    `party`; the timeline says it was recorded on their behalf.
    """
    signed = {"lead": False}

    def mutate(locked: Case, who: set[str]) -> dict:
        pending = locked.assignments.filter(active=True, acknowledged_at__isnull=True)
        if link is not None:  # the party itself, through the one-tap link of its SMS
            mine = list(pending.filter(pk=link.assignment_id))
        elif party is None:
            if ASSIGNEE not in who:
                raise PermissionDenied
            mine = list(pending.filter(party_filter(actor)))
        else:
            if not who & COORDINATORS:
                raise PermissionDenied
            mine = list(pending.filter(**{f"{party.kind}_id": party.id}))
        if not mine:
            raise ActionNotAllowed(_("This party has already acknowledged the case."))
        now = timezone.now()
        for assignment in mine:
            assignment.acknowledged_at = now
            assignment.acknowledged_by = actor
            assignment.save(update_fields=["acknowledged_at", "acknowledged_by"])
        signed["lead"] = any(assignment.is_lead for assignment in mine)
        if signed["lead"] and locked.responded_at is None:
            locked.responded_at = now
        changes: dict = {"acknowledged": [str(a) for a in mine]}
        if party is not None:
            changes["on_behalf"] = str(party)
        return changes

    return _act(
        actor=actor,
        case=case,
        action=Action.ACKNOWLEDGE,
        expected_version=expected_version,
        note=note,
        outcome=lambda _locked, _who: LEAD if signed["lead"] else ASSIGNEE,
        mutate=mutate,
        link=link,
    )


@case_action(
    name=Action.PLAN,
    label=gettext_lazy("record the agreed plan"),
    sources=IN_HAND,
    who=COORDINATORS | {LEAD},
    targets={None: SAME},
    inputs=(Input("plan", "text", gettext_lazy("The agreed plan"), required=True, rows=3),),
    public_label=gettext_lazy("Plan agreed"),
    note_audience=NOTE_PUBLIC,
    summary=lambda case: _("Change the agreed plan") if case.plan else _("Record the agreed plan"),
    initial=lambda case: {"plan": case.plan},
    button=gettext_lazy("Save the plan"),
    rank=10,
    done=gettext_lazy("The agreed plan is recorded."),
)
def case_plan(*, actor, case: Case | int, plan: str, expected_version: int | None = None) -> Case:
    """Record the plan the summoned parties agreed on (e.g. how to repair the corridor)."""
    if not (plan or "").strip():
        raise ValidationError({"plan": _("Please write down the agreed plan.")})

    def mutate(locked: Case, _who: set[str]) -> dict:
        old = locked.plan
        locked.plan = plan.strip()
        return {"plan": {"old": old, "new": locked.plan}}

    return _act(
        actor=actor,
        case=case,
        action=Action.PLAN,
        expected_version=expected_version,
        note=plan.strip(),
        mutate=mutate,
    )


# --- resolution, call-back, closure ----------------------------------------------------------------------


@case_action(
    name=Action.RESOLVE,
    label=gettext_lazy("report done"),
    sources=frozenset({Status.ACKNOWLEDGED}),
    who=COORDINATORS | {LEAD},
    targets={None: Status.RESOLVED},
    inputs=(
        Input("report", "text", gettext_lazy("What was done"), required=True, rows=3),
        HOURS,
        Input("photos", "photos", gettext_lazy("“After” photos"), help_text="After photos.", capture=True),
    ),
    notice=Notice("resolved", "reporter"),
    follow_up=Notice("callback", "coordinators"),
    public_label=gettext_lazy("Reported the work done"),
    note_audience=NOTE_PUBLIC,
    title=gettext_lazy("Report done"),
    button=gettext_lazy("Report done"),
    emphasis="primary",
    condition=("close_condition", gettext_lazy("Done means")),
    done=gettext_lazy("Reported done. The community will call the resident back."),
)
@transaction.atomic  # the timeline entry and its photos are saved together
def case_resolve(
    *,
    actor,
    case: Case | int,
    report: str,
    photos: Sequence[UploadedFile] = (),
    hours=None,
    expected_version: int | None = None,
    link: PartyLink | None = None,
) -> Case:
    """The lead reports the work done, with notes, "after" photos and the hours it took."""
    if not (report or "").strip():
        raise ValidationError({"report": _("Please say what was done.")})
    worked = _hours(hours, actor=actor, link=link)
    for upload in photos:
        check_upload(upload)

    def mutate(locked: Case, who: set[str]) -> dict:
        locked.resolution_report = report.strip()
        locked.resolved_at = timezone.now()
        changes = dict(worked)
        if changes and link is None and LEAD not in who:  # a coordinator reports for the lead party
            lead = locked.assignments.filter(active=True, is_lead=True).first()
            if lead is not None:
                changes["hours_by"] = f"{lead.party_kind}:{getattr(lead, f'{lead.party_kind}_id')}"
        return changes

    resolved = _act(
        actor=actor,
        case=case,
        action=Action.RESOLVE,
        expected_version=expected_version,
        note=report.strip(),
        mutate=mutate,
        link=link,
    )
    _attach(resolved, files=photos, stage="after", actor=actor, event=resolved.events.last())
    return resolved


def _verdict(satisfaction: str) -> Callable[[Case, set[str]], dict]:
    """What the resident's verdict changes; unsatisfied makes the case rework for the same parties."""
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("Choose how satisfied the resident is.")})

    def mutate(locked: Case, _who: set[str]) -> dict:
        locked.satisfaction = satisfaction
        changes: dict = {"satisfaction": satisfaction}
        if satisfaction == Satisfaction.UNSATISFIED:
            changes |= _send_back_for_rework(locked)
        return changes

    return mutate


@case_action(
    name=Action.VERIFY,
    label=gettext_lazy("record the call-back"),
    sources=frozenset({Status.RESOLVED}),
    who=COORDINATORS | {REPORTER},
    targets={"unsatisfied": Status.DISPATCHED, None: Status.VERIFIED},
    inputs=(
        Input(
            "satisfaction",
            "choice",
            gettext_lazy("The resident is"),
            required=True,
            choices=tuple(Satisfaction.choices),
        ),
        Input("note", "note", gettext_lazy("What the resident said")),
    ),
    notice=lambda event: Notice("reopened", "parties") if event.to_status == Status.DISPATCHED else None,
    public_label=gettext_lazy("Satisfaction recorded"),
    note_audience=NOTE_REPORTER,
    public_detail=lambda event: str(
        dict(Satisfaction.choices).get(event.changes.get("satisfaction", ""), "")
    ),
    title=gettext_lazy("Call-back"),
    hint=gettext_lazy("“Unsatisfied” sends the case back to the handlers as rework."),
    button=gettext_lazy("Record the call-back"),
    emphasis="primary",
    done=gettext_lazy("The call-back is recorded."),
)
def case_verify(
    *, actor, case: Case | int, satisfaction: str, note: str = "", expected_version: int | None = None
) -> Case:
    """The call-back: the resident's verdict. Unsatisfied sends the case back as rework."""
    mutate = _verdict(satisfaction)
    return _act(
        actor=actor,
        case=case,
        action=Action.VERIFY,
        expected_version=expected_version,
        note=note,
        outcome=satisfaction,
        mutate=mutate,
    )


def case_rate_by_token(
    *, case: Case | int, satisfaction: str, note: str = "", expected_version: int | None = None
) -> Case:
    """The reporter rates the result from the portal without an account.

    The caller (the portal) has proven the reporter by the case number and the last
    digits of the phone used, and throttles guesses; the service then acts with the
    reporter's relation only, and records it as the reporter.
    """
    mutate = _verdict(satisfaction)
    return _act(
        actor=None,
        case=case,
        action=Action.VERIFY,
        expected_version=expected_version,
        note=note,
        outcome=satisfaction,
        mutate=mutate,
        proven_relations=frozenset({REPORTER}),
    )


@case_action(
    name=Action.CLOSE,
    label=gettext_lazy("close"),
    sources=frozenset({Status.VERIFIED}),
    who=COORDINATORS,
    targets={None: Status.CLOSED},
    inputs=(NOTE_OPTIONAL,),
    notice=Notice("closed", "reporter"),
    public_label=gettext_lazy("Closed"),
    button=gettext_lazy("Close the case"),
    emphasis="primary",
    condition=("close_condition", gettext_lazy("Close when")),
    done=gettext_lazy("Closed."),
)
def case_close(*, actor, case: Case | int, note: str = "", expected_version: int | None = None) -> Case:
    def mutate(locked: Case, _who: set[str]) -> dict:
        locked.closed_at = timezone.now()
        return {}

    return _act(
        actor=actor,
        case=case,
        action=Action.CLOSE,
        expected_version=expected_version,
        note=note,
        mutate=mutate,
    )


@case_action(
    name=Action.REOPEN,
    label=gettext_lazy("reopen"),
    sources=frozenset({Status.CLOSED}),
    who=COORDINATORS,
    targets={None: Status.DISPATCHED},
    inputs=(REASON,),
    notice=Notice("reopened", "parties"),
    public_label=gettext_lazy("Reopened"),
    note_audience=NOTE_PUBLIC,
    summary=gettext_lazy("Reopen"),
    button=gettext_lazy("Reopen as rework"),
    rank=80,
    done=gettext_lazy("Reopened and sent back to the handlers."),
)
def case_reopen(*, actor, case: Case | int, reason: str, expected_version: int | None = None) -> Case:
    """The problem came back after closure: back to the handlers, counted as rework."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please say why the case is reopened.")})

    def mutate(locked: Case, _who: set[str]) -> dict:
        locked.closed_at = None
        return _send_back_for_rework(locked)

    return _act(
        actor=actor,
        case=case,
        action=Action.REOPEN,
        expected_version=expected_version,
        note=reason.strip(),
        mutate=mutate,
    )


# --- supervision ---------------------------------------------------------------------------------------


@case_action(
    name=Action.URGE,
    label=gettext_lazy("urge"),
    sources=frozenset({Status.REGISTERED, *IN_HAND, Status.RESOLVED}),
    who=LEGS,
    targets={None: SAME},
    inputs=(NOTE_OPTIONAL,),
    notice=Notice("urged", "parties"),
    public_label=gettext_lazy("The community pressed for faster progress"),
    summary=gettext_lazy("Urge"),
    button=gettext_lazy("Urge the handlers"),
    rank=30,
    done=gettext_lazy("Urged: the handlers are told."),
)
def case_urge(*, actor, case: Case | int, note: str = "", expected_version: int | None = None) -> Case:
    """督办: the legs press the handlers; counted on the case and sent to the parties.

    At most once per GRASSROOTS_URGE_COOLDOWN_MINUTES (30): each urge texts every party, and fifty
    clicks must not send fifty messages to a volunteer's phone.
    """

    def mutate(locked: Case, _who: set[str]) -> dict:
        now = timezone.now()
        cooldown = timedelta(minutes=int(getattr(settings, "GRASSROOTS_URGE_COOLDOWN_MINUTES", 30)))
        if locked.last_urged_at is not None and now - locked.last_urged_at < cooldown:
            wait = cooldown - (now - locked.last_urged_at)
            raise ValidationError(
                {
                    "note": _("Urged %(ago)s ago: the handlers were told. Urge again in %(wait)s.")
                    % {"ago": timesince(locked.last_urged_at, now), "wait": timeuntil(now + wait, now)}
                }
            )
        locked.urge_count += 1
        locked.last_urged_at = now
        return {"urge_count": locked.urge_count}

    return _act(
        actor=actor,
        case=case,
        action=Action.URGE,
        expected_version=expected_version,
        note=note,
        mutate=mutate,
    )


@case_action(
    name=Action.ESCALATE,
    label=gettext_lazy("escalate to the street"),
    sources=frozenset({Status.REGISTERED, *IN_HAND}),
    who=COORDINATORS,
    targets={None: SAME},
    inputs=(REASON,),
    notice=Notice("escalated", "street"),
    public_label=gettext_lazy("Passed up to the street office for help"),
    offer_when=lambda _actor, case: not case.escalated_at,
    summary=gettext_lazy("Escalate to the street"),
    button=gettext_lazy("Escalate"),
    rank=50,
    done=gettext_lazy("Escalated to the street office."),
)
def case_escalate(*, actor, case: Case | int, reason: str, expected_version: int | None = None) -> Case:
    """Hand the case up to the street office when the community cannot solve it alone."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please say why the street is needed.")})

    def mutate(locked: Case, _who: set[str]) -> dict:
        if locked.escalated_at:
            raise ActionNotAllowed(_("This case is already escalated to the street."))
        locked.escalated_at = timezone.now()
        return {}

    return _act(
        actor=actor,
        case=case,
        action=Action.ESCALATE,
        expected_version=expected_version,
        note=reason.strip(),
        mutate=mutate,
    )


@case_action(
    name=Action.EXTEND,
    label=gettext_lazy("request more time"),
    sources=IN_HAND,
    who=COORDINATORS | {LEAD},
    targets={None: SAME},
    inputs=(
        Input(
            "minutes",
            "minutes",
            gettext_lazy("How much more time"),
            required=True,
            choices=EXTENSION_CHOICES,
            initial=24 * 60,
            min_value=1,
            max_value=60 * 24 * 60,
        ),
        Input("reason", "text", gettext_lazy("Why more time is needed"), required=True),
    ),
    public_label=gettext_lazy("The handlers asked for more time"),
    offer_when=lambda _actor, case: not case.extension_requested_minutes,
    summary=gettext_lazy("Ask for more time"),
    button=gettext_lazy("Ask"),
    rank=40,
    done=gettext_lazy("More time requested; the Party committee decides."),
)
def case_extend(
    *, actor, case: Case | int, minutes: int, reason: str, expected_version: int | None = None
) -> Case:
    """Ask for more time; the legs approve or refuse it. The due time moves only on approval."""
    if not minutes or minutes <= 0 or minutes > 60 * 24 * 60:
        raise ValidationError({"minutes": _("Ask for between one minute and sixty days.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please say why more time is needed.")})

    def mutate(locked: Case, _who: set[str]) -> dict:
        if locked.extension_requested_minutes:
            raise ActionNotAllowed(_("An extension is already waiting for a decision."))
        locked.extension_requested_minutes = minutes
        locked.extension_reason = reason.strip()
        return {"minutes": minutes}

    return _act(
        actor=actor,
        case=case,
        action=Action.EXTEND,
        expected_version=expected_version,
        note=reason.strip(),
        mutate=mutate,
    )


@case_action(
    name=Action.DECIDE_EXTENSION,
    label=gettext_lazy("decide on more time"),
    sources=IN_HAND,
    who=LEGS,
    targets={None: SAME},
    inputs=(Input("approve", "decision", required=True), NOTE_OPTIONAL),
    public_label=gettext_lazy("Request for more time decided"),
    public_detail=_extension_decided,
    offer_when=lambda _actor, case: bool(case.extension_requested_minutes),
    describe=_extension_requested,
    title=gettext_lazy("More time requested"),
    done=gettext_lazy("The request for more time is decided."),
)
def case_decide_extension(
    *, actor, case: Case | int, approve: bool, note: str = "", expected_version: int | None = None
) -> Case:
    def mutate(locked: Case, _who: set[str]) -> dict:
        minutes = locked.extension_requested_minutes
        if not minutes:
            raise ActionNotAllowed(_("No extension is waiting for a decision."))
        changes: dict = {"approved": approve, "minutes": minutes}
        if approve and locked.resolution_due:
            old = locked.resolution_due
            locked.resolution_due = old + timedelta(minutes=minutes)
            locked.overdue_notified_at = None
            changes["resolution_due"] = {"old": old.isoformat(), "new": locked.resolution_due.isoformat()}
        locked.extension_requested_minutes = None
        locked.extension_reason = ""
        return changes

    return _act(
        actor=actor,
        case=case,
        action=Action.DECIDE_EXTENSION,
        expected_version=expected_version,
        note=note,
        mutate=mutate,
    )


@case_action(
    name=Action.NOTE,
    label=gettext_lazy("add a note"),
    sources=OPEN,
    who=COORDINATORS | {ASSIGNEE, REPORTER},
    targets={None: SAME},
    inputs=(
        Input("note", "text", gettext_lazy("Note"), required=True),
        HOURS,
        Input("photos", "photos", gettext_lazy("Photos")),
        Input(
            "public",
            "public",
            gettext_lazy("Internal: not shown to the resident"),
            help_text="False: an internal note the resident never sees.",
        ),
    ),
    public_label=gettext_lazy("Progress"),
    note_audience=NOTE_PUBLIC,
    summary=gettext_lazy("Add a note or photos"),
    button=gettext_lazy("Add"),
    rank=20,
    done=gettext_lazy("Note added."),
)
@transaction.atomic  # the timeline entry and its photos are saved together
def case_note(
    *,
    actor,
    case: Case | int,
    note: str,
    photos: Sequence[UploadedFile] = (),
    public: bool = True,
    hours=None,
    expected_version: int | None = None,
    link: PartyLink | None = None,
) -> Case:
    """Progress notes and photos from anyone involved; internal notes are hidden from the resident.

    A note may carry hours of work (a supporter's part done, a day's work on a long repair).
    """
    if not (note or "").strip():
        raise ValidationError({"note": _("The note is empty.")})
    worked = _hours(hours, actor=actor, link=link)
    for upload in photos:
        check_upload(upload)
    noted = _act(
        actor=actor,
        case=case,
        action=Action.NOTE,
        expected_version=expected_version,
        note=note.strip(),
        public=public,
        mutate=(lambda _locked, _who: dict(worked)) if worked else None,
        link=link,
    )
    _attach(
        noted,
        files=photos,
        stage="after" if noted.status != Status.REPORTED else "before",
        actor=actor,
        event=noted.events.last(),
    )
    return noted


def actions_for(actor, case: Case) -> list[str]:
    """The actions this actor may take on this case now: what the screens and the API offer."""
    who = standing(actor, case)
    return [
        declared.name
        for declared in REGISTRY.values()
        if not declared.internal and may_take(actor, declared, case, who)
    ]
