"""Reads for the case screens: every query a staff page runs, scoped to the user (HackSoft selectors).

A view asks one selector per thing it shows and never builds a query itself, so a page's queries
can be read (and counted: tests/test_case_views.py, bench/pages.py pin them) in one file. Every
selector reads through `visible_to`, whose rules for cases are `cases.scope.CaseScope`; a selector
returns None where a view answers 404, so that "not found" and "not allowed" stay the same.
Writes are the services' (cases.services).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Case as Choose
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from grassroots.accounts.models import User, full_name
from grassroots.accounts.roles import (
    is_grid_worker,
    is_social_worker,
    is_system,
    role_filter,
    role_label,
    user_can,
    user_scope,
)
from grassroots.cases import duplicates, figures, suggest
from grassroots.cases.calendar import duration_text
from grassroots.cases.clock import BOARD_ORDER, near_due_q, overdue_q
from grassroots.cases.figures import figure_cases_q, figure_period
from grassroots.cases.models import (
    Assignment,
    Attachment,
    Case,
    CaseEvent,
    CaseRollup,
    Category,
    Satisfaction,
    category_family_q,
)
from grassroots.cases.permissions import is_coordinator
from grassroots.cases.scope import party_filter
from grassroots.cases.services import Party
from grassroots.cases.workflow import ASSIGNEE, LEAD, OPEN, Action, Status, allowed, label
from grassroots.core.counting import CappedCount, capped_counts
from grassroots.core.ids import parse_id
from grassroots.core.scoping import InSubquery
from grassroots.orgs.models import MemberUnit, PartyMember, UnitKind, Volunteer, VolunteerTeam
from grassroots.people.models import Person, PersonTag
from grassroots.people.search import ParsedQuery, parse_query, ranked_matches
from grassroots.places.models import Building, Community, Household
from grassroots.places.selectors import buildings_for

# --- the case page --------------------------------------------------------------------------------------


def lead_prefetch() -> Prefetch:
    """The active lead of each case, in one query for a whole list (to_attr `leads`).

    The board, the case list and the API's case list show the lead in every row: without this
    a row would cost a query.
    """
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.filter(is_lead=True, active=True).select_related(
            "user", "person", "team", "unit"
        ),
        to_attr="leads",
    )


def case_page_for(*, user: User, number: str) -> Case | None:
    """The case with everything its page shows, or None when the user may not see it.

    The parties, the timeline with its actors, the attachments and the category's questions come
    in a fixed handful of queries, so the page costs the same however long the timeline grows.
    """
    queryset = (
        Case.objects.visible_to(user)
        .select_related(
            "category__parent",
            "household__building",
            "building",
            "grid",
            "reporter_person",
            "reporter_user",
            "merged_into",
        )
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related(
                    "user", "person", "team", "unit", "acknowledged_by"
                ),
            ),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor")),
            "attachments",
            "category__questions",
        )
    )
    try:
        return queryset.get(number=number)
    except Case.DoesNotExist:
        return None


def case_for(*, user: User, number: str) -> Case | None:
    """The case alone, or None when the user may not see it: what an action needs before its service."""
    try:
        return Case.objects.visible_to(user).get(number=number)
    except Case.DoesNotExist:
        return None


def attachment_for(*, user: User, number: str, pk: int) -> Attachment | None:
    """A photo or file of a case the user sees (one query), or None: media are never served by URL alone."""
    cases = Case.objects.visible_to(user).filter(number=number).values("id")
    return Attachment.objects.filter(pk=pk, case__in=cases).first()


def duplicates_for(*, user: User, case: Case) -> QuerySet[Case]:
    """The visible cases merged into this one, so the page links the reports it absorbed."""
    return Case.objects.visible_to(user).filter(merged_into=case).only("number", "status")


def reporter_tags_for(*, user: User, case: Case) -> list[PersonTag]:
    """The reporter's vulnerability tags, for the roles that may read them (sensitive ones only for some)."""
    if not case.reporter_person_id or not user_can(user, "people.persontag.view"):
        return []
    tags = PersonTag.objects.filter(person_id=case.reporter_person_id).select_related("tag")
    if not user_can(user, "people.persontag.view_sensitive"):
        tags = tags.filter(tag__sensitive=False)
    return list(tags)


def case_messages_for(*, case: Case) -> list:
    """Messages sent about the case, when the notifications app provides them (cases never import it).

    The page shows them to coordinators only; the caller decides.
    """
    if not hasattr(case, "messages"):
        return []
    return list(case.messages.all()[:50])


def _when(text: str) -> str:
    moment = parse_datetime(text) if isinstance(text, str) else None
    return date_format(timezone.localtime(moment), "Y-m-d H:i") if moment else str(text)


def describe_changes(event: CaseEvent, names: dict[str, str]) -> list[str]:
    """The changes of a timeline entry in words (due times, parties, satisfaction, ...).

    A timeline entry stores its changes as data; staff read them as sentences.
    """
    changes = event.changes or {}
    lines: list[str] = []
    if event.action == Action.REGISTER and "resolution_due" in changes:
        lines.append(
            _("Response due %(response)s, resolution due %(resolution)s.")
            % {"response": _when(changes.get("response_due")), "resolution": _when(changes["resolution_due"])}
        )
    if isinstance(changes.get("resolution_due"), dict):
        moved = changes["resolution_due"]
        old, new = _when(moved.get("old")), _when(moved.get("new"))
        if old == new:  # fresh clocks that land on the same minute: nothing moved that a reader sees
            lines.append(_("Resolution due set again: %(new)s.") % {"new": new})
        else:
            lines.append(_("Resolution due moved from %(old)s to %(new)s.") % {"old": old, "new": new})
    if event.action == Action.EXTEND and changes.get("minutes"):
        lines.append(_("Asked for %(time)s more.") % {"time": duration_text(changes["minutes"])})
    if event.action == Action.DECIDE_EXTENSION and "approved" in changes:
        time = duration_text(changes.get("minutes") or 0)
        if changes["approved"]:
            lines.append(_("%(time)s more: approved.") % {"time": time})
        else:
            lines.append(_("%(time)s more: refused.") % {"time": time})
    if changes.get("lead"):
        lines.append(_("Lead: %(name)s.") % {"name": names.get(changes["lead"], changes["lead"])})
    if changes.get("supporters"):
        supporters = _(", ").join(names.get(party, party) for party in changes["supporters"])
        lines.append(_("Also summoned: %(names)s.") % {"names": supporters})
    if changes.get("acknowledged"):
        lines.append(_("Reported for duty: %(names)s.") % {"names": _(", ").join(changes["acknowledged"])})
    if changes.get("satisfaction") in Satisfaction.values:
        lines.append(
            _("The resident is %(verdict)s.") % {"verdict": Satisfaction(changes["satisfaction"]).label}
        )
    if changes.get("urge_count"):
        lines.append(
            ngettext("Urged once.", "Urged %(n)d times.", changes["urge_count"])
            % {"n": changes["urge_count"]}
        )
    if changes.get("hours"):
        lines.append(_("Hours worked: %(hours)s.") % {"hours": changes["hours"]})
    if changes.get("not_duplicate_of"):
        lines.append(_("Not a repeat of %(number)s.") % {"number": changes["not_duplicate_of"]})
    return lines


def staff_timeline_for(*, case: Case) -> list[dict]:
    """The staff timeline of a case from `case_page_for`: every entry, who acted in what role, the
    change of status, the changes in words and the photos added with it.

    It reads the events, parties and attachments that case_page_for fetched, so it adds no query.
    (The resident's timeline is another, shorter story: cases.portal_timeline.)
    """
    names = {f"{a.party_kind}:{a.party.pk}": a.party_name for a in case.assignments.all()}
    by_event: dict[int, list[Attachment]] = {}
    for attachment in case.attachments.all():
        if attachment.event_id:
            by_event.setdefault(attachment.event_id, []).append(attachment)
    entries = []
    for event in case.events.all():
        actor = None if is_system(event.actor) else event.actor  # the system reads "the system"
        entries.append(
            {
                "event": event,
                "action": label(event.action),
                # A party acting through its SMS link is named as itself (cases.links).
                "actor": actor.display_name if actor else event.actor_name,
                "role": _("through the SMS link") if event.party_link_id else role_label(event.actor_role),
                "from_status": Status(event.from_status).label if event.from_status in Status.values else "",
                "to_status": Status(event.to_status).label if event.to_status in Status.values else "",
                "changed": bool(event.from_status) and event.from_status != event.to_status,
                "changes": describe_changes(event, names),
                "attachments": by_event.get(event.pk, []),
            }
        )
    return entries


# --- the case list and the board ----------------------------------------------------------------------


def categories_for(*, user: User) -> QuerySet[Category]:
    """Active categories the user may file under (and filter by): sensitive ones only for the roles
    that handle them, internal ones only for coordinators. The pages and the API read this one rule."""
    if not user_can(user, "cases.category.view"):
        return Category.objects.none()
    categories = Category.objects.filter(active=True).select_related("parent")
    if not is_coordinator(user):
        categories = categories.filter(public=True)
    if not user_can(user, "cases.case.view_sensitive"):
        categories = categories.filter(sensitive=False)
    return categories.order_by("sort_order", "code")


def _party_label(row: dict) -> tuple[str, str]:
    """("user:5", "Name") for a values() row of an assignment."""
    if row["user_id"]:
        name = full_name(row["user__first_name"], row["user__last_name"])
        return f"user:{row['user_id']}", name or row["user__username"]
    if row["person_id"]:
        return f"person:{row['person_id']}", row["person__name"]
    if row["team_id"]:
        return f"team:{row['team_id']}", row["team__name"]
    return f"unit:{row['unit_id']}", row["unit__name"]


#: The case list offers the leads of the open cases and of the cases reported in these last days.
RECENT_HANDLER_DAYS = 90


#: A viewer's handler choices (and what is drawn from them) are read again at most this often: they
#: change only with new leads, and reading them joins the leads of every open or recent case in reach.
HANDLER_CHOICES_SECONDS = 300


def viewer_key(user: User) -> str:
    """Who a kept read is for: the user and their scope, so that a change of scope is a new key."""
    scope = user_scope(user)
    return f"{user.pk}:{scope.level}:{','.join(str(pk) for pk in sorted(scope.ids))}"


def kept_for_viewer(user: User, what: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept HANDLER_CHOICES_SECONDS for this viewer (`viewer_key`) and `what`."""
    key = f"grassroots:{what}:{viewer_key(user)}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, HANDLER_CHOICES_SECONDS)
    return value


def handler_choices_for(*, user: User, open_only: bool = False) -> list[tuple[str, str]]:
    """The leads of the open cases the user sees (the board), and for the case list also of the
    cases reported in the last RECENT_HANDLER_DAYS, for the "handler" filter; kept a few minutes
    per viewer (`kept_for_viewer`: a lead given meanwhile is offered a little later).

    One query of distinct rows over a bounded set of cases: the open ones (the workload) and the
    recent ones, never every assignment of the years of history (at district size that join read
    millions of rows). The cases' ids are computed first and the assignments found by their case
    index (a street's 20,000 cases: otherwise the planner scans every assignment of the district).
    A handler of older cases alone is found through the case search.
    """
    return kept_for_viewer(
        user, f"cases:handlers:{int(open_only)}", lambda: _handler_choices(user, open_only)
    )


def _handler_choices(user: User, open_only: bool) -> list[tuple[str, str]]:
    cases = Case.objects.visible_to(user)
    if open_only:
        cases = cases.filter(status__in=OPEN)
    else:
        since = timezone.now() - timedelta(days=RECENT_HANDLER_DAYS)
        cases = cases.filter(Q(status__in=OPEN) | Q(reported_at__gte=since))
    rows = (
        Assignment.objects.filter(
            InSubquery("case_id", cases.order_by().values("id")), is_lead=True, active=True
        )
        .order_by()  # no default ordering, or DISTINCT would see every row
        .values(
            "user_id",
            "user__first_name",
            "user__last_name",
            "user__username",
            "person_id",
            "person__name",
            "team_id",
            "team__name",
            "unit_id",
            "unit__name",
        )
        .distinct()
    )
    return sorted({_party_label(row) for row in rows}, key=lambda choice: choice[1])


#: The dashboard's handler filter offers the leads its rollups counted in these last months.
COUNTED_HANDLER_MONTHS = 3


def counted_handler_choices_for(*, user: User, today) -> list[tuple[str, str]]:
    """The leads the dashboard's figures counted lately, for its "handler" filter.

    Read from the monthly rollups (cases.rollups: one row per community, month, grid, category,
    channel and lead) of the viewer's reach (figures.reach_q, the dashboard's own rule), over the
    last COUNTED_HANDLER_MONTHS; then one name query per kind of lead. A street's or a district's
    dashboard thus never joins the assignments of every case it can see (at district size that took
    a second); a handler of older months alone is found in the case list.
    """
    reach = figures.reach_q(user)
    if reach is None:
        return []
    month = today.replace(day=1)
    for _month in range(COUNTED_HANDLER_MONTHS - 1):
        month = (month - timedelta(days=1)).replace(day=1)
    leads = (
        CaseRollup.objects.filter(reach, month__gte=month)
        .exclude(lead="")
        .order_by()
        .values_list("lead", flat=True)
        .distinct()
    )
    ids: dict[str, list[int]] = {}
    for lead in leads:
        kind, _sep, pk = lead.partition(":")
        if kind in _LEAD_NAMES and pk.isdigit():
            ids.setdefault(kind, []).append(int(pk))
    choices = []
    for kind, pks in ids.items():
        model, fields = _LEAD_NAMES[kind]
        for row in model.objects.filter(pk__in=pks).values("pk", *fields):
            choices.append(_lead_label(kind, row))
    return sorted(choices, key=lambda choice: choice[1])


#: Each kind of lead: where its name is, for counted_handler_choices_for.
_LEAD_NAMES = {
    "user": (User, ("first_name", "last_name", "username")),
    "person": (Person, ("name",)),
    "team": (VolunteerTeam, ("name",)),
    "unit": (MemberUnit, ("name",)),
}


def _lead_label(kind: str, row: dict) -> tuple[str, str]:
    if kind == "user":
        return f"user:{row['pk']}", full_name(row["first_name"], row["last_name"]) or row["username"]
    return f"{kind}:{row['pk']}", row["name"]


def filtered_cases(
    cases: QuerySet[Case], filters: Mapping[str, Any], *, with_status: bool = True
) -> QuerySet[Case]:
    """The board/list filters: words, community, grid, building, safety hazards, category (with its
    children), channel, lead, likely duplicates, status. The dashboard's "now" figures apply them
    too (cases.figures)."""
    text = (filters.get("q") or "").strip()
    if text:
        cases = cases.filter(case_text_q(text))
    if filters.get("community"):
        cases = cases.filter(community=filters["community"])
    if filters.get("grid"):
        cases = cases.filter(grid=filters["grid"])
    if filters.get("building"):
        cases = cases.filter(building=filters["building"])
    if filters.get("hazard"):
        cases = cases.hazards()
    if filters.get("channel"):
        cases = cases.filter(channel=filters["channel"])
    if filters.get("category"):
        category = filters["category"]
        cases = cases.filter(category_family_q(category))
    if filters.get("handler"):
        try:
            party = Party.parse(filters["handler"])
        except ValidationError:
            party = None
        if party is not None:
            leads = Assignment.objects.filter(is_lead=True, active=True, **{f"{party.kind}_id": party.id})
            cases = cases.filter(id__in=leads.values("case_id"))
    if filters.get("duplicates"):
        cases = cases.filter(suspected_duplicate__isnull=False, status__in=OPEN)
    if with_status and filters.get("status"):
        cases = cases.filter(status=filters["status"])
    return cases


def case_text_q(text: str) -> Q:
    """What the search box of the case list matches: an address (4-2-301, 4号楼) names the place;
    otherwise every word typed must be in the number, the reporter's name or the description.

    The description and names are read by substring (not an index) but only inside the user's
    scope, which `visible_to` has already applied, and the list is paged.
    """
    query = parse_query(text)
    if query.kind == "address" and not text.isdigit():  # "012" is a piece of a case number
        place = Q(household__building__number=query.building) | Q(building__number=query.building)
        if query.entrance is not None:
            place = Q(household__building__number=query.building, household__entrance=query.entrance)
        if query.room:
            place &= Q(household__room=query.room)
        return place
    matched = Q()
    for word in text.split()[:5]:
        matched &= (
            Q(number__icontains=word)
            | Q(reporter_name__icontains=word)
            | Q(reporter_person__name__contains=word)
            | Q(description__icontains=word)
        )
    return matched


def _status_counts(cases: QuerySet[Case], *, final: bool = True) -> dict[str, CappedCount]:
    """How many cases per status (the final ones too unless `final` is false: the board), each
    counted no further than COUNT_CAP ("1,000+"), all in one query: years of closed cases are
    never counted row by row."""
    statuses = [status for status in Status.values if final or status in OPEN]
    counts = capped_counts({status: cases.filter(status=status) for status in statuses})
    return {status: count for status, count in counts.items() if count}


@dataclass(frozen=True)
class CaseListing:
    """The rows to page through, and how many cases each status link would show."""

    rows: QuerySet[Case]
    status_counts: dict[str, int]


@dataclass(frozen=True)
class BoardListing(CaseListing):
    """The board's rows and status counts, and its figures (overdue, near due, urged, ...)."""

    figures: dict[str, int] = field(default_factory=dict)


def case_list(*, user: User, filters: Mapping[str, Any], now: datetime | None = None) -> CaseListing:
    """Every case in the user's scope that matches the filters, newest first, with its lead.

    The status counts apply every filter but the status, so that each status link says how
    many cases choosing it shows. With `figure`, only the cases behind that dashboard figure
    for the period (cases.figures.figure_cases_q): the list's count is the dashboard's number.
    """
    cases = Case.objects.visible_to(user)
    if filters.get("hotspot"):
        from grassroots.cases.hotspots import hotspot_cases_q

        cases = cases.filter(hotspot_cases_q(user=user, key=filters["hotspot"], now=now))
    if filters.get("figure"):
        period = figure_period(filters, today=timezone.localdate())
        community = filters.get("community")
        cases = cases.filter(
            figure_cases_q(
                user=user,
                figure=filters["figure"],
                community_id=community.pk if community else None,
                period=period,
                now=now or timezone.now(),
            )
        )
    any_status = filtered_cases(cases, filters, with_status=False)
    rows = (
        filtered_cases(any_status, filters)
        .select_related("category", "grid", "household__building", "building")
        .prefetch_related(lead_prefetch())
        .order_by("-reported_at", "-id")
    )
    return CaseListing(rows=rows, status_counts=_status_counts(any_status))


def _board_rows(cases: QuerySet[Case], now: datetime) -> QuerySet[Case]:
    """Open cases ranked in SQL (cases.clock.BOARD_ORDER): overdue on either clock first, the longest
    late on top, then near due, on track, no clock yet, stopped."""
    return (
        cases.with_clock(now)
        .select_related("category", "grid", "household__building", "building")
        .prefetch_related(lead_prefetch())
        .order_by(*BOARD_ORDER)
    )


def board_list(*, user: User, filters: Mapping[str, Any], now: datetime) -> BoardListing:
    """The open cases the user supervises that match the filters, overdue and near-due first.

    The order and the figures are computed in SQL from the one clock rule (cases.clock), so the
    board costs one query for its rows plus a fixed handful, however many cases there are.
    """
    any_status = filtered_cases(
        Case.objects.visible_to(user).filter(status__in=OPEN), filters, with_status=False
    )
    filtered = filtered_cases(any_status, filters)
    figures = filtered.aggregate(
        total=Count("id"),
        overdue=Count("id", filter=overdue_q(now)),
        near=Count("id", filter=near_due_q(now)),
        urged=Count("id", filter=Q(urge_count__gt=0)),
        escalated=Count("id", filter=Q(escalated_at__isnull=False)),
        extensions=Count("id", filter=Q(extension_requested_minutes__isnull=False)),
    )
    return BoardListing(
        rows=_board_rows(filtered, now),
        status_counts=_status_counts(any_status, final=False),
        figures=figures,
    )


def board_row_for(*, user: User, case_id: int, now: datetime) -> Case | None:
    """One row of the board as the board shows it (after a click on it), or None when not visible."""
    return _board_rows(Case.objects.visible_to(user).filter(pk=case_id), now).first()


# --- my tasks -------------------------------------------------------------------------------------------

TASK_ACTIONS = (Action.ACKNOWLEDGE, Action.PLAN, Action.RESOLVE, Action.EXTEND, Action.NOTE)


def my_assignments(user: User) -> QuerySet[Assignment]:
    """Open assignments addressed to the user, for the "my tasks" page of the hands."""
    return (
        Assignment.objects.filter(party_filter(user), active=True, case__status__in=OPEN)
        .select_related("case__category", "case__household__building", "case__building")
        .distinct()
        .order_by("acknowledged_at", "case__resolution_due")
    )


def task_list(*, user: User) -> list[dict]:
    """The user's open assignments grouped by case, waiting ones first, then by resolution due,
    with the actions each allows now.

    Each task carries only what the work needs (the other parties, the dispatcher's instructions),
    fetched for every task at once: the page costs the same for one task or fifty.
    """
    assignments = (
        my_assignments(user)
        .select_related("case__reporter_person", "case__grid")
        .prefetch_related(
            Prefetch(
                "case__assignments",
                queryset=Assignment.objects.filter(active=True).select_related(
                    "user", "person", "team", "unit"
                ),
                to_attr="active_parties",
            ),
            Prefetch(
                "case__events",
                queryset=CaseEvent.objects.filter(action__in=[Action.DISPATCH, Action.WHISTLE])
                .exclude(note="")
                .order_by("-at", "-id"),
                to_attr="instructions",
            ),
        )
    )
    by_case: dict[int, dict] = {}
    for assignment in assignments:
        task = by_case.setdefault(assignment.case_id, {"case": assignment.case, "mine": []})
        task["mine"].append(assignment)
    tasks = []
    for task in by_case.values():
        case, mine = task["case"], task["mine"]
        is_lead = any(a.is_lead for a in mine)
        who = {ASSIGNEE, LEAD} if is_lead else {ASSIGNEE}
        waiting = any(a.acknowledged_at is None for a in mine)
        actions = [action for action in TASK_ACTIONS if allowed(action, case.status, who)]
        if not waiting:
            actions = [action for action in actions if action != Action.ACKNOWLEDGE]
        if case.extension_requested_minutes:
            actions = [action for action in actions if action != Action.EXTEND]
        task.update(
            {
                "is_lead": is_lead,
                "waiting": waiting,
                "role_note": next((a.role_note for a in mine if a.role_note), ""),
                "instructions": case.instructions[0].note if case.instructions else "",
                "lead": next((a for a in case.active_parties if a.is_lead), None),
                "others": [a for a in case.active_parties if not a.is_lead],
                "actions": actions,
            }
        )
        tasks.append(task)
    tasks.sort(
        key=lambda t: (not t["waiting"], t["case"].resolution_due is None, t["case"].resolution_due or 0)
    )
    return tasks


# --- dispatch suggestions -----------------------------------------------------------------------------

SKILLED_LIMIT = 10
PARTY_MEMBER_LIMIT = 10
GRID_VOLUNTEER_LIMIT = 20

UNIT_NOTES = {
    UnitKind.PROPERTY: gettext_lazy("property company"),
    UnitKind.OWNERS: gettext_lazy("owners' committee"),
}


@dataclass
class Candidate:
    """Someone the case could be given to, and why they are suggested."""

    party: str
    name: str
    note: str = ""
    detail: str = ""
    reasons: list[str] = field(default_factory=list)
    checked: bool = False
    is_lead: bool = False
    fit: suggest.Fit = field(default_factory=suggest.Fit)  # what the ranking weighs


@dataclass
class Group:
    title: str
    candidates: list[Candidate]
    open: bool = True
    suggested: bool = False  # the ranked best few (its first one is pre-selected as lead)


def _user_name(user: User) -> str:
    return user.display_name


def dispatch_suggestions_for(*, user: User, case: Case) -> list[Group]:
    """Who could handle this case, grouped, each party once (with every reason it is suggested).

    The order follows the article: the grid's worker, the category's default volunteer team or
    member units of the right kind (the property company for common parts), volunteers with the
    matching skill in the case's grid (then elsewhere), the building head, and party members
    living in the building; then every team and unit. Each group is one query, within the
    user's scope. Those who fit the case best (cases.suggest.rank) come first, in a group of their
    own with their reasons in words (a whistle still picks from the groups below).
    """
    seen: dict[str, Candidate] = {}
    groups: list[Group] = []

    def add(title: str, items: list[Candidate], *, is_open: bool = True) -> None:
        fresh = []
        for item in items:
            if item.party in seen:
                seen[item.party].reasons.extend(item.reasons)
                seen[item.party].fit.fits.update(item.fit.fits)
                continue
            seen[item.party] = item
            fresh.append(item)
        if fresh:
            groups.append(Group(str(title), fresh, is_open))

    community_users = User.objects.filter(community_id=case.community_id, is_active=True)
    if case.grid_id:
        workers = community_users.filter(role_filter(is_grid_worker), grids=case.grid_id)
        add(
            _("Grid worker"),
            [
                Candidate(
                    f"user:{w.pk}",
                    _user_name(w),
                    _("grid worker"),
                    reasons=[str(case.grid)],
                    fit=suggest.Fit({"grid_worker": _("grid worker of %(grid)s") % {"grid": case.grid}}),
                )
                for w in workers
            ],
        )
    add(
        _("Social workers"),
        [
            Candidate(f"user:{w.pk}", _user_name(w), _("social worker"))
            for w in community_users.filter(role_filter(is_social_worker)).order_by("last_name", "username")
        ],
        is_open=not case.grid_id,
    )

    category = case.category
    team = category.default_team or (category.parent.default_team if category.parent_id else None)
    if team is not None:
        add(
            _("The category's team"),
            [
                Candidate(
                    f"team:{team.pk}",
                    team.name,
                    _("volunteer team"),
                    detail=team.focus,
                    fit=suggest.Fit({"team": _("the category's team")}),
                )
            ],
        )

    units = list(MemberUnit.objects.visible_to(user).filter(community_id=case.community_id))
    kind = category.default_unit_kind or (category.parent.default_unit_kind if category.parent_id else "")
    suggested_kinds = {kind} if kind else set()
    suggested_kinds |= {UnitKind.PROPERTY, UnitKind.OWNERS} if case.building_id else set()
    add(
        _("Member units"),
        [
            Candidate(
                f"unit:{unit.pk}",
                unit.name,
                str(UNIT_NOTES.get(unit.kind, unit.get_kind_display())),
                detail=unit.contact_name,
                reasons=[_("handles this kind of problem")] if unit.kind == kind else [],
                fit=suggest.Fit(
                    {"unit_kind": _("handles this kind of problem")} if unit.kind == kind else {}
                ),
            )
            for unit in sorted(units, key=lambda u: (u.kind != kind, u.kind, u.name))
            if unit.kind in suggested_kinds
        ],
    )

    skill = category.default_skill or (category.parent.default_skill if category.parent_id else None)
    if skill is not None:
        volunteers = (
            Volunteer.objects.visible_to(user)
            .filter(active=True, skills=skill, person__community_id=case.community_id)
            .select_related("person", "home_grid")
            .annotate(
                here=Choose(
                    When(home_grid_id=case.grid_id, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("here", "person__name")[:SKILLED_LIMIT]
        )
        add(
            _("Volunteers who can do this (%(skill)s)") % {"skill": skill},
            [
                Candidate(
                    f"person:{v.person_id}",
                    v.person.name,
                    _("volunteer"),
                    detail=" · ".join(
                        part
                        for part in (v.person.phone_masked, v.availability, str(v.home_grid or ""))
                        if part
                    ),
                    reasons=[_("lives in this grid")]
                    if v.home_grid_id and v.home_grid_id == case.grid_id
                    else [],
                    fit=_volunteer_fit(v, case, skill=str(skill)),
                )
                for v in volunteers
            ],
        )

    if case.grid_id:
        neighbours = (
            Volunteer.objects.visible_to(user)
            .filter(active=True, home_grid_id=case.grid_id)
            .select_related("person")
            .order_by("person__name")[:GRID_VOLUNTEER_LIMIT]
        )
        add(
            _("Other volunteers of this grid"),
            [
                Candidate(
                    f"person:{v.person_id}",
                    v.person.name,
                    _("volunteer"),
                    detail=" · ".join(part for part in (v.person.phone_masked, v.availability) if part),
                    fit=_volunteer_fit(v, case),
                )
                for v in neighbours
            ],
            is_open=skill is None,
        )

    if case.building_id:
        building = case.building
        if building.head_id:
            head = building.head
            add(
                _("Building head"),
                [
                    Candidate(
                        f"person:{head.pk}",
                        head.name,
                        _("building head"),
                        detail=head.phone_masked,
                        fit=suggest.Fit({"building_head": _("building head")}, person_id=head.pk),
                    )
                ],
            )
        members = (
            PartyMember.objects.visible_to(user)
            .filter(person__current_household__building_id=building.pk)
            .select_related("person__current_household")
            .order_by("person__name")[:PARTY_MEMBER_LIMIT]
        )
        add(
            _("Party members living in the building"),
            [
                Candidate(
                    f"person:{m.person_id}",
                    m.person.name,
                    _("party member"),
                    detail=" · ".join(
                        part for part in (m.person.current_household.address, m.person.phone_masked) if part
                    ),
                    fit=suggest.Fit({"building": _("lives in the building")}, person_id=m.person_id),
                )
                for m in members
            ],
        )

    add(
        _("All volunteer teams"),
        [
            Candidate(f"team:{t.pk}", t.name, _("volunteer team"), detail=t.focus)
            for t in VolunteerTeam.objects.visible_to(user).filter(community_id=case.community_id)
        ],
        is_open=False,
    )
    add(
        _("All member units"),
        [
            Candidate(
                f"unit:{u.pk}", u.name, str(UNIT_NOTES.get(u.kind, u.get_kind_display())), u.contact_name
            )
            for u in units
        ],
        is_open=False,
    )
    return _with_best_first(groups, seen)


def _volunteer_fit(volunteer: Volunteer, case: Case, *, skill: str = "") -> suggest.Fit:
    """How a volunteer fits a case: the skill asked for, living in its building or grid, when free."""
    fits = {"skill": skill} if skill else {}
    if case.building_id and volunteer.home_building_id == case.building_id:
        fits["building"] = _("lives in the building")
    elif case.grid_id and volunteer.home_grid_id == case.grid_id:
        fits["grid"] = _("lives in this grid")
    return suggest.Fit(fits, slots=volunteer.weekly_slots or (), person_id=volunteer.person_id)


def _with_best_first(groups: list[Group], seen: dict[str, Candidate]) -> list[Group]:
    """The best few suggestions (cases.suggest) in a first group, the others below as they were."""
    best = suggest.rank({party: candidate.fit for party, candidate in seen.items()})[
        : suggest.SUGGESTED_LIMIT
    ]
    if not best:
        return groups
    chosen = {item.party for item in best}
    for item in best:
        seen[item.party].reasons = item.reasons
    rest = []
    for group in groups:
        others = [c for c in group.candidates if c.party not in chosen]
        if others:
            rest.append(Group(group.title, others, open=group.open))
    return [Group(str(_("Suggested")), [seen[item.party] for item in best], suggested=True), *rest]


# --- intake and the patrol report ---------------------------------------------------------------------

LOOKUP_LIMIT = 8
#: "Show more" in the intake lookup: this many at most (the people search pages through the rest).
LOOKUP_MORE_LIMIT = 40
#: The lookup ranks and counts at most this many matches ("8 of more than 200": type more).
LOOKUP_COUNT_CAP = 200


def category_for(*, user: User, pk: Any) -> Category | None:
    """The category chosen on a report form, with its questions, if the user may file under it."""
    pk = parse_id(pk)
    if pk is None:
        return None
    return categories_for(user=user).prefetch_related("questions").filter(pk=pk).first()


def _visible_tags(user: User) -> Prefetch:
    tags = PersonTag.objects.select_related("tag")
    if not user_can(user, "people.persontag.view_sensitive"):
        tags = tags.filter(tag__sensitive=False)
    return Prefetch("tags", queryset=tags)


def _callers(user: User) -> QuerySet[Person]:
    """Residents as the intake shows them: their address, and the tags this user may read."""
    return (
        Person.objects.visible_to(user)
        .select_related("current_household__building")
        .prefetch_related(_visible_tags(user))
    )


def caller_for(*, user: User, pk: Any) -> Person | None:
    """The resident picked as the caller, with address and readable tags, or None when not visible."""
    pk = parse_id(pk)
    if pk is None:
        return None
    return _callers(user).filter(pk=pk).first()


@dataclass(frozen=True)
class CallerLookup:
    """Who the caller may be: the query as understood, the residents found (the likeliest caller
    first), how many matched in all (bounded), and for an address its households (an empty flat
    is still a place to register a case at)."""

    query: ParsedQuery
    people: list[Person]
    households: list[Household]
    total: int = 0
    more_than_cap: bool = False

    @property
    def hidden(self) -> int:
        return self.total - len(self.people)


def _likely_callers(user: User) -> tuple[Q, Q]:
    """Who is likelier to be calling this worker: people of the worker's own grids, then people
    with a vulnerability tag the worker may read (living alone, elderly, disabled, ...).

    Sensitive tags rank only for a worker who may read them: an order must not reveal them.
    """
    own_grid = Q(current_household__grid__in=user.grids.values("pk"))
    tags = PersonTag.objects.filter(person=OuterRef("pk"))
    if not user_can(user, "people.persontag.view_sensitive"):
        tags = tags.filter(tag__sensitive=False)
    return own_grid, Q(Exists(tags))


def caller_lookup_for(*, user: User, text: str, more: bool = False) -> CallerLookup:
    """Residents matching what the mouth typed (phone, name, initials or address), within scope,
    the likeliest caller on top: the exact name, then the worker's own grids, then the vulnerable.

    Each kind of query is one indexed lookup (people.search), ranked and counted among at most
    LOOKUP_COUNT_CAP matches, so the box answers as one types at district size too.
    """
    query = parse_query(text)
    found = ranked_matches(
        _callers(user),
        text,
        limit=LOOKUP_MORE_LIMIT if more else LOOKUP_LIMIT,
        cap=LOOKUP_COUNT_CAP,
        prefer=_likely_callers(user),
    )
    households = []
    if query.kind == "address":
        households = list(
            Household.objects.visible_to(user)
            .select_related("building")
            .at_address(building=query.building, entrance=query.entrance, room=query.room)[:10]
        )
    return CallerLookup(
        query=query,
        people=found.people,
        households=households,
        total=found.total,
        more_than_cap=found.more_than_cap,
    )


#: The most members of the caller's household a screen lists (a flat, not a building).
HOUSEHOLD_LIMIT = 12


def caller_household_for(*, user: User, person: Person) -> list[Person]:
    """The other people living in the caller's household, as the intake shows people (address,
    the tags this user may read), at most HOUSEHOLD_LIMIT: who else the call may be about."""
    if not person.current_household_id:
        return []
    members = _callers(user).filter(current_household_id=person.current_household_id).exclude(pk=person.pk)
    return list(members.order_by("id")[:HOUSEHOLD_LIMIT])


def caller_cases_for(*, user: User, person: Person) -> tuple[list[Case], list[Case]]:
    """The caller's open cases and their five latest closed ones (reported by them or about their
    home), so the mouth sees at once whether this call repeats a case already open."""
    mine = Q(reporter_person=person)
    if person.current_household_id:
        mine |= Q(household_id=person.current_household_id)
    cases = Case.objects.visible_to(user).select_related("category").filter(mine).order_by("-reported_at")
    return list(cases.open()[:10]), list(cases.exclude(status__in=OPEN)[:5])


def intake_choices_for(*, user: User) -> dict[str, QuerySet]:
    """What the intake form may accept (the IntakeForm's keywords): categories, residents and places
    in the user's scope, so that a posted id from outside it is refused like a wrong one."""
    return {
        "categories": categories_for(user=user),
        "people": Person.objects.visible_to(user),
        "buildings": Building.objects.visible_to(user),
        "households": Household.objects.visible_to(user).select_related("building"),
    }


@dataclass(frozen=True)
class ReportPlaces:
    """Where a patrol or resident report may be about: the community's buildings (for the picker
    and the site plan) and households, and the reporter's own home."""

    buildings: QuerySet[Building]
    households: QuerySet[Household]
    own_household: Household | None


def report_places_for(*, user: User, community: Community) -> ReportPlaces:
    """The places of the community the user sees, plus their own home (always a place one may
    report from, even for a resident who sees no building)."""
    own_household = user.person.current_household if user.person_id else None
    households = Household.objects.visible_to(user).filter(building__community=community)
    if own_household is not None:
        households = Household.objects.filter(Q(pk__in=households.values("pk")) | Q(pk=own_household.pk))
    return ReportPlaces(
        buildings=buildings_for(user=user, community=community),
        households=households,
        own_household=own_household,
    )


def recent_reports_for(*, user: User) -> QuerySet[Case]:
    """The user's own five latest reports that they still see, so a patroller knows what they sent."""
    return (
        Case.objects.visible_to(user)
        .filter(Q(reporter_user=user) | Q(created_by=user))
        .select_related("category")
        .order_by("-reported_at")[:5]
    )


#: How far back a report may repeat another one: the likely duplicates offered when merging.
DUPLICATE_WINDOW_DAYS = 30


def likely_duplicates_of(*, user: User, cases: Sequence[Case]) -> dict[int, Case]:
    """The open case each flagged case probably repeats, by the flagged case's id, when the user sees it.

    One query for a page of rows; a flag pointing at a case the user may not see is not shown.
    """
    wanted = {case.suspected_duplicate_id for case in cases if case.suspected_duplicate_id}
    if not wanted:
        return {}
    found = {
        other.pk: other
        for other in Case.objects.visible_to(user)
        .filter(pk__in=wanted, status__in=OPEN)
        .select_related("category", "household__building", "building")
    }
    return {
        case.pk: found[case.suspected_duplicate_id] for case in cases if case.suspected_duplicate_id in found
    }


def intake_duplicates_for(
    *, user: User, community, category: Category, household, building, description: str
) -> list:
    """The open cases of the user's scope that a call being typed may repeat (cases.duplicates)."""
    draft = Case(
        community=community,
        category=category,
        household=household,
        building=building,
        grid_id=(household.grid_id if household else getattr(building, "grid_id", None)),
        description=description,
        reported_at=timezone.now(),
    )
    return duplicates.likely_duplicates(draft, among=Case.objects.visible_to(user))


def merge_candidates_for(*, user: User, case: Case, limit: int = 8) -> list[Case]:
    """Open cases this one may repeat, for the merge form to offer: same community, seen by the user,
    at the same household or building or of the same category, reported in the month before it.
    The case it was flagged as repeating first (cases.duplicates), then the same household, then
    the same building, then the newest."""
    since = case.reported_at - timedelta(days=DUPLICATE_WINDOW_DAYS)
    same_place = Q(category_id=case.category_id)
    nearer: list[When] = []
    if case.household_id:
        same_place |= Q(household_id=case.household_id)
        nearer.append(When(household_id=case.household_id, then=Value(0)))
    if case.building_id:
        same_place |= Q(building_id=case.building_id)
        nearer.append(When(building_id=case.building_id, then=Value(1)))
    if case.suspected_duplicate_id:
        same_place |= Q(pk=case.suspected_duplicate_id)
        nearer.insert(0, When(pk=case.suspected_duplicate_id, then=Value(-1)))
    closeness = Choose(*nearer, default=Value(2), output_field=IntegerField()) if nearer else Value(2)
    return list(
        Case.objects.visible_to(user)
        .filter(same_place, community_id=case.community_id, status__in=OPEN, reported_at__gte=since)
        .exclude(pk=case.pk)
        .select_related("category")
        .annotate(closeness=closeness)
        .order_by("closeness", "-reported_at")[:limit]
    )


def party_links_for(*, user: User, case: Case) -> list:
    """The one-tap links sent about the case, for coordinators (who may revoke them), newest first.

    At most 50, with their assignment's party, in one query (the page's one more); nobody else
    reads them. Withdrawing one asks again that the case lies in the user's own scope.
    """
    from grassroots.cases.models import PartyLink

    if not is_coordinator(user):
        return []
    return list(
        PartyLink.objects.filter(case=case)
        .select_related("assignment__person", "assignment__team", "assignment__unit", "assignment__user")
        .order_by("-issued_at", "-id")[:50]
    )


#: The open tasks the hands' home page lists (the rest are on "my tasks").
HOME_TASKS = 5


@dataclass(frozen=True)
class OpenTasks:
    """The first open tasks of a user, and whether there are more (counted no further than one more)."""

    assignments: list
    more: bool


def open_tasks_for(*, user: User) -> OpenTasks:
    """The user's open assignments for the home page, waiting ones first: at most HOME_TASKS + 1 read."""
    rows = list(my_assignments(user)[: HOME_TASKS + 1])
    return OpenTasks(assignments=rows[:HOME_TASKS], more=len(rows) > HOME_TASKS)
