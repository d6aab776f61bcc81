"""The three lists' pages: needs, resources, projects, and a member unit's co-building record.

Reads through activities.list_reads (visible_to: 404 outside the scope), writes through
activities.lists. The committee sees all three lists with filters and counts; a unit contact
sees and keeps their unit's offers and reads their unit's record, on a phone.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from grassroots.accounts.roles import user_can, works_from_tasks
from grassroots.activities import list_reads as reads
from grassroots.activities import lists
from grassroots.activities.forms import (
    AddPersonForm,
    DeliverForm,
    NeedForm,
    NeedStatusForm,
    OfferForm,
    ProjectForm,
    ProjectUpdateForm,
    TakeResourceForm,
    WorkForm,
)
from grassroots.activities.models import (
    Need,
    NeedSource,
    NeedStatus,
    Project,
    ProjectResource,
    ProjectStatus,
    Resource,
)
from grassroots.core.ids import parse_id
from grassroots.orgs.models import MemberUnit, Volunteer
from grassroots.people.models import Person

PER_PAGE = 30
SENSITIVE_FINDINGS = "care.careprofile.view_sensitive"


def _need_cap(user, capability: str) -> None:
    if not user_can(user, capability):
        raise Http404


def _page(request, rows):
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def lists_home(request):
    """The three lists at a glance: how many of each by status, and where to go next."""
    user = request.user
    if not any(user_can(user, f"activities.{kind}.view") for kind in ("need", "resource", "project")):
        raise Http404
    context = {
        "needs": reads.need_counts(user) if user_can(user, "activities.need.view") else None,
        "resources": reads.resource_counts(user) if user_can(user, "activities.resource.view") else None,
        "projects": reads.project_counts(user) if user_can(user, "activities.project.view") else None,
        "unit": user.member_unit if works_from_tasks(user) and user.member_unit_id else None,
    }
    return render(request, "activities/lists/home.html", context)


# --- needs -----------------------------------------------------------------------------------------


def need_list(request):
    """The needs list: filters by status and source, counts by status, a page at a time."""
    _need_cap(request.user, "activities.need.view")
    status, source = request.GET.get("status", ""), request.GET.get("source", "")
    context = {
        "page": _page(request, reads.needs_for(request.user, status=status, source=source)),
        "counts": reads.need_counts(request.user),
        "status": status,
        "source": source,
        "sources": NeedSource.choices,
        "may_add": user_can(request.user, "activities.need.add"),
    }
    return render(request, "activities/lists/needs.html", context)


def _source_of(request):
    """The case (?case=number) or visit (?visit=id) a need is raised from, if the reader may see it."""
    from grassroots.care.models import Visit
    from grassroots.cases.models import Case

    number = (request.GET.get("case") or request.POST.get("case") or "").strip()
    if number:
        return get_object_or_404(Case.objects.visible_to(request.user), number=number[:32]), None
    visit_id = parse_id(request.GET.get("visit") or request.POST.get("visit"))
    if visit_id is not None:
        return None, get_object_or_404(Visit.objects.visible_to(request.user), pk=visit_id)
    return None, None


def need_new(request):
    """Raise a need: entered, or from a case or a visit. The office writes it in its own words.

    A visit's needs are sealed findings: they are shown beside the form only to who may read them,
    and never copied into the need.
    """
    _need_cap(request.user, "activities.need.add")
    case, visit = _source_of(request)
    source = case or visit
    community = request.user.community or (source.community if source is not None else None)
    if community is None:
        raise Http404
    form = NeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            need = lists.need_raise(
                actor=request.user,
                community=community,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                case=case,
                visit=visit,
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The need is on the list."))
            return redirect("need-detail", need.pk)
    findings = visit.needs if visit is not None and user_can(request.user, SENSITIVE_FINDINGS) else None
    context = {"form": form, "case": case, "visit": visit, "findings": findings}
    return render(request, "activities/lists/need_new.html", context, status=422 if form.errors else 200)


def need_detail(request, pk: int):
    """A need: what it is, where it came from, its projects, its history; the office changes its status."""
    _need_cap(request.user, "activities.need.view")
    need = get_object_or_404(reads.needs_for(request.user), pk=pk)
    keeps = lists.keeps_lists(request.user, need.community_id)
    form = NeedStatusForm(request.POST or None, initial={"status": need.status})
    if request.method == "POST":
        if not keeps:
            raise Http404
        if form.is_valid():
            try:
                lists.need_set_status(
                    actor=request.user,
                    need=need,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Saved."))
                return redirect("need-detail", need.pk)
    context = {
        "need": need,
        "form": form,
        "keeps": keeps,
        "projects": list(
            Project.objects.visible_to(request.user).filter(need=need).order_by("-starts_on")[:50]
        ),
        "changes": list(need.changes.select_related("actor").order_by("-at", "-id")[:50]),
        "may_start": keeps and need.status in (NeedStatus.OPEN, NeedStatus.IN_PROJECT),
    }
    return render(request, "activities/lists/need.html", context, status=422 if form.errors else 200)


# --- resources ----------------------------------------------------------------------------------------


def resource_list(request):
    """The resources list: what each member unit offers; filters by unit and by still offered."""
    _need_cap(request.user, "activities.resource.view")
    unit_id = parse_id(request.GET.get("unit"))
    active = request.GET.get("active", "")
    context = {
        "page": _page(request, reads.resources_for(request.user, unit_id=unit_id, active=active)),
        "counts": reads.resource_counts(request.user),
        "units": list(reads.units_for(request.user)[:200]),
        "unit_id": unit_id,
        "active": active,
        "may_add": user_can(request.user, "activities.resource.add"),
    }
    return render(request, "activities/lists/resources.html", context)


def _offer_units(user) -> list[MemberUnit]:
    """Whose offers the user may add: the office all its community's units, a contact their own."""
    return [unit for unit in reads.units_for(user)[:200] if lists.may_offer_for(user, unit)]


def _offer(data) -> lists.Offer:
    return lists.Offer(
        title=data["title"],
        capacity=data["capacity"],
        capacity_unit=data["capacity_unit"],
        available_from=data["available_from"],
        available_until=data["available_until"],
        period_note=data["period_note"],
        description=data["description"],
        active=data["active"],
    )


def resource_new(request):
    """Offer a resource: a unit's contact for their unit, the office for any unit of the community."""
    _need_cap(request.user, "activities.resource.add")
    units = _offer_units(request.user)
    if not units:
        raise Http404
    chosen = parse_id(request.POST.get("unit") or request.GET.get("unit"))
    unit = next((u for u in units if u.pk == chosen), units[0] if len(units) == 1 else None)
    form = OfferForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        if unit is None:
            form.add_error(None, _("Choose the unit that offers it."))
        else:
            try:
                resource = lists.resource_offer(
                    actor=request.user, unit=unit, offer=_offer(form.cleaned_data)
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The offer is on the resources list."))
                return redirect("resource-detail", resource.pk)
    context = {"form": form, "units": units, "unit": unit}
    return render(request, "activities/lists/resource_new.html", context, status=422 if form.errors else 200)


def resource_detail(request, pk: int):
    """A resource: what, how much, when, which projects took it on; its unit's contact or the office
    edits it."""
    _need_cap(request.user, "activities.resource.view")
    resource = get_object_or_404(Resource.objects.visible_to(request.user).select_related("unit"), pk=pk)
    may_edit = lists.may_offer_for(request.user, resource.unit) and user_can(
        request.user, "activities.resource.change"
    )
    initial = {name: getattr(resource, name) for name in lists.OFFER_FIELDS}
    form = OfferForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not may_edit:
            raise Http404
        if form.is_valid():
            try:
                lists.resource_offer(
                    actor=request.user, unit=resource.unit, offer=_offer(form.cleaned_data), resource=resource
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Saved."))
                return redirect("resource-detail", resource.pk)
    context = {
        "resource": resource,
        "form": form,
        "may_edit": may_edit,
        "commitments": list(
            resource.commitments.filter(project__in=Project.objects.visible_to(request.user))
            .select_related("project")
            .order_by("-project__starts_on")[:50]
        ),
        "changes": list(resource.changes.select_related("actor").order_by("-at", "-id")[:50]),
    }
    return render(request, "activities/lists/resource.html", context, status=422 if form.errors else 200)


# --- projects -----------------------------------------------------------------------------------------


def project_list(request):
    """The projects list: filters by status and unit, counts by status, hours delivered on each."""
    _need_cap(request.user, "activities.project.view")
    status = request.GET.get("status", "")
    unit_id = parse_id(request.GET.get("unit"))
    context = {
        "page": _page(request, reads.projects_for(request.user, status=status, unit_id=unit_id)),
        "counts": reads.project_counts(request.user),
        "units": list(reads.units_for(request.user)[:200]),
        "status": status,
        "unit_id": unit_id,
    }
    return render(request, "activities/lists/projects.html", context)


def project_new(request, need_pk: int):
    """Start a project for a need (the office)."""
    _need_cap(request.user, "activities.project.add")
    need = get_object_or_404(Need.objects.visible_to(request.user), pk=need_pk)
    form = ProjectForm(request.POST or None, initial={"title": need.title})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = lists.project_start(
                actor=request.user,
                need=need,
                title=data["title"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                description=data["description"],
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            form.add_service_errors(error, aliases={"need": "__all__"})
        else:
            messages.success(request, _("Project started."))
            return redirect("project-detail", project.pk)
    return render(
        request,
        "activities/lists/project_new.html",
        {"form": form, "need": need},
        status=422 if form.errors else 200,
    )


def _crew_candidates(project: Project):
    """Whom the office may add to a project: the community's active volunteers and serving members."""
    volunteers = Volunteer.objects.filter(active=True, person__community_id=project.community_id).values(
        "person_id"
    )
    serving = Person.objects.filter(party_membership__branch__community_id=project.community_id).values("pk")
    on = project.crew.values("person_id")
    people = Person.objects.filter(pk__in=volunteers) | Person.objects.filter(pk__in=serving)
    return people.exclude(pk__in=on).order_by("name", "id")[:200]


def _project_forms(request, project: Project, action: str | None):
    crew = [row.person for row in project.crew.select_related("person")]
    commitments = list(project.commitments.select_related("resource__unit"))
    resources = (
        Resource.objects.filter(community_id=project.community_id, active=True)
        .exclude(pk__in=[row.resource_id for row in commitments])
        .select_related("unit")[:200]
    )
    data = request.POST if action else None
    forms = {
        "update": ProjectUpdateForm(
            data if action == "update" else None,
            initial={"status": project.status, "starts_on": project.starts_on, "ends_on": project.ends_on},
        ),
        "take": TakeResourceForm(data if action == "take" else None, resources=list(resources)),
        "deliver": DeliverForm(data if action == "deliver" else None),
        "person": AddPersonForm(data if action == "person" else None, people=list(_crew_candidates(project))),
        "work": WorkForm(data if action == "work" else None, people=crew),
    }
    return forms, crew, commitments


def _project_act(request, project: Project, action: str, form) -> None:
    data = form.cleaned_data
    if action == "update":
        lists.project_update(
            actor=request.user,
            project=project,
            status=data["status"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )
    elif action == "take":
        resource = Resource.objects.filter(pk=data["resource"], community_id=project.community_id).first()
        if resource is None:
            raise ValidationError({"resource": _("Choose a resource from the list.")})
        lists.project_take_resource(
            actor=request.user, project=project, resource=resource, committed=data["committed"]
        )
    elif action == "deliver":
        commitment = ProjectResource.objects.filter(pk=data["commitment"], project=project).first()
        if commitment is None:
            raise Http404
        commitment.project = project
        lists.project_deliver(actor=request.user, commitment=commitment, delivered=data["delivered"])
    elif action == "person":
        person = Person.objects.filter(pk=data["person"]).first()
        lists.project_add_person(actor=request.user, project=project, person=person)
    elif action == "work":
        person = Person.objects.filter(pk=data["person"]).first()
        lists.project_work_record(
            actor=request.user,
            project=project,
            person=person,
            hours=data["hours"],
            worked_on=data["worked_on"],
            note=data["note"],
        )


PROJECT_ACTIONS = ("update", "take", "deliver", "person", "work")


def project_detail(request, pk: int):
    """A project: its need, the resources taken on and delivered, who works on it and the hours they
    delivered (each a ledger row); the office acts on it from here."""
    _need_cap(request.user, "activities.project.view")
    project = get_object_or_404(Project.objects.visible_to(request.user).select_related("need"), pk=pk)
    keeps = lists.keeps_lists(request.user, project.community_id)
    action = request.POST.get("action") if request.method == "POST" else None
    if action is not None and (not keeps or action not in PROJECT_ACTIONS):
        raise Http404
    forms, crew, commitments = _project_forms(request, project, action)
    failed = False
    if action is not None:
        form = forms[action]
        if form.is_valid():
            try:
                _project_act(request, project, action, form)
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                form.add_service_errors(error, aliases={"project": "__all__", "commitment": "__all__"})
                failed = True
            else:
                messages.success(request, _("Saved."))
                return redirect("project-detail", project.pk)
        else:
            failed = True
    work = list(project.work.select_related("person").order_by("-worked_on", "-id")[:100])
    context = {
        "project": project,
        "keeps": keeps,
        "forms": forms,
        "action": action,
        "crew": crew,
        "commitments": commitments,
        "work": work,
        "hours": sum((row.hours for row in work), 0),
        "changes": list(project.changes.select_related("actor").order_by("-at", "-id")[:50]),
        "statuses": ProjectStatus,
    }
    return render(request, "activities/lists/project.html", context, status=422 if failed else 200)


# --- a member unit's co-building record --------------------------------------------------------------


def unit_record(request, pk: int):
    """What a member unit offered, took on and delivered: for its own contact and for the office."""
    user = request.user
    if works_from_tasks(user):
        if user.member_unit_id != pk or not user_can(user, "activities.resource.view"):
            raise Http404
        unit = get_object_or_404(MemberUnit, pk=pk)
    else:
        _need_cap(user, "activities.project.view")
        unit = get_object_or_404(MemberUnit.objects.visible_to(user), pk=pk)
    context = {
        "record": reads.unit_record(unit),
        "may_offer": lists.may_offer_for(user, unit) and user_can(user, "activities.resource.add"),
    }
    return render(request, "activities/lists/unit.html", context)
