"""What each role may do (capabilities) and where (scope). Deny by default.

Capabilities are "<app>.<model>.<action>" strings (see core.scoping). A role holds
exactly the ones listed here; anything not listed is refused. Read it as a table:
it is the permission model of the whole registry in one screen.

This is also the only module that knows role names: everywhere else asks a predicate
(`is_legs(user)`, `is_resident(user)`, ...) or a capability, and queries for users of a
kind go through `role_filter(predicate)`. tests/test_scoping.py fails on a role name
compared anywhere else.
"""

from __future__ import annotations

import rules
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.accounts.models import Role, User
from grassroots.core.scoping import Scope
from grassroots.places.models import Community

#: The article's legs (supervise) and mouth (register, dispatch); together: the coordinators.
LEGS_ROLES = frozenset({Role.SECRETARY, Role.STREET, Role.ADMIN})
MOUTH_ROLES = frozenset({Role.SOCIAL_WORKER, Role.GRID_WORKER})
#: Who reports as themselves rather than on behalf of a caller (their own account is the reporter).
SELF_REPORTING_ROLES = frozenset({Role.RESIDENT, Role.PATROLLER})
#: The article's hands (volunteers and party members, member-unit contacts) and eyes (patrollers).
HANDS_ROLES = frozenset({Role.VOLUNTEER, Role.UNIT_CONTACT})
EYES_ROLES = frozenset({Role.PATROLLER})
#: Roles that work in one community (the street office works in a street, administrators anywhere).
COMMUNITY_ROLES = frozenset(Role) - {Role.ADMIN, Role.STREET, Role.RESIDENT, Role.SYSTEM}
#: The username of the system actor (see system_actor).
SYSTEM_USERNAME = "system"

_REGISTRY_VIEW = {
    "places.community.view",
    "places.grid.view",
    "places.building.view",
    "places.household.view",
    "people.person.view",
    "people.residency.view",
    "people.persontag.view",
    "people.registrychange.view",  # the history of the register (not residents: staff names, sources)
    "people.consent.view",  # who agreed to keeping sensitive data, and how
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
    "places.building.change",  # who is the building head
}
#: Creating and editing the community's organisations (branches, teams, units): the office, not the grids.
_ORGS_EDIT = {
    "orgs.partybranch.change",
    "orgs.volunteerteam.change",
    "orgs.memberunit.change",
    "orgs.partymember.change",  # who is in which branch
    "orgs.volunteer.change",  # who volunteers, in which teams
    "orgs.servingreport.view",  # serving party members' reports (name, phone) wait for the office
}
_SENSITIVE = {"people.persontag.view_sensitive"}
_REVEAL = {"people.person.reveal"}
_AUDIT = {"people.personaldataaccess.view"}
# Cases: coordinators see their scope; everyone else only what they report or handle.
_CASES_REPORT = {"cases.case.report", "cases.category.view"}
_CASES_COORDINATE = {"cases.case.view", "cases.case.view_own"} | _CASES_REPORT
_CASES_OWN = {"cases.case.view_own"} | _CASES_REPORT
_CASES_SENSITIVE = {"cases.case.view_sensitive"}
#: Raising a hotspot's one proactive case (未诉先办): the community's office, not the street or the admin.
_CASES_HOTSPOT = {"cases.hotspot.raise"}

#: Drawing the community: grid outlines and building positions (GeoJSON import), for administrators.
_PLAN_EDIT = {"places.plan.change"}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        _REGISTRY_VIEW | _REGISTRY_EDIT | _ORGS_EDIT | _SENSITIVE | _AUDIT | _CASES_COORDINATE | _PLAN_EDIT
    ),
    Role.SECRETARY: frozenset(
        _REGISTRY_VIEW
        | _REGISTRY_EDIT
        | _ORGS_EDIT
        | _SENSITIVE
        | _REVEAL
        | _AUDIT
        | _CASES_COORDINATE
        | _CASES_SENSITIVE
        | _CASES_HOTSPOT
    ),
    Role.STREET: frozenset(_REGISTRY_VIEW | _SENSITIVE | _AUDIT | _CASES_COORDINATE),
    Role.SOCIAL_WORKER: frozenset(
        _REGISTRY_VIEW
        | _REGISTRY_EDIT
        | _ORGS_EDIT
        | _SENSITIVE
        | _REVEAL
        | _CASES_COORDINATE
        | _CASES_SENSITIVE
        | _CASES_HOTSPOT
    ),
    Role.GRID_WORKER: frozenset(
        _REGISTRY_VIEW | _REGISTRY_EDIT | _SENSITIVE | _REVEAL | _CASES_COORDINATE | _CASES_HOTSPOT
    ),
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
    "care.careprofile.take",  # become the usual visitor of someone nobody has taken yet
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
# Personal-information requests (privacy.*, PIPL art. 44-47): the community office receives and
# answers them; only the secretary decides an erasure. A resident files their own and reads what is
# held about them on the portal (no capability: it is always their own person).
_PRIVACY_VIEW = {"privacy.datarequest.view"}
_PRIVACY_HANDLE = {"privacy.datarequest.handle", "privacy.consent.record"}
_PRIVACY_ROLES: dict[str, set[str]] = {
    Role.ADMIN: _PRIVACY_VIEW,
    Role.SECRETARY: _PRIVACY_VIEW | _PRIVACY_HANDLE | {"privacy.person.erase"},
    Role.STREET: _PRIVACY_VIEW,
    Role.SOCIAL_WORKER: _PRIVACY_VIEW | _PRIVACY_HANDLE,
    Role.GRID_WORKER: {"privacy.consent.record"},
}
# Ledgers (ledger.*): importing a community's register is the office's (administrators, the
# secretary, social workers); exporting a list masked is for everyone who works with the register
# in their scope; a full export, numbers in clear, only for the secretary, with a stated purpose.
_LEDGER_IMPORT = {"ledger.importrun.view", "ledger.importrun.add"}
_LEDGER_EXPORT = {"ledger.export.view"}
_LEDGER_ROLES: dict[str, set[str]] = {
    Role.ADMIN: _LEDGER_IMPORT | _LEDGER_EXPORT,
    Role.SECRETARY: _LEDGER_IMPORT | _LEDGER_EXPORT | {"ledger.export.unmasked"},
    Role.STREET: _LEDGER_EXPORT,
    Role.SOCIAL_WORKER: _LEDGER_IMPORT | _LEDGER_EXPORT,
    Role.GRID_WORKER: _LEDGER_EXPORT,
}
# The dashboard (insights.*): the legs and the mouth, who open the case lists its numbers link to.
# The evaluation of handlers (volunteers, teams, units) is the legs' alone: the mouth dispatches to
# those handlers every day and is not their judge.
_INSIGHTS_VIEW = {"insights.dashboard.view"}
# The monthly report for the street office: the legs read (and ask for) the reports of their scope;
# the legs alone read the handlers' evaluation.
_INSIGHTS_REPORTS = {"insights.monthlyreport.view", "insights.monthlyreport.add"}
_INSIGHTS_LEGS = {"insights.evaluation.view"}
_INSIGHTS_ROLES: dict[str, set[str]] = {
    Role.ADMIN: _INSIGHTS_VIEW | _INSIGHTS_REPORTS | _INSIGHTS_LEGS,
    Role.SECRETARY: _INSIGHTS_VIEW | _INSIGHTS_REPORTS | _INSIGHTS_LEGS,
    Role.STREET: _INSIGHTS_VIEW | _INSIGHTS_REPORTS | _INSIGHTS_LEGS,
    Role.SOCIAL_WORKER: _INSIGHTS_VIEW,
    Role.GRID_WORKER: _INSIGHTS_VIEW,
}
# Activities and the hours ledger (activities.*): everyone of a community reads its activities and
# signs themselves up (volunteers, unit contacts, residents); the office publishes, manages the roll
# call, confirms hours, corrects the ledger and redeems points; a volunteer who leads a team
# publishes and manages that team's activities (activities.services.leads). Every account reads
# its own hours; the office and the street read the totals.
_ACTIVITIES_JOIN = {"activities.activity.view", "activities.signup.view", "activities.signup.add"}
_ACTIVITIES_OWN_HOURS = {"activities.hoursentry.view"}
_ACTIVITIES_OFFICE = (
    _ACTIVITIES_JOIN
    | _ACTIVITIES_OWN_HOURS
    | {
        "activities.activity.add",
        "activities.activity.manage",
        "activities.hoursentry.correct",
        "activities.hoursentry.redeem",
        "activities.hoursentry.totals",
    }
)
_ACTIVITIES_ROLES: dict[str, set[str]] = {
    Role.ADMIN: _ACTIVITIES_OFFICE,
    Role.SECRETARY: _ACTIVITIES_OFFICE,
    Role.SOCIAL_WORKER: _ACTIVITIES_OFFICE,
    Role.STREET: {"activities.activity.view", "activities.signup.view"}
    | _ACTIVITIES_OWN_HOURS
    | {"activities.hoursentry.totals"},
    Role.GRID_WORKER: _ACTIVITIES_JOIN | _ACTIVITIES_OWN_HOURS,
    Role.VOLUNTEER: _ACTIVITIES_JOIN | _ACTIVITIES_OWN_HOURS | {"activities.activity.add"},
    Role.UNIT_CONTACT: _ACTIVITIES_JOIN | _ACTIVITIES_OWN_HOURS,
    Role.RESIDENT: _ACTIVITIES_JOIN | _ACTIVITIES_OWN_HOURS,
}
# The phone lines (telephony.*): the mouth (and the secretary, who takes calls too) sign on to a line
# and call back a missed caller; the legs read the calls of their community or street; lines are
# configured by administrators in the admin.
_TELEPHONY_VIEW = {"telephony.line.view", "telephony.call.view"}
_TELEPHONY_WORK = _TELEPHONY_VIEW | {"telephony.line.take", "telephony.call.call_back"}
_TELEPHONY_ROLES: dict[str, set[str]] = {
    Role.ADMIN: _TELEPHONY_VIEW,
    Role.SECRETARY: _TELEPHONY_WORK,
    Role.STREET: _TELEPHONY_VIEW,
    Role.SOCIAL_WORKER: _TELEPHONY_WORK,
    Role.GRID_WORKER: _TELEPHONY_WORK,
}
# The three lists (activities.need/resource/project): the office keeps them; the street reads them;
# a grid worker reads the needs of their grids; a member unit's contact reads and keeps their unit's
# offers and reads the projects that use them (activities.models.UnitRowsScope).
_LISTS_READ = {"activities.need.view", "activities.resource.view", "activities.project.view"}
_LISTS_OFFICE = _LISTS_READ | {
    "activities.need.add",
    "activities.need.change",
    "activities.resource.add",
    "activities.resource.change",
    "activities.project.add",
    "activities.project.change",
}
_LISTS_ROLES: dict[str, set[str]] = {
    Role.ADMIN: _LISTS_OFFICE,
    Role.SECRETARY: _LISTS_OFFICE,
    Role.SOCIAL_WORKER: _LISTS_OFFICE,
    Role.STREET: _LISTS_READ,
    Role.GRID_WORKER: {"activities.need.view"},
    Role.UNIT_CONTACT: {
        "activities.resource.view",
        "activities.resource.add",
        "activities.resource.change",
        "activities.project.view",
    },
}
ROLE_CAPABILITIES = {
    role: capabilities
    | frozenset(_TELEPHONY_ROLES.get(role, ()))
    | frozenset(_LISTS_ROLES.get(role, ()))
    | frozenset(_INSIGHTS_ROLES.get(role, ()))
    | frozenset(_CARE_ROLES.get(role, ()))
    | frozenset(_ACTIVITIES_ROLES.get(role, ()))
    | frozenset(_PRIVACY_ROLES.get(role, ()))
    | frozenset(_LEDGER_ROLES.get(role, ()))
    for role, capabilities in ROLE_CAPABILITIES.items()
}


def user_can(user: User | None, capability: str) -> bool:
    """True when the user's role holds the capability (superusers and the system actor hold all).

    Nobody (None) holds nothing: a write without an actor is refused like any other.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or user.role == Role.SYSTEM:
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
    if user.is_superuser or user.role == Role.SYSTEM:
        return Scope("all")
    if user.role == Role.STREET:
        if not user.street_id:
            return Scope.nothing()
        communities = Community.objects.filter(street_id=user.street_id).values_list("id", flat=True)
        return Scope("street", frozenset({user.street_id}), communities=frozenset(communities))
    if user.role == Role.GRID_WORKER:
        return Scope("grid", frozenset(user.grids.values_list("id", flat=True)))
    if user.role == Role.RESIDENT:
        household_id = user.person.current_household_id if user.person_id else None
        return Scope("household", frozenset({household_id})) if household_id else Scope.nothing()
    if user.community_id:
        return Scope("community", frozenset({user.community_id}))
    return Scope.nothing()


def role_of(user: User | None) -> str:
    """The role a user acts in, as recorded on timelines: superusers act as administrators.

    No user at all (the trusted path the services still accept) is recorded as the system,
    like the system actor itself.
    """
    if user is None or getattr(user, "role", None) == Role.SYSTEM:
        return Role.SYSTEM
    if not getattr(user, "is_authenticated", False):
        return ""
    return Role.ADMIN if user.is_superuser else user.role


def role_label(role: str) -> str:
    """The readable name of a role as recorded on a timeline ("" for one we do not know)."""
    return str(dict(Role.choices).get(role, ""))


#: How the public is told who handles a case (Open311's agency_responsible): an office, never a
#: person's name. Chinese and English; administrators and roles without an office of their own are
#: the community office.
PUBLIC_OFFICE_NAMES: dict[str, tuple[str, str]] = {
    Role.ADMIN: ("社区居委会", "community office"),
    Role.SECRETARY: ("社区党委", "community Party committee"),
    Role.STREET: ("街道办事处", "street office"),
    Role.SOCIAL_WORKER: ("社区社工", "community social worker"),
    Role.GRID_WORKER: ("网格员", "grid worker"),
    Role.VOLUNTEER: ("志愿者", "volunteer"),
    Role.UNIT_CONTACT: ("共建单位", "member unit"),
    Role.PATROLLER: ("巡查员", "patroller"),
}
#: A volunteer leading a case without an account (a person of the registry).
VOLUNTEER_PUBLIC_NAME = PUBLIC_OFFICE_NAMES[Role.VOLUNTEER]


#: How a resident reads who acted on their case: a role, never a name (the portal timeline).
RESIDENT_FACING_LABELS: dict[str, object] = {
    Role.ADMIN: _("community office"),
    Role.SECRETARY: _("community Party committee"),
    Role.STREET: _("street office"),
    Role.SOCIAL_WORKER: _("social worker"),
    Role.GRID_WORKER: _("grid worker"),
    Role.VOLUNTEER: _("volunteer"),
    Role.UNIT_CONTACT: _("member unit"),
    Role.PATROLLER: _("patroller"),
    Role.RESIDENT: _("resident"),
    Role.SYSTEM: _("community office"),
}


def resident_facing_label(role: str, *, unit_kind: str = "") -> str:
    """A recorded role as the resident reads it; a member unit's contact speaks as the unit's kind."""
    if role == Role.UNIT_CONTACT and unit_kind:
        return unit_kind
    return str(RESIDENT_FACING_LABELS.get(role, RESIDENT_FACING_LABELS[Role.SYSTEM]))


def public_office_name(user: User) -> tuple[str, str]:
    """The office the public may address for a user leading a case, in Chinese and English."""
    return PUBLIC_OFFICE_NAMES.get(role_of(user), PUBLIC_OFFICE_NAMES[Role.ADMIN])


def role_field_errors(user: User) -> dict[str, str]:
    """What a role needs besides itself, checked when an account is saved from a form.

    The street office reaches its street, community roles their community, and a resident's
    account is the person themselves; administrators and the system actor need none of these.
    Nobody else may be given the system's role: it holds every capability.
    """
    if user.role == Role.SYSTEM and user.username != SYSTEM_USERNAME:
        return {"role": _("Only the system account acts as the system: choose another role.")}
    if user.role == Role.STREET and not user.street_id:
        return {"street": _("A street office user needs a street.")}
    if user.role in COMMUNITY_ROLES and not user.community_id:
        return {"community": _("This role works in a community: choose one.")}
    if user.role == Role.RESIDENT and not user.person_id:
        return {"person": _("A resident account must be linked to the person.")}
    return {}


def street_office_reader(street_id: int) -> User:
    """An unsaved account that reads as the street office of one street: whose view the monthly
    report counts (insights.reports), whoever asks for it and whoever reads it.

    The report goes up to the street office and to every subscriber who may read it, so it counts
    what the street office's own dashboard counts: its street's communities, no sensitive category.
    It is never saved and cannot sign in (it has no password and no primary key).
    """
    user = User(username=f"street-office-{street_id}", role=Role.STREET, street_id=street_id, is_active=True)
    user.set_unusable_password()
    return user


def system_actor() -> User:
    """The account the shell, the CLI and imports act as: never nobody.

    A real row, so that every timeline, audit and history entry they write names an actor
    (recorded with the role "system"). It holds every capability and sees everything, like
    the trusted path it replaces, but it can never sign in: its password is unusable and
    accounts.backends refuses it. Created on first use; a person's account that happens to be
    called "system" is refused rather than taken over.
    """
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"role": Role.SYSTEM, "first_name": "", "last_name": "", "is_active": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif user.role != Role.SYSTEM:
        raise ImproperlyConfigured(f"The account {SYSTEM_USERNAME!r} is a person's, not the system actor.")
    return user


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


@rules.predicate
def reports_as_self(user: User | None) -> bool:
    """Residents and patrollers are the reporter of what they report."""
    return _signed_in(user) and role_of(user) in SELF_REPORTING_ROLES


def has_capability(capability: str) -> rules.Predicate:
    """A predicate for one capability of the role table (deny by default)."""

    def check(user: User | None) -> bool:
        return user is not None and user_can(user, capability)

    return rules.Predicate(check, name=f"has_capability({capability})")


def reads_numbers_in_full(user: User | None) -> bool:
    """Who reads phone and ID numbers as written: those who may reveal them (else they are masked,
    in fields and in free text alike)."""
    return user is not None and user_can(user, "people.person.reveal")


@rules.predicate
def is_system(user: User | None) -> bool:
    """The system actor (the shell, the CLI, imports): it acts, but it is nobody's account."""
    return user is not None and getattr(user, "role", None) == Role.SYSTEM


@rules.predicate
def is_hands(user: User | None) -> bool:
    """Volunteers, party members and member-unit contacts: they do the tasks the community gives them."""
    return _signed_in(user) and role_of(user) in HANDS_ROLES


@rules.predicate
def is_eyes(user: User | None) -> bool:
    """Patrollers: they walk the estate and report what they see, on the patrol channel."""
    return _signed_in(user) and role_of(user) in EYES_ROLES


@rules.predicate
def is_resident(user: User | None) -> bool:
    """A resident's own account: they see their household and follow their own reports, nothing else."""
    return _signed_in(user) and role_of(user) == Role.RESIDENT


@rules.predicate
def is_party_committee(user: User | None) -> bool:
    """The community Party committee (secretaries): told when a case runs late."""
    return _signed_in(user) and role_of(user) == Role.SECRETARY


@rules.predicate
def is_street_office(user: User | None) -> bool:
    """The street office: told of what is escalated to it, and of late escalated cases."""
    return _signed_in(user) and role_of(user) == Role.STREET


@rules.predicate
def is_grid_worker(user: User | None) -> bool:
    """Grid workers: the mouth on the ground, given grids; they look after whoever in them has nobody."""
    return _signed_in(user) and role_of(user) == Role.GRID_WORKER


@rules.predicate
def is_social_worker(user: User | None) -> bool:
    """The community's social workers: the first choice to lead a case when no grid worker has it."""
    return _signed_in(user) and role_of(user) == Role.SOCIAL_WORKER


#: Staff who look people up in the registry. Residents hold people.person.view too, but only for
#: their own household: they get no search, no figures and no links to person pages.
searches_people = has_capability("people.person.view") & ~is_resident

#: Anyone who can be summoned to a case and has a "my tasks" list: the hands, the eyes, and staff
#: who lead cases themselves. Residents only follow what they reported.
has_tasks = has_capability("cases.case.view_own") & ~is_resident

#: Who works from tasks handed to them rather than from a register: the hands, the eyes and
#: residents. In care they see the services of the teams their person serves in and the
#: households assigned to them, never the register; the office (legs, mouth) works its scope.
works_from_tasks = is_hands | is_eyes | is_resident


def role_filter(predicate: rules.Predicate, prefix: str = "") -> Q:
    """The users (or, with a prefix such as "user__", rows through a user) of whom a role predicate holds.

    Lets a query ask "the grid workers of this community" with the same predicate the pages
    use, so no role name is spelled out in a filter. The predicate is asked once for a blank
    active account of each role: it must depend on the role alone.
    """
    roles = sorted(role.value for role in Role if predicate(User(role=role, is_active=True)))
    return Q(**{f"{prefix}role__in": roles})
