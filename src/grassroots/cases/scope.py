"""Who sees which case: the scope policy that `Case.objects.visible_to` applies. The rules, in order:

1. Coordinators (mouth and legs, admins) see the cases in their scope: community,
   street, or for grid workers their grids, plus anything they are assigned to.
2. Everyone else sees only cases they are a party to: assigned to them, to their
   volunteer team or member unit, or reported by them (residents, patrollers).
3. Sensitive categories (psychological support, ...) are shown only to roles with
   `cases.case.view_sensitive`, and to the parties assigned to that very case.

`Case.objects.visible_to(user, action)` applies them through CaseScope; the action names the
capabilities: "cases.case.<action>" for the scope, "cases.case.<action>_own" for one's own.

It lives apart from cases.selectors because cases.models names it (Case.scope_policy): this
module imports no model at load time, so the selectors can import the models.
"""

from __future__ import annotations

from django.db.models import Q

from grassroots.accounts.roles import user_can, user_scope
from grassroots.core.scoping import InSubquery, ScopePolicy, scope_filter, signed_in


def party_filter(user, prefix: str = "") -> Q:
    """Assignments (or, with a prefix, cases through their assignments) that address this user."""
    condition = Q(**{f"{prefix}user": user})
    if user.person_id:
        condition |= Q(**{f"{prefix}person_id": user.person_id})
        condition |= Q(**{f"{prefix}team__volunteers__person_id": user.person_id})
    if user.member_unit_id:
        condition |= Q(**{f"{prefix}unit_id": user.member_unit_id})
    return condition


def _assigned(user) -> Q:
    """The cases assigned to the user, as `id = ANY(ARRAY(...))` on PostgreSQL (core.scoping.InSubquery).

    Beside "in my community" (an OR), `id IN (SELECT ...)` would be a hashed subplan run on every
    row of a district's cases (a sequential scan); the array is computed once, so each side of the
    OR is an index condition and the planner reads only the rows they find (a BitmapOr).
    """
    from grassroots.cases.models import Assignment

    assignment_ids = Assignment.objects.filter(party_filter(user), active=True).order_by().values("case_id")
    return Q(InSubquery("id", assignment_ids))


def _reported(user) -> Q:
    condition = Q(reporter_user=user)
    if user.person_id:
        condition |= Q(reporter_person_id=user.person_id)
    return condition


#: A coordinator's own cases outside their scope are named by id when there are at most this many.
OWN_OUTSIDE_NAMED = 200


def _own_outside(user, in_scope: Q, own: Q) -> Q | None:
    """A coordinator's own cases (assigned, reported) that their scope does not already hold: None
    when there is none.

    Usually none (a secretary's own cases are in their community), and then the scope alone is the
    condition: "in my community" is what the (community, ...) indexes answer in their order, so a list
    reads one page of rows. An OR with the own cases made every list a bitmap of all the community's
    rows, joined before it was sorted. Read once per request and user (one query); more than
    OWN_OUTSIDE_NAMED keep the OR.
    """
    from grassroots.cases.models import Case

    if not hasattr(user, "_grassroots_own_outside"):
        ids = list(
            Case.objects.filter(own)
            .exclude(in_scope)
            .order_by()
            .values_list("id", flat=True)[: OWN_OUTSIDE_NAMED + 1]
        )
        if not ids:
            user._grassroots_own_outside = None
        else:
            user._grassroots_own_outside = Q(id__in=sorted(ids)) if len(ids) <= OWN_OUTSIDE_NAMED else own
    return user._grassroots_own_outside


class CaseScope(ScopePolicy):
    """Coordinators see their scope plus what they are a party to; everyone else only the latter."""

    def restrict(self, queryset, user, action: str):
        if not signed_in(user):
            return queryset.none()
        own = _assigned(user) | _reported(user)
        if user_can(user, f"cases.case.{action}"):
            in_scope = scope_filter(queryset.model, user_scope(user))
            if in_scope is None:
                visible = own
            elif not in_scope:  # the "all" scope: an empty Q would vanish in `Q() | own`
                visible = Q()
            else:
                outside = _own_outside(user, in_scope, own)
                visible = in_scope if outside is None else in_scope | outside
        elif user_can(user, f"cases.case.{action}_own"):
            visible = own
        else:
            return queryset.none()
        if not user_can(user, "cases.case.view_sensitive"):
            visible &= Q(category__sensitive=False) | _assigned(user) | _reported(user)
        return queryset.filter(visible)
