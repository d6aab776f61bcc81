"""Organisation pages: party branches, volunteer teams, member units and building heads.

Every list reads through `visible_to`, members too (a grid worker sees the volunteers of their
grid), and the counts count only what the reader may see, so a number never says more than the
list below it. Who is in a branch or a team is shown only to roles that read those members
(orgs.partymember.view, orgs.volunteer.view): the hands see their teams, not everyone in them.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.core.authority import user_can
from grassroots.core.forms import ServiceErrorsMixin
from grassroots.core.ids import parse_id
from grassroots.orgs.models import MemberUnit, PartyBranch, PartyMember, UnitKind, Volunteer, VolunteerTeam
from grassroots.orgs.services import (
    leads_team,
    may_keep_members,
    org_save,
    team_member_add,
    team_member_remove,
)
from grassroots.people import history
from grassroots.places.models import Building


def _require(user, capability: str) -> None:
    if not user_can(user, capability):
        raise Http404


def _counted_branches(user):
    members = PartyMember.objects.visible_to(user).values("id")
    return PartyBranch.objects.visible_to(user).annotate(
        member_count=Count("members", filter=Q(members__in=members), distinct=True)
    )


def _counted_teams(user):
    """The teams the user sees, each with its active members counted whoever the user is.

    A count names nobody: a volunteer, who reads no one else's volunteering, still sees that
    their team has twelve members (counting only the members they may read said 0 or 1).
    """
    return VolunteerTeam.objects.visible_to(user).annotate(
        member_count=Count("volunteers", filter=Q(volunteers__active=True), distinct=True)
    )


def org_home(request):
    """All the community's organisations on one page, each list with its count; units by kind."""
    _require(request.user, "orgs.volunteerteam.view")
    kind = request.GET.get("kind", "")
    units = MemberUnit.objects.visible_to(request.user).order_by("kind", "name")
    if kind in UnitKind.values:
        units = units.filter(kind=kind)
    reads_people = user_can(request.user, "people.person.view")
    heads = (
        Building.objects.visible_to(request.user).filter(head__isnull=False).select_related("head", "grid")
        if reads_people
        else Building.objects.none()
    )
    context = {
        "branches": _counted_branches(request.user).order_by("name")
        if user_can(request.user, "orgs.partybranch.view")
        else [],
        "teams": _counted_teams(request.user).select_related("leader").order_by("name"),
        "units": units,
        "kind": kind,
        "kinds": UnitKind.choices,
        "heads": heads.order_by("number"),
        "reads_people": reads_people,
    }
    return render(request, "orgs/home.html", context)


def branch_detail(request, pk: int):
    """A party branch and, for those who read party members, who is in it."""
    _require(request.user, "orgs.partybranch.view")
    branch = get_object_or_404(_counted_branches(request.user).select_related("secretary"), pk=pk)
    members = []
    if user_can(request.user, "orgs.partymember.view"):
        members = (
            PartyMember.objects.visible_to(request.user)
            .filter(branch=branch)
            .select_related("person__current_household__building")
            .order_by("person__name")
        )
    return render(request, "orgs/branch.html", {"branch": branch, "members": members})


def team_detail(request, pk: int):
    """A volunteer team, its leader and, for those who read volunteers, its members and skills.

    The team's leader reads their own team's members (and only theirs) and keeps them: who is
    in it is theirs to manage, not the rest of the register.
    """
    _require(request.user, "orgs.volunteerteam.view")
    team = get_object_or_404(_counted_teams(request.user).select_related("leader"), pk=pk)
    leader = leads_team(request.user, team)
    members, candidates = [], []
    if leader or user_can(request.user, "orgs.volunteer.view"):
        members = (
            (Volunteer.objects.all() if leader else Volunteer.objects.visible_to(request.user))
            .filter(teams=team)
            .select_related("person", "home_grid")
            .prefetch_related("skills")
            .order_by("-active", "person__name")
        )
    keeps = may_keep_members(request.user, team)
    if keeps:
        candidates = (
            Volunteer.objects.filter(person__community_id=team.community_id, active=True)
            .exclude(teams=team)
            .select_related("person")
            .order_by("person__name")[:CANDIDATES]
        )
    context = {"team": team, "members": members, "keeps": keeps, "candidates": candidates}
    return render(request, "orgs/team.html", context)


#: How many volunteers the "add to the team" list offers (a community has a few hundred).
CANDIDATES = 300


@require_POST
def team_member(request, pk: int, action: str):
    """Add a volunteer to the team, or let one leave it: the leader's or the office's act."""
    team = get_object_or_404(VolunteerTeam.objects.select_related("leader"), pk=pk)
    if action not in ("add", "remove") or not may_keep_members(request.user, team):
        raise Http404
    volunteer = (
        Volunteer.objects.select_related("person").filter(pk=parse_id(request.POST.get("volunteer"))).first()
    )
    if volunteer is None:
        raise Http404
    change = team_member_add if action == "add" else team_member_remove
    try:
        with history.through("team-members"):
            change(actor=request.user, team=team, volunteer=volunteer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise Http404 from None
    return redirect("org-team", team.pk)


def unit_detail(request, pk: int):
    """A member unit: its kind, its contact (a work number, not personal data) and what it offers."""
    _require(request.user, "orgs.memberunit.view")
    unit = get_object_or_404(MemberUnit.objects.visible_to(request.user), pk=pk)
    return render(request, "orgs/unit.html", {"unit": unit})


class _OrgForm(ServiceErrorsMixin, forms.ModelForm):
    """The fields the office keeps for each kind of organisation (not its community, not members)."""


#: The organisation kinds the office edits: URL word -> (model, fields, detail page).
EDITABLE = {
    "branches": (PartyBranch, ["name"], "org-branch"),
    "teams": (VolunteerTeam, ["name", "focus"], "org-team"),
    "units": (
        MemberUnit,
        ["name", "kind", "contact_name", "contact_phone", "offers", "inside_community"],
        "org-unit",
    ),
}


def org_edit(request, kind: str, pk: int | None = None):
    """Create (no pk) or edit a branch, team or unit, for the roles that keep them."""
    if kind not in EDITABLE:
        raise Http404
    model, fields, detail = EDITABLE[kind]
    _require(request.user, f"orgs.{model._meta.model_name}.change")
    instance = get_object_or_404(model.objects.visible_to(request.user), pk=pk) if pk else model()
    form_class = forms.modelform_factory(model, form=_OrgForm, fields=fields)
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            saved = org_save(actor=request.user, instance=form.save(commit=False))
        except PermissionDenied:
            form.add_error(None, _("Your account works in no single community: ask an administrator."))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect(detail, saved.pk)
    context = {"form": form, "instance": instance, "kind": kind, "model_name": model._meta.verbose_name}
    return render(request, "orgs/edit.html", context)
