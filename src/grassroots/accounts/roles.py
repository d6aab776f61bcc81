"""What each role may do (capabilities) and where (scope). Deny by default.

Capabilities are "<app>.<model>.<action>" strings (see core.scoping). A role holds
exactly the ones listed here; anything not listed is refused. Read it as a table:
it is the permission model of the whole registry in one screen.
"""

from __future__ import annotations

import rules

from grassroots.accounts.models import Role, User
from grassroots.core.scoping import Scope

#: The article's legs (supervise) and mouth (register, dispatch); together: the coordinators.
LEGS_ROLES = frozenset({Role.SECRETARY, Role.STREET, Role.ADMIN})
MOUTH_ROLES = frozenset({Role.SOCIAL_WORKER, Role.GRID_WORKER})
#: Who reports as themselves rather than on behalf of a caller (their own account is the reporter).
SELF_REPORTING_ROLES = frozenset({Role.RESIDENT, Role.PATROLLER})

_REGISTRY_VIEW = {
    "places.community.view",
    "places.grid.view",
    "places.building.view",
    "places.household.view",
    "people.person.view",
    "people.residency.view",
    "people.persontag.view",
    "orgs.partybranch.view",
    "orgs.partymember.view",
    "orgs.volunteerteam.view",
    "orgs.volunteer.view",
    "orgs.memberunit.view",
}
_PLACES_VIEW = {"places.community.view", "places.grid.view", "places.building.view", "places.household.view"}
_ORGS_VIEW = {"orgs.partybranch.view", "orgs.volunteerteam.view", "orgs.memberunit.view"}
_REGISTRY_EDIT = {
    "people.person.change",
    "people.person.add",
    "people.residency.change",
    "people.persontag.change",
    "places.household.add",
    "places.household.change",
}
_SENSITIVE = {"people.persontag.view_sensitive"}
_REVEAL = {"people.person.reveal"}
_AUDIT = {"people.personaldataaccess.view"}
# Cases: coordinators see their scope; everyone else only what they report or handle.
_CASES_REPORT = {"cases.case.report", "cases.category.view"}
_CASES_COORDINATE = {"cases.case.view", "cases.case.view_own"} | _CASES_REPORT
_CASES_OWN = {"cases.case.view_own"} | _CASES_REPORT
_CASES_SENSITIVE = {"cases.case.view_sensitive"}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(_REGISTRY_VIEW | _REGISTRY_EDIT | _SENSITIVE | _AUDIT | _CASES_COORDINATE),
    Role.SECRETARY: frozenset(
        _REGISTRY_VIEW | _REGISTRY_EDIT | _SENSITIVE | _REVEAL | _AUDIT | _CASES_COORDINATE | _CASES_SENSITIVE
    ),
    Role.STREET: frozenset(_REGISTRY_VIEW | _SENSITIVE | _AUDIT | _CASES_COORDINATE),
    Role.SOCIAL_WORKER: frozenset(
        _REGISTRY_VIEW | _REGISTRY_EDIT | _SENSITIVE | _REVEAL | _CASES_COORDINATE | _CASES_SENSITIVE
    ),
    Role.GRID_WORKER: frozenset(_REGISTRY_VIEW | _REGISTRY_EDIT | _SENSITIVE | _REVEAL | _CASES_COORDINATE),
    Role.PATROLLER: frozenset(_PLACES_VIEW | _CASES_OWN),
    Role.VOLUNTEER: frozenset(_ORGS_VIEW | _CASES_OWN),
    Role.UNIT_CONTACT: frozenset(_ORGS_VIEW | _CASES_OWN),
    Role.RESIDENT: frozenset({"places.household.view", "people.person.view"} | _CASES_OWN),
}

# Care (care.*): the register, campaigns, visits and programmes for the mouth and the legs.
# Health, disability and family findings (view_sensitive) only for social workers, grid workers
# (their grids, by scope) and the secretary; volunteers see and do only their own tasks.
_CARE_VIEW = {
    "care.careprofile.view",
    "care.campaign.view",
    "care.visit.view",
    "care.programme.view",
    "care.enrolment.view",
    "care.plannedservice.view",
}
_CARE_WORK = {
    "care.careprofile.view_sensitive",
    "care.careprofile.override_tier",
    "care.situationnote.add",
    "care.visit.add",
    "care.enrolment.add",
    "care.plannedservice.deliver",
}
_CARE_COORDINATE = {"care.campaign.add"}
_CARE_LEGS = {"care.careprofile.view_flags", "care.carerecordaccess.view"}
_CARE_HANDS = {"care.plannedservice.view_own", "care.plannedservice.deliver", "care.visit.add"}
_CARE_ROLES: dict[str, set[str]] = {
    Role.ADMIN: _CARE_VIEW | _CARE_LEGS,
    Role.SECRETARY: _CARE_VIEW | _CARE_WORK | _CARE_COORDINATE | _CARE_LEGS,
    Role.STREET: _CARE_VIEW | _CARE_LEGS,
    Role.SOCIAL_WORKER: _CARE_VIEW | _CARE_WORK | _CARE_COORDINATE,
    Role.GRID_WORKER: _CARE_VIEW | _CARE_WORK,
    Role.VOLUNTEER: _CARE_HANDS,
}
ROLE_CAPABILITIES = {
    role: capabilities | frozenset(_CARE_ROLES.get(role, ()))
    for role, capabilities in ROLE_CAPABILITIES.items()
}


def user_can(user: User, capability: str) -> bool:
    """True when the user's role holds the capability (superusers hold all of them)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset())


def user_scope(user: User) -> Scope:
    """Where the user's view reaches, computed once per request and cached on the user."""
    cached = getattr(user, "_grassroots_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    user._grassroots_scope = scope
    return scope


def _compute_scope(user: User) -> Scope:
    if user.is_superuser:
        return Scope("all")
    if user.role == Role.STREET:
        return Scope("street", frozenset({user.street_id})) if user.street_id else Scope.nothing()
    if user.role == Role.GRID_WORKER:
        return Scope("grid", frozenset(user.grids.values_list("id", flat=True)))
    if user.role == Role.RESIDENT:
        household_id = user.person.current_household_id if user.person_id else None
        return Scope("household", frozenset({household_id})) if household_id else Scope.nothing()
    if user.community_id:
        return Scope("community", frozenset({user.community_id}))
    return Scope.nothing()


def role_of(user: User | None) -> str:
    """The role a user acts in, as recorded on timelines: superusers act as administrators."""
    if user is None:
        return "system"
    return Role.ADMIN if user.is_superuser else user.role


def _signed_in(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_active


@rules.predicate
def is_legs(user: User | None) -> bool:
    """The community Party committee, the street office and administrators: they supervise."""
    return _signed_in(user) and role_of(user) in LEGS_ROLES


@rules.predicate
def is_mouth(user: User | None) -> bool:
    """Social workers and grid workers: they take calls, register and dispatch."""
    return _signed_in(user) and role_of(user) in MOUTH_ROLES


is_coordinator = is_legs | is_mouth


@rules.predicate
def reports_as_self(user: User | None) -> bool:
    """Residents and patrollers are the reporter of what they report."""
    return _signed_in(user) and role_of(user) in SELF_REPORTING_ROLES


def has_capability(capability: str) -> rules.Predicate:
    """A predicate for one capability of the role table (deny by default)."""

    def check(user: User | None) -> bool:
        return user is not None and user_can(user, capability)

    return rules.Predicate(check, name=f"has_capability({capability})")
