"""Reads of cases, scoped to the user. The rules, in order:

1. Coordinators (mouth and legs, admins) see the cases in their scope: community,
   street, or for grid workers their grids, plus anything they are assigned to.
2. Everyone else sees only cases they are a party to: assigned to them, to their
   volunteer team or member unit, or reported by them (residents, patrollers).
3. Sensitive categories (psychological support, ...) are shown only to roles with
   `cases.case.view_sensitive`, and to the parties assigned to that very case.
"""

from __future__ import annotations

from django.db.models import Q

from grassroots.accounts.roles import user_can, user_scope
from grassroots.cases.permissions import party_filter
from grassroots.core.scoping import scope_filter

__all__ = ["cases_visible_to", "my_assignments", "party_filter"]


def _assigned(user) -> Q:
    from grassroots.cases.models import Assignment

    assignment_ids = Assignment.objects.filter(party_filter(user), active=True).values("case_id")
    return Q(id__in=assignment_ids)


def _reported(user) -> Q:
    condition = Q(reporter_user=user)
    if user.person_id:
        condition |= Q(reporter_person_id=user.person_id)
    return condition


def cases_visible_to(queryset, user, action: str = "view"):
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    own = _assigned(user) | _reported(user)
    if user_can(user, "cases.case.view"):
        in_scope = scope_filter(queryset.model, user_scope(user))
        if in_scope is None:
            visible = own
        elif not in_scope:  # the "all" scope: an empty Q would vanish in `Q() | own`
            visible = Q()
        else:
            visible = in_scope | own
    elif user_can(user, "cases.case.view_own"):
        visible = own
    else:
        return queryset.none()
    if not user_can(user, "cases.case.view_sensitive"):
        visible &= Q(category__sensitive=False) | _assigned(user) | _reported(user)
    return queryset.filter(visible)


def my_assignments(user):
    """Open assignments addressed to the user, for the "my tasks" page of the hands."""
    from grassroots.cases.models import Assignment
    from grassroots.cases.workflow import OPEN

    return (
        Assignment.objects.filter(party_filter(user), active=True, case__status__in=OPEN)
        .select_related("case__category", "case__household__building", "case__building")
        .distinct()
        .order_by("acknowledged_at", "case__resolution_due")
    )
