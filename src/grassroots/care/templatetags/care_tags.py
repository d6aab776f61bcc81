"""Care sections of the household and person pages, as inclusion tags.

The places and people views know nothing of care: their templates include
care/_household_care.html or care/_person_care.html, which call these tags with the
request's user. Nothing is shown to a role without care capabilities; the findings
(health, family ...) only to roles with `care.careprofile.view_sensitive` in scope,
and each such view writes a CareRecordAccess row.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from grassroots.accounts.roles import user_can
from grassroots.care import selectors, services
from grassroots.care.forms import SituationForm, TierForm
from grassroots.care.models import CareProfile, Enrolment, TierChange
from grassroots.core.audit import client_ip

register = template.Library()


def _allowed(user) -> bool:
    return user is not None and user.is_authenticated and user_can(user, "care.careprofile.view")


@register.inclusion_tag("care/_household_care_body.html", takes_context=True)
def household_care(context, household):
    request = context.get("request")
    user = getattr(request, "user", None)
    if not _allowed(user):
        return {"show": False}
    today = timezone.localdate()
    sensitive = user_can(user, "care.careprofile.view_sensitive") and _in_scope(user, household)
    profiles = list(
        CareProfile.objects.visible_to(user)
        .filter(household=household, on_register=True)
        .select_related("person")
        .order_by("risk")
    )
    if sensitive:
        services.access_log(
            user=user,
            community_id=household.building.community_id,
            what="household",
            household_id=household.pk,
            ip_address=client_ip(request),
        )
    return {
        "show": True,
        "request": request,
        "household": household,
        "profiles": profiles,
        "enrolments": Enrolment.objects.visible_to(user)
        .filter(household=household)
        .select_related("programme", "team"),
        "upcoming": selectors.upcoming_services(household, today),
        "timeline": selectors.care_timeline(user, household),
        "sensitive": sensitive,
        "today": today,
        "may_visit": services.may_visit(user, household),
        "may_enrol": user_can(user, "care.enrolment.add"),
    }


def _in_scope(user, household) -> bool:
    from grassroots.places.models import Household

    return Household.objects.visible_to(user).filter(pk=household.pk).exists()


@register.inclusion_tag("care/_person_care_body.html", takes_context=True)
def person_care(context, person):
    request = context.get("request")
    user = getattr(request, "user", None)
    if not _allowed(user):
        return {"show": False}
    profile = (
        CareProfile.objects.visible_to(user)
        .filter(person=person)
        .select_related("rule", "override_by", "responsible")
        .first()
    )
    sensitive = user_can(user, "care.careprofile.view_sensitive") and profile is not None
    household = person.current_household
    if sensitive:
        services.access_log(
            user=user,
            community_id=person.community_id,
            what="person",
            person_id=person.pk,
            household_id=household.pk if household else None,
            ip_address=client_ip(request),
        )
    return {
        "show": True,
        "request": request,
        "person": person,
        "profile": profile,
        "changes": TierChange.objects.filter(profile=profile).select_related("by")[:10] if profile else [],
        "enrolments": Enrolment.objects.visible_to(user)
        .filter(household=household)
        .select_related("programme", "team")
        if household
        else [],
        "timeline": selectors.care_timeline(user, household) if household else [],
        "sensitive": sensitive,
        "today": timezone.localdate(),
        "may_override": user_can(user, "care.careprofile.override_tier") and household is not None,
        "may_note": user_can(user, "care.situationnote.add") and profile is not None,
        "tier_form": TierForm(),
        "situation_form": SituationForm(),
    }
