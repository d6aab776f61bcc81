"""Who may take an action on a case: the actor's standing towards it, and the object permissions.

A user's standing is their role, when the case lies in their coordinating scope, plus their
relations to it: the `lead` handler, a summoned `assignee`, the `reporter`. The registry
(cases.workflow) says which standing each action needs; this module answers it for a user, and
registers one django-rules permission per action ("cases.urge_case", ...), so that
`user.has_perm("cases.urge_case", case)` gives the same answer as the services and the API.
"""

from __future__ import annotations

import rules

from grassroots.accounts.models import User
from grassroots.accounts.roles import LEGS_ROLES, is_system, role_of, user_can, user_scope
from grassroots.cases.models import Assignment, Case
from grassroots.cases.scope import party_filter
from grassroots.cases.workflow import ASSIGNEE, LEAD, REPORTER, CaseAction, allowed, on_register
from grassroots.core import inhand
from grassroots.core.scoping import scope_filter


def is_coordinator(user: User) -> bool:
    """Mouth and legs (and administrators): they see their scope's cases, register and dispatch."""
    return user_can(user, "cases.case.view")


def relations(actor: User | None, case: Case) -> set[str]:
    """LEAD / ASSIGNEE / REPORTER: how the actor stands to this case."""
    found: set[str] = set()
    if actor is None:
        return found
    mine = Assignment.objects.filter(party_filter(actor), case=case, active=True)
    if inhand.held(case, "assignments") != [] and mine.exists():  # a case held with no parties has none
        found.add(ASSIGNEE)
        if mine.filter(is_lead=True).exists():
            found.add(LEAD)
    if case.reporter_user_id == actor.id or (actor.person_id and case.reporter_person_id == actor.person_id):
        found.add(REPORTER)
    return found


def coordinates(actor: User, case: Case) -> bool:
    """The case lies in the scope the actor coordinates (community, street, grids, everything)."""
    if not user_can(actor, "cases.case.view"):
        return False
    condition = scope_filter(Case, user_scope(actor))
    return condition is not None and Case.objects.filter(condition, pk=case.pk).exists()


def standing(actor: User | None, case: Case) -> set[str]:
    """The actor's role (when the case is in their scope) plus their relations to it."""
    found = relations(actor, case)
    if actor is None:  # nobody stands anywhere: the portal proves the reporter's relation instead
        return found
    if is_system(actor):  # the system actor (the shell, commands, imports)
        return found | {role_of(actor), *LEGS_ROLES}
    if coordinates(actor, case):
        found.add(role_of(actor))
    return found


def has_pending_assignment(actor: User | None, case: Case) -> bool:
    """The actor is summoned to the case and has not yet reported for duty."""
    return (
        actor is not None
        and case.assignments.filter(party_filter(actor), active=True, acknowledged_at__isnull=True).exists()
    )


def may_take(actor: User | None, action: CaseAction, case: Case, who: set[str] | None = None) -> bool:
    """The table allows it from the case's state, for this standing, and it is meaningful now."""
    who = standing(actor, case) if who is None else who
    if not allowed(action.name, case.status, who):
        return False
    return action.offer_when is None or action.offer_when(actor, case)


def _register_permission(action: CaseAction) -> None:
    @rules.predicate(name=action.permission)
    def may(user: User, case: Case | None) -> bool:
        return case is not None and may_take(user, action, case)

    rules.set_perm(action.permission, may)


on_register(_register_permission)
