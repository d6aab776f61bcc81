"""A resident's own data and requests, and the office's worklist of requests (PIPL art. 44-47)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grassroots.accounts.roles import is_resident, user_can
from grassroots.people.models import ConsentGiver, Person
from grassroots.people.services import (
    SENSITIVE_NOTICE_VERSION,
    consent_on_file,
    consent_record,
    consent_withdraw,
    needs_guardian,
)
from grassroots.privacy import services
from grassroots.privacy.forms import CloseForm, ConsentForm, RequestForm
from grassroots.privacy.models import ANSWER_WITHIN, DataRequest, RequestStatus


def _own_person(user) -> Person:
    """The signed-in resident's own person; anyone else has no "my data" page."""
    if not (is_resident(user) and user.person_id):
        raise Http404
    return Person.objects.select_related("current_household__building").get(pk=user.person_id)


def _file_response(person: Person, sections) -> HttpResponse:
    response = HttpResponse(services.held_as_file(person, sections), content_type="application/json")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="personal-data-{person.pk}-{stamp}.json"'
    return response


def _filed_request(request, person: Person, form: RequestForm) -> DataRequest | None:
    """The request the form files, or None (not sent, or refused: the form then says why)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return services.request_file(actor=request.user, person=person, **form.cleaned_data)
    except ValidationError as error:
        form.add_service_errors(error)
        return None


def _held_context(person: Person, form: RequestForm, *, own: bool) -> dict:
    return {
        "person": person,
        "sections": services.what_is_held(person),
        "requests": DataRequest.objects.filter(person=person)[:50],
        "form": form,
        "own": own,
    }


@require_http_methods(["GET", "POST"])
def my_data(request):
    """What the community holds about me and who saw it; and my requests about it."""
    person = _own_person(request.user)
    form = RequestForm(request.POST or None)
    if _filed_request(request, person, form) is not None:
        messages.success(
            request,
            _("Your request is recorded: the community office answers within %(days)s days.")
            % {"days": ANSWER_WITHIN.days},
        )
        return redirect("privacy-mine")
    context = _held_context(person, form, own=True)
    return render(request, "privacy/held.html", context, status=422 if form.errors else 200)


@require_GET
def my_data_file(request):
    person = _own_person(request.user)
    services.record_export(actor=request.user, person=person)
    return _file_response(person, services.what_is_held(person))


def _handled_person(user, pk: int) -> Person:
    if not user_can(user, "privacy.datarequest.handle"):
        raise Http404
    return get_object_or_404(Person.objects.visible_to(user), pk=pk)


@require_http_methods(["GET", "POST"])
def person_data(request, pk: int):
    """The office's view of what is held about a person, to answer their request (and to file one)."""
    person = _handled_person(request.user, pk)
    form = RequestForm(request.POST or None)
    data_request = _filed_request(request, person, form)
    if data_request is not None:
        return redirect("privacy-request", data_request.pk)
    services.record_export(actor=request.user, person=person)
    context = {
        **_held_context(person, form, own=False),
        "consent": consent_on_file(person),
        "consent_form": ConsentForm(
            initial={"given_by": ConsentGiver.GUARDIAN if needs_guardian(person) else ConsentGiver.SELF}
        ),
        "may_record_consent": user_can(request.user, "privacy.consent.record"),
        "notice_version": SENSITIVE_NOTICE_VERSION,
    }
    return render(request, "privacy/held.html", context, status=422 if form.errors else 200)


@require_GET
def person_data_file(request, pk: int):
    person = _handled_person(request.user, pk)
    services.record_export(actor=request.user, person=person)
    return _file_response(person, services.what_is_held(person))


@require_POST
def person_consent(request, pk: int):
    """Record or withdraw a person's consent to keeping their sensitive information."""
    if not user_can(request.user, "privacy.consent.record"):
        raise Http404
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk)
    try:
        if request.POST.get("withdraw"):
            consent_withdraw(actor=request.user, person=person)
            messages.success(request, _("The consent is withdrawn."))
        else:
            form = ConsentForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            consent_record(actor=request.user, person=person, **form.cleaned_data)
            messages.success(request, _("The consent is recorded."))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("privacy-person", pk)


@require_GET
def request_list(request):
    """The office's worklist: open requests first, the one due soonest on top."""
    if not user_can(request.user, "privacy.datarequest.view"):
        raise Http404
    requests = DataRequest.objects.visible_to(request.user).select_related("person")
    open_requests = requests.filter(status=RequestStatus.OPEN).order_by("due_at")[:200]
    closed = requests.exclude(status=RequestStatus.OPEN).order_by("-closed_at")[:50]
    context = {
        "open_requests": open_requests,
        "closed": closed,
        "now": timezone.now(),
        "answer_days": ANSWER_WITHIN.days,
    }
    return render(request, "privacy/requests.html", context)


@require_http_methods(["GET", "POST"])
def request_detail(request, pk: int):
    if not user_can(request.user, "privacy.datarequest.view"):
        raise Http404
    data_request = get_object_or_404(
        DataRequest.objects.visible_to(request.user).select_related("person", "filed_by", "closed_by"), pk=pk
    )
    may_handle = user_can(request.user, "privacy.datarequest.handle")
    form = CloseForm(request.POST or None)
    if request.method == "POST":
        if not may_handle:
            raise Http404
        if form.is_valid():
            try:
                services.request_close(actor=request.user, request=data_request, **form.cleaned_data)
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The request is answered."))
                return redirect("privacy-request", data_request.pk)
    context = {
        "data_request": data_request,
        "form": form,
        "may_handle": may_handle and data_request.status == RequestStatus.OPEN,
        "erasure_refusal": services.erasure_refusal(data_request.person)
        if data_request.kind == "erasure"
        else "",
        "may_erase": user_can(request.user, "privacy.person.erase"),
    }
    return render(request, "privacy/request.html", context, status=422 if form.errors else 200)
