"""Dispatch: who should handle the case, suggested from what the community knows.

The suggestions follow the article: the grid's worker, the category's default
volunteer team or member units of the right kind (the property company for common
parts), volunteers with the matching skill in the case's grid (then elsewhere),
the building head, and party members living in the building. The coordinator
picks a lead (and any supporters), or "whistles": several parties at once, each
with a note of their role in this case, each to report for duty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case as Choose
from django.db.models import IntegerField, Value, When
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.accounts.models import User
from grassroots.accounts.roles import is_grid_worker, is_social_worker, role_filter
from grassroots.cases import services
from grassroots.cases.models import Case
from grassroots.cases.services import Party
from grassroots.cases.views.case import load_case
from grassroots.cases.views.common import Outcome, is_coordinator, outcome_of_invalid, require, run
from grassroots.cases.workflow import Action
from grassroots.orgs.models import MemberUnit, PartyMember, UnitKind, Volunteer, VolunteerTeam

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


@dataclass
class Group:
    title: str
    candidates: list[Candidate]
    open: bool = True


def _user_name(user: User) -> str:
    return user.get_full_name() or user.username


def suggestions(user, case: Case) -> list[Group]:
    """The candidates for this case, grouped, each party once (with every reason it is suggested)."""
    seen: dict[str, Candidate] = {}
    groups: list[Group] = []

    def add(title: str, items: list[Candidate], *, is_open: bool = True) -> None:
        fresh = []
        for item in items:
            if item.party in seen:
                seen[item.party].reasons.extend(item.reasons)
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
                Candidate(f"user:{w.pk}", _user_name(w), _("grid worker"), reasons=[str(case.grid)])
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
            [Candidate(f"team:{team.pk}", team.name, _("volunteer team"), detail=team.focus)],
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
                [Candidate(f"person:{head.pk}", head.name, _("building head"), detail=head.phone_masked)],
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
    return groups


def _parse_dispatch(post) -> tuple[Party | None, list[Party], dict[str, str]]:
    chosen = [text for text in post.getlist("parties") if text]
    lead_text = post.get("lead", "")
    if not lead_text and len(chosen) == 1:
        lead_text = chosen[0]
    lead = Party.parse(lead_text) if lead_text else None
    parties = [Party.parse(text) for text in chosen]
    notes = {str(party): post.get(f"role_note:{party}", "").strip() for party in [*parties, lead] if party}
    return lead, parties, notes


def case_dispatch_page(request, number: str):
    """Suggest handlers; dispatch to a lead (and supporters) or whistle several parties."""
    require(is_coordinator(request.user))
    case = load_case(request.user, number)
    actions = services.actions_for(request.user, case)
    may_dispatch = Action.DISPATCH in actions or Action.WHISTLE in actions
    outcome = Outcome()
    if request.method == "POST" and may_dispatch:
        outcome = _dispatch(request, case)
        if outcome.ok:
            done = outcome.result
            if request.POST.get("mode") == "whistle":
                messages.success(request, _("Whistle blown: every party is asked to report for duty."))
            else:
                messages.success(request, _("Dispatched: the handler is asked to acknowledge."))
            return redirect("case-detail", number=done.number)
        if outcome.kind == "conflict":
            case = load_case(request.user, number)
            actions = services.actions_for(request.user, case)
            may_dispatch = Action.DISPATCH in actions or Action.WHISTLE in actions
    elif request.method == "POST":
        outcome = Outcome(
            kind="not_allowed",
            message=_("Dispatch is not possible while the case is “%(status)s”.")
            % {"status": case.get_status_display()},
        )
    posted = request.POST if request.method == "POST" else None
    current = [a for a in case.assignments.all() if a.active]
    if posted is not None:
        chosen = set(posted.getlist("parties"))
        lead = posted.get("lead", "")
        notes = {
            key.removeprefix("role_note:"): value
            for key, value in posted.items()
            if key.startswith("role_note:")
        }
    else:  # a re-dispatch starts from the parties summoned now
        chosen = {f"{a.party_kind}:{a.party.pk}" for a in current}
        lead = next((f"{a.party_kind}:{a.party.pk}" for a in current if a.is_lead), "")
        notes = {f"{a.party_kind}:{a.party.pk}": a.role_note for a in current if a.role_note}
    groups = suggestions(request.user, case) if may_dispatch else []
    for group in groups:
        for candidate in group.candidates:
            candidate.checked = candidate.party in chosen
            candidate.is_lead = candidate.party == lead
            candidate.note = notes.get(candidate.party, candidate.note)
    context = {
        "case": case,
        "groups": groups,
        "may_dispatch": may_dispatch,
        "may_whistle": Action.WHISTLE in actions,
        "outcome": outcome,
        "current": current,
        "note": posted.get("note", "") if posted else "",
    }
    return render(request, "cases/dispatch.html", context, status=outcome.status)


def _dispatch(request, case: Case) -> Outcome:
    try:
        lead, parties, notes = _parse_dispatch(request.POST)
        version = int(request.POST.get("version", ""))
    except ValidationError as error:  # a party that is not "kind:id"
        return outcome_of_invalid(error)
    except ValueError:
        return Outcome(kind="invalid", message=_("The form is out of date: please reload the page."))
    if lead is None:
        return Outcome(
            kind="invalid", message=_("Choose who leads."), field_errors={"lead": [_("Choose who leads.")]}
        )
    others = [party for party in parties if party != lead]
    note = request.POST.get("note", "").strip()
    if request.POST.get("mode") == "whistle":
        return run(
            services.case_whistle,
            actor=request.user,
            case=case,
            lead=lead,
            parties=others,
            expected_version=version,
            note=note,
            role_notes=notes,
        )
    return run(
        services.case_dispatch,
        actor=request.user,
        case=case,
        lead=lead,
        supporters=others,
        expected_version=version,
        note=note,
        role_notes=notes,
    )
