"""Resident search, the person page, and revealing a number with a stated purpose."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from grassroots.core.audit import client_ip
from grassroots.core.authority import user_can
from grassroots.core.replica import replica_reads
from grassroots.people import history
from grassroots.people.forms import RelationForm
from grassroots.people.models import Person, PersonTag, Residency
from grassroots.people.search import ordered_matches, parse_query
from grassroots.people.services import person_reveal
from grassroots.places.models import Household

#: A page of search results, and how far the total is counted: beyond it the page says "more than
#: 1000" and asks for more to type, rather than counting a district's surname.
SEARCH_PER_PAGE = 50
SEARCH_COUNT_CAP = 1000


def _visible_tags(user):
    tags = PersonTag.objects.select_related("tag")
    if not user_can(user, "people.persontag.view_sensitive"):
        tags = tags.filter(tag__sensitive=False)
    return Prefetch("tags", queryset=tags)


@replica_reads
def person_search(request):
    """One box for names, surnames, pinyin initials, phone tails and addresses (HTMX live)."""
    if not user_can(request.user, "people.person.view"):
        raise Http404
    text = request.GET.get("q", "").strip()
    query = parse_query(text)
    people = Person.objects.visible_to(request.user).select_related("current_household__building")
    matches = ordered_matches(people.prefetch_related(_visible_tags(request.user)), text)
    page = Paginator(matches[:SEARCH_COUNT_CAP], SEARCH_PER_PAGE).get_page(request.GET.get("page"))
    households = []
    if query.kind == "address":
        households = (
            Household.objects.visible_to(request.user)
            .select_related("building")
            .at_address(building=query.building, entrance=query.entrance, room=query.room)[:20]
        )
    more_than_cap = page.paginator.count == SEARCH_COUNT_CAP and matches[SEARCH_COUNT_CAP:].exists()
    context = {
        "q": text,
        "query": query,
        "results": page.object_list,
        "page": page,
        "total": page.paginator.count,
        "more_than_cap": more_than_cap,
        "cap": SEARCH_COUNT_CAP,
        "households": households,
    }
    template = "people/search.html#results" if request.htmx else "people/search.html"
    return render(request, template, context)


def person_detail(request, pk: int):
    person = get_object_or_404(
        Person.objects.visible_to(request.user)
        .select_related("current_household__building", "community")
        .prefetch_related(
            _visible_tags(request.user),
            Prefetch("residencies", queryset=Residency.objects.select_related("household__building")),
        ),
        pk=pk,
    )
    roles = {
        "party_member": _related_or_none(person, "party_membership"),
        "volunteer": _related_or_none(person, "volunteer"),
    }
    current_residency = next((r for r in person.residencies.all() if r.is_current), None)
    context = {
        "person": person,
        "roles": roles,
        "history": history.history_for(request.user, person=person),
        "current_residency": current_residency,
        "relation_form": RelationForm(initial={"relation": getattr(current_residency, "relation", "")}),
        "may_reveal": user_can(request.user, "people.person.reveal"),
        "headed_buildings": person.headed_buildings.all(),
    }
    return render(request, "people/person_detail.html", context)


def _related_or_none(person: Person, name: str):
    """The person's party membership or volunteer record, if they have that role."""
    try:
        return getattr(person, name)
    except ObjectDoesNotExist:
        return None


@require_POST
def person_reveal_view(request, pk: int):
    """Show one number in full after the user states why; the service writes the audit row."""
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk)
    field = request.POST.get("field", "")
    purpose = request.POST.get("purpose", "")
    context = {"person": person, "field": field, "purpose": purpose}
    try:
        context["value"] = person_reveal(
            actor=request.user, person=person, field=field, purpose=purpose, ip_address=client_ip(request)
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        context["errors"] = [message for messages in error.message_dict.values() for message in messages]
        return render(request, "people/_reveal.html", context, status=422)
    return render(request, "people/_reveal.html", context)
