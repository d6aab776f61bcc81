"""The one write path for care: the register, overrides, campaigns, visits, programmes and services.

Each service checks the actor's capability and scope (deny by default), validates
before it writes, and writes in one transaction. Trusted callers (the shell, commands,
imports, the demo) act as `accounts.system_actor()`, which holds every capability and is
recorded; no actor at all (`None`) is refused. Visits are idempotent on the token the
visitor's browser generated with the draft: sending the same visit twice returns the
first one and creates nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.roles import user_can, works_from_tasks
from grassroots.care.models import (
    HAZARDS,
    TIER_RISK,
    Campaign,
    CampaignHousehold,
    CareProfile,
    CareRecordAccess,
    Enrolment,
    Method,
    Mood,
    Outcome,
    PlannedService,
    Programme,
    ProgrammeService,
    SelfCare,
    ServiceStatus,
    SituationNote,
    Tier,
    TierChange,
    Visit,
    VisitPhoto,
)
from grassroots.care.rules import Facts, decide, frequency_for, load_rules
from grassroots.care.schedule import ServiceSpec, dues_in_month, months_between, next_month
from grassroots.care.signals import service_delivered
from grassroots.core import audit
from grassroots.people.models import Person, PersonStatus, PersonTag, VulnerabilityTag
from grassroots.places.models import Community, Household

#: How far ahead services are planned: the rest of this month and the whole of the next.
PLAN_AHEAD_MONTHS = 1


def _require(actor, capability: str) -> None:
    if actor is None or not user_can(actor, capability):
        raise PermissionDenied


def _age(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def next_due(last_contact_at: datetime | None, frequency_days: int, today: date) -> date:
    if last_contact_at is None:
        return today
    return timezone.localdate(last_contact_at) + timedelta(days=frequency_days)


# --- the register ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshResult:
    on_register: int
    by_tier: dict[str, int]
    created: int
    updated: int


def register_refresh(
    *, community: Community, person_ids: Iterable[int] | None = None, today: date | None = None
) -> RefreshResult:
    """Recompute the care register of a community (or of some people) from tags, age and household.

    A few queries and a loop in memory for the whole community; overrides set by workers are kept.
    """
    today = today or timezone.localdate()
    specs = load_rules(community.id)
    people = Person.objects.filter(community=community)
    if person_ids is not None:
        people = people.filter(id__in=list(person_ids))
    rows = list(
        people.values_list("id", "birth_date", "status", "current_household_id", "current_household__grid_id")
    )
    household_ids = {row[3] for row in rows if row[3]}
    living = Counter(
        Person.objects.filter(current_household_id__in=household_ids, status=PersonStatus.LIVING).values_list(
            "current_household_id", flat=True
        )
    )
    tags: dict[int, dict[str, int | None]] = defaultdict(dict)
    tag_rows = PersonTag.objects.filter(person__in=people).values_list("person_id", "tag__code", "level")
    for person_id, code, level in tag_rows:
        tags[person_id][code] = level
    existing = {profile.person_id: profile for profile in CareProfile.objects.filter(person__in=people)}
    to_create, to_update = [], []
    for person_id, birth, status, household_id, grid_id in rows:
        resident = status == PersonStatus.LIVING and household_id is not None
        rule = None
        if resident:
            facts = Facts(
                age=_age(birth, today), tags=tags.get(person_id, {}), lives_alone=living[household_id] == 1
            )
            rule = decide(specs, facts)
        profile = existing.get(person_id)
        if profile is None:
            if rule is None:
                continue
            profile = CareProfile(person_id=person_id, community_id=community.id)
            to_create.append(profile)
        else:
            to_update.append(profile)
        profile.household_id = household_id if resident else None
        profile.grid_id = grid_id if resident else None
        profile.computed_tier = rule.tier if rule else ""
        profile.rule_id = rule.id if rule else None
        tier = (profile.override_tier or profile.computed_tier) if resident else ""
        profile.tier = tier
        profile.on_register = bool(tier)
        profile.risk = TIER_RISK[Tier(tier)] if tier else 9
        if profile.override_tier:
            profile.frequency_days = frequency_for(profile.override_tier, specs)
        elif rule is not None:
            profile.frequency_days = rule.frequency_days
        profile.next_due_on = (
            next_due(profile.last_contact_at, profile.frequency_days, today) if tier else None
        )
    fields = [
        "household",
        "grid",
        "computed_tier",
        "rule",
        "tier",
        "on_register",
        "risk",
        "frequency_days",
        "next_due_on",
    ]
    with transaction.atomic():
        CareProfile.objects.bulk_create(to_create, batch_size=500)
        CareProfile.objects.bulk_update(to_update, fields, batch_size=500)
    registered = [p for p in [*to_create, *to_update] if p.on_register]
    return RefreshResult(
        on_register=len(registered),
        by_tier=dict(Counter(p.tier for p in registered)),
        created=len(to_create),
        updated=len(to_update),
    )


def profile_for(person: Person) -> CareProfile:
    """The person's register entry, computed now if they have none yet."""
    profile = CareProfile.objects.filter(person=person).first()
    if profile is None:
        register_refresh(community=person.community, person_ids=[person.id])
        profile = CareProfile.objects.filter(person=person).first()
    if profile is None:
        profile = CareProfile.objects.create(
            person=person,
            community_id=person.community_id,
            household_id=person.current_household_id,
            grid_id=person.current_household.grid_id if person.current_household_id else None,
        )
    return profile


def profile_override(*, actor, person: Person, tier: str, reason: str) -> CareProfile:
    """A worker sets a person's tier by hand (or clears the override with tier=""); kept on record."""
    if actor is None or not (
        user_can(actor, "care.careprofile.override_tier")
        and Person.objects.visible_to(actor).filter(pk=person.pk).exists()
    ):
        raise PermissionDenied
    if tier and tier not in Tier.values:
        raise ValidationError({"tier": _("Unknown tier.")})
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": _("Please give the reason for changing the tier.")})
    if person.status != PersonStatus.LIVING or person.current_household_id is None:
        raise ValidationError({"tier": _("This person does not live in the community now.")})
    now = timezone.now()
    with transaction.atomic():
        profile = profile_for(person)
        profile = CareProfile.objects.select_for_update().get(pk=profile.pk)
        before = profile.tier
        profile.override_tier = tier
        profile.override_reason = reason[:300] if tier else ""
        profile.override_by = actor if tier else None
        profile.override_at = now if tier else None
        profile.save()
        register_refresh(community=person.community, person_ids=[person.id])
        profile.refresh_from_db()
        TierChange.objects.create(
            profile=profile, from_tier=before, to_tier=profile.tier, reason=reason[:300], by=actor, at=now
        )
    return profile


def profile_take(*, actor, profile: CareProfile) -> CareProfile:
    """A coordinator becomes the usual visitor of someone on the register nobody had taken.

    Until then a high-risk person with nobody is on every coordinator's list (care.selectors.UNCLAIMED);
    the row is locked so that two coordinators taking the same person at once cannot both win.
    """
    if actor is None or not (
        user_can(actor, "care.careprofile.take")
        and CareProfile.objects.visible_to(actor).filter(pk=profile.pk).exists()
    ):
        raise PermissionDenied
    with transaction.atomic():
        locked = (
            CareProfile.objects.select_for_update(of=("self",))
            .select_related("responsible")
            .get(pk=profile.pk)
        )
        if locked.responsible_id == actor.pk:
            return locked
        if locked.responsible_id is not None:
            raise ValidationError(
                _("%(name)s has already taken them on.") % {"name": locked.responsible.display_name}
            )
        locked.responsible = actor
        locked.save(update_fields=["responsible", "updated_at"])
    return locked


def situation_note(*, actor, person: Person, kind: str, note: str = "") -> SituationNote:
    """Note a change in someone's situation (a hospital stay ...): their visitor sees it on the worklist."""
    _require(actor, "care.situationnote.add")
    if not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise PermissionDenied
    if kind not in SituationNote.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of change.")})
    profile = profile_for(person)
    return SituationNote.objects.create(
        profile=profile, kind=kind, note=(note or "").strip()[:300], by=actor, at=timezone.now()
    )


def _touch_contact(household_id: int, at: datetime) -> None:
    """Everyone on the register in the household was reached at `at`: move their next visit on."""
    today = timezone.localdate()
    profiles = list(CareProfile.objects.filter(household_id=household_id))
    for profile in profiles:
        if profile.last_contact_at is None or profile.last_contact_at < at:
            profile.last_contact_at = at
        if profile.on_register:
            profile.next_due_on = next_due(profile.last_contact_at, profile.frequency_days, today)
    CareProfile.objects.bulk_update(profiles, ["last_contact_at", "next_due_on"])


# --- campaigns ---------------------------------------------------------------------------------------


def _household_risks(community_id: int) -> dict[int, int]:
    risks: dict[int, int] = {}
    for household_id, risk in CareProfile.objects.filter(
        community_id=community_id, on_register=True, household__isnull=False
    ).values_list("household_id", "risk"):
        risks[household_id] = min(risk, risks.get(household_id, 9))
    return risks


def campaign_create(
    *,
    actor,
    community: Community,
    name: str,
    starts_on: date,
    ends_on: date,
    tag_codes: Sequence[str] = (),
    min_age: int | None = None,
    grid_ids: Sequence[int] = (),
    household_ids: Sequence[int] = (),
    note: str = "",
    today: date | None = None,
) -> Campaign:
    """A knock-on-the-door campaign and its target households (by tags, age, grid, or picked by hand).

    With neither tags nor age, every household with someone on the care register is targeted.
    """
    _require(actor, "care.campaign.add")
    if not Community.objects.visible_to(actor).filter(pk=community.pk).exists():
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors.setdefault("name", []).append(_("Please name the campaign."))
    if ends_on < starts_on:
        errors.setdefault("ends_on", []).append(_("The campaign ends before it starts."))
    tags = list(VulnerabilityTag.objects.filter(code__in=tag_codes))
    if len(tags) != len(set(tag_codes)):
        errors.setdefault("tags", []).append(_("Unknown tag."))
    grids = list(community.grids.filter(id__in=grid_ids))
    if len(grids) != len(set(grid_ids)):
        errors.setdefault("grids", []).append(_("This grid belongs to another community."))
    picked = list(Household.objects.filter(id__in=household_ids, building__community=community))
    if len(picked) != len(set(household_ids)):
        errors.setdefault("households", []).append(_("This household belongs to another community."))
    if errors:
        raise ValidationError(errors)
    today = today or timezone.localdate()
    residents = Person.objects.filter(
        community=community, status=PersonStatus.LIVING, current_household__isnull=False
    )
    if grids:
        residents = residents.filter(current_household__grid__in=grids)
    if tags or min_age is not None:
        if tags:
            residents = residents.filter(tags__tag__in=tags)
        if min_age is not None:
            residents = residents.filter(birth_date__lte=_years_before(today, min_age))
        target_ids = set(residents.values_list("current_household_id", flat=True))
    elif not picked:
        registered = CareProfile.objects.filter(
            community=community, on_register=True, household__isnull=False
        )
        if grids:
            registered = registered.filter(grid__in=grids)
        target_ids = set(registered.values_list("household_id", flat=True))
    else:
        target_ids = set()
    picked_ids = {household.id for household in picked}
    risks = _household_risks(community.id)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            community=community,
            name=name.strip()[:100],
            starts_on=starts_on,
            ends_on=ends_on,
            target_min_age=min_age,
            note=note,
            created_by=actor,
            created_at=timezone.now(),
        )
        campaign.target_tags.set(tags)
        campaign.target_grids.set(grids)
        grid_of = dict(Household.objects.filter(id__in=target_ids | picked_ids).values_list("id", "grid_id"))
        CampaignHousehold.objects.bulk_create(
            [
                CampaignHousehold(
                    campaign=campaign,
                    household_id=household_id,
                    grid_id=grid_of[household_id],
                    hand_picked=household_id in picked_ids,
                    risk=risks.get(household_id, 9),
                )
                for household_id in sorted(target_ids | picked_ids)
            ],
            batch_size=500,
        )
    return campaign


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def campaign_assign(*, actor, campaign: Campaign, household_ids: Sequence[int], visitor) -> int:
    """Give households of the campaign to a visitor (or take them back with visitor=None)."""
    _require(actor, "care.campaign.add")
    if not Campaign.objects.visible_to(actor).filter(pk=campaign.pk).exists():
        raise PermissionDenied
    if visitor is not None and (
        visitor.community_id != campaign.community_id or not user_can(visitor, "care.visit.add")
    ):
        raise ValidationError({"visitor": _("This person cannot make visits in this community.")})
    return CampaignHousehold.objects.filter(campaign=campaign, household_id__in=list(household_ids)).update(
        visitor=visitor
    )


# --- visits ------------------------------------------------------------------------------------------


@dataclass
class VisitDetails:
    """What the visit form collects."""

    method: str = Method.HOME
    outcome: str = Outcome.VISITED
    visited_at: datetime | None = None
    person: Person | None = None
    campaign: Campaign | None = None
    health: str = ""
    self_care: str = ""
    mood: str = ""
    mood_note: str = ""
    family: str = ""
    difficulties: str = ""
    hazards: Sequence[str] = ()
    hazard_note: str = ""
    needs: str = ""
    wellbeing: int | None = None
    add_tags: Sequence[str] = ()
    photos: Sequence = field(default_factory=tuple)


def may_visit(actor, household: Household) -> bool:
    """Staff visit households in their scope; volunteers those assigned to them or served by their team."""
    if actor is None:
        return False
    if not user_can(actor, "care.visit.add"):
        return False
    if not works_from_tasks(actor):
        return Household.objects.visible_to(actor).filter(pk=household.pk).exists()
    assigned = CampaignHousehold.objects.filter(household=household, visitor=actor).exists()
    if assigned or not actor.person_id:
        return assigned
    return Enrolment.objects.filter(
        household=household, ends_on__isnull=True, team__volunteers__person_id=actor.person_id
    ).exists()


def _check_visit(details: VisitDetails, household: Household) -> None:
    errors: dict[str, list[str]] = {}
    if details.method not in Method.values:
        errors.setdefault("method", []).append(_("Choose how the visit was made."))
    if details.outcome not in {Outcome.VISITED, Outcome.NOT_REACHED, Outcome.REFUSED}:
        errors.setdefault("outcome", []).append(_("Choose the outcome of the visit."))
    if details.self_care and details.self_care not in SelfCare.values:
        errors.setdefault("self_care", []).append(_("Unknown value."))
    if details.mood and details.mood not in Mood.values:
        errors.setdefault("mood", []).append(_("Unknown value."))
    known = {code for code, _label in HAZARDS}
    if any(code not in known for code in details.hazards):
        errors.setdefault("hazards", []).append(_("Unknown hazard."))
    if details.wellbeing is not None and not 1 <= details.wellbeing <= 5:
        errors.setdefault("wellbeing", []).append(_("Rate wellbeing from 1 to 5."))
    if details.visited_at and details.visited_at > timezone.now() + timedelta(minutes=10):
        errors.setdefault("visited_at", []).append(_("The visit cannot be in the future."))
    if details.person is not None and details.person.current_household_id != household.id:
        errors.setdefault("person", []).append(_("This person does not live in this household."))
    if details.campaign is not None and details.campaign.community_id != household.building.community_id:
        errors.setdefault("campaign", []).append(_("This campaign belongs to another community."))
    from grassroots.cases.uploads import check_upload

    for upload in details.photos:
        try:
            check_upload(upload)
        except ValidationError as error:
            errors.setdefault("photos", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)


def visit_record(
    *, actor, household: Household, details: VisitDetails, client_token: str = ""
) -> tuple[Visit, bool]:
    """Record a visit; returns (visit, created). The same client token twice creates one visit."""
    if actor is None:
        raise ValueError("A visit is recorded by its visitor: pass the visiting user as actor.")
    token = (client_token or "").strip()[:64] or None
    if token:
        existing = Visit.objects.filter(client_token=token).first()
        if existing is not None:
            if existing.household_id != household.id:
                raise ValidationError(
                    {"client_token": _("This form was already used for another household.")}
                )
            return existing, False
    if not may_visit(actor, household):
        raise PermissionDenied
    _check_visit(details, household)
    tags = list(VulnerabilityTag.objects.filter(code__in=details.add_tags))
    if tags and not user_can(actor, "people.persontag.change"):
        raise PermissionDenied
    visited_at = details.visited_at or timezone.now()
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                community_id=household.building.community_id,
                household=household,
                grid_id=household.grid_id,
                person=details.person,
                campaign=details.campaign,
                visitor=actor,
                visited_at=visited_at,
                method=details.method,
                outcome=details.outcome,
                health=details.health.strip(),
                self_care=details.self_care,
                mood=details.mood,
                mood_note=details.mood_note.strip()[:300],
                family=details.family.strip(),
                difficulties=details.difficulties.strip(),
                hazards=list(dict.fromkeys(details.hazards)),
                hazard_note=details.hazard_note.strip()[:300],
                needs=details.needs.strip(),
                wellbeing=details.wellbeing,
                client_token=token,
            )
            _save_photos(visit, details.photos)
            _visit_effects(actor, visit, tags)
    except IntegrityError:
        # Two sends of the same draft raced each other: the other one won, and that is the visit.
        existing = Visit.objects.filter(client_token=token).first() if token else None
        if existing is None:
            raise
        return existing, False
    return visit, True


def _save_photos(visit: Visit, photos: Sequence) -> None:
    from grassroots.cases.uploads import check_upload

    for upload in photos:
        content_type = check_upload(upload)
        VisitPhoto.objects.create(
            visit=visit, file=upload, content_type=content_type, original_name=(upload.name or "")[:200]
        )


def _visit_effects(actor, visit: Visit, tags: Sequence[VulnerabilityTag]) -> None:
    """Campaign outcome, the register's "last reached", and any tags the visit found."""
    targets = CampaignHousehold.objects.filter(household=visit.household, campaign__community=visit.community)
    if visit.campaign_id:
        targets = targets.filter(campaign=visit.campaign)
    else:
        today = timezone.localdate(visit.visited_at)
        targets = targets.filter(campaign__starts_on__lte=today, campaign__ends_on__gte=today)
    for target in targets:
        if target.last_visit_at is None or target.last_visit_at <= visit.visited_at:
            target.status = visit.outcome
            target.last_visit_at = visit.visited_at
            target.save(update_fields=["status", "last_visit_at"])
    if visit.outcome == Outcome.VISITED:
        _touch_contact(visit.household_id, visit.visited_at)
    if tags and visit.person is not None:
        from grassroots.people.services import person_tag

        for tag in tags:
            person_tag(actor=actor, person=visit.person, tag=tag, level=1 if tag.has_level else None)
        register_refresh(community=visit.community, person_ids=[visit.person_id])


def visit_raise_case(*, actor, visit: Visit, category, description: str, urgency: str = "normal"):
    """The finding becomes a registered case, with the household and the visit's photos carried over."""
    from grassroots.cases.services import ReportDetails, case_report

    if visit.case_id:
        raise ValidationError({"category": _("This visit has already raised a case.")})
    if actor is None:
        raise PermissionDenied
    own_visit = visit.visitor_id == actor.id
    if not own_visit and not Visit.objects.visible_to(actor).filter(pk=visit.pk).exists():
        raise PermissionDenied
    photos = []
    for photo in visit.photos.all():
        photo.file.open("rb")
        photos.append(File(photo.file.file, name=photo.original_name or photo.file.name.rsplit("/", 1)[-1]))
    try:
        with transaction.atomic():
            case = case_report(
                actor=actor,
                community=visit.community,
                details=ReportDetails(
                    category=category,
                    description=description,
                    channel="visit",
                    urgency=urgency,
                    reporter_person=visit.person,
                    reporter_name=visit.person.name if visit.person else "",
                    household=visit.household,
                    photos=photos,
                    reported_at=None,
                ),
                register=not works_from_tasks(actor),
                note=_("Found on a care visit."),
            )
            Visit.objects.filter(pk=visit.pk).update(case=case)
    finally:
        for photo in photos:
            photo.close()
    visit.case = case
    return case


# --- programmes, enrolments and the plan ---------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRow:
    """A planned service before it is written: plain values, so that a month of a whole register is cheap."""

    enrolment_id: int
    service_id: int
    community_id: int
    household_id: int
    grid_id: int
    window_start: date
    due_on: date

    @property
    def key(self) -> tuple[int, int, date]:
        return (self.enrolment_id, self.service_id, self.due_on)


def _planned_rows(
    enrolment: Enrolment, services, first: date, last: date, today: date | None = None
) -> list[PlannedRow]:
    rows = []
    for service in services:
        if not service.active:
            continue
        spec = ServiceSpec(times=service.times, period=service.period)
        for year, month in months_between(first, last):
            for due in dues_in_month(
                spec, year, month, starts_on=enrolment.starts_on, ends_on=enrolment.ends_on
            ):
                if due.due_on < first or due.due_on > last or (today and due.due_on < today):
                    continue
                rows.append(
                    PlannedRow(
                        enrolment.id,
                        service.id,
                        enrolment.community_id,
                        enrolment.household_id,
                        enrolment.grid_id,
                        due.window_start,
                        due.due_on,
                    )
                )
    return rows


def plan_horizon(today: date) -> date:
    year, month = today.year, today.month
    for _step in range(PLAN_AHEAD_MONTHS):
        year, month = next_month(year, month)
    following = next_month(year, month)
    return date(*following, 1) - timedelta(days=1)


def plan_enrolments(enrolments: Iterable[Enrolment], *, first: date, last: date) -> int:
    """Plan every service of these enrolments due between first and last; what exists is left alone.

    One read of the services and one bulk insert: a community's whole register in well under a second.
    """
    enrolments = list(enrolments)
    programme_ids = {enrolment.programme_id for enrolment in enrolments}
    services = defaultdict(list)
    for service in ProgrammeService.objects.filter(programme_id__in=programme_ids, active=True):
        services[service.programme_id].append(service)
    rows = []
    for enrolment in enrolments:
        rows.extend(_planned_rows(enrolment, services[enrolment.programme_id], first, last))
    return _insert_new(rows, [enrolment.id for enrolment in enrolments], first, last)


def _insert_new(rows: list[PlannedRow], enrolment_ids: list[int], first: date, last: date) -> int:
    """Insert the rows not already planned (done, missed or planned): one read and one batched INSERT.

    Plain parameterised SQL rather than bulk_create, whose per-field compilation costs more
    than the database for thousands of rows; ON CONFLICT DO NOTHING (SQLite and PostgreSQL)
    keeps it safe if two planners run at once.
    """
    existing = set(
        PlannedService.objects.filter(
            enrolment_id__in=enrolment_ids, due_on__gte=first, due_on__lte=last
        ).values_list("enrolment_id", "service_id", "due_on")
    )
    new = [row for row in rows if row.key not in existing]
    if not new:
        return 0
    table = connection.ops.quote_name(PlannedService._meta.db_table)
    columns = (
        "enrolment_id, service_id, community_id, household_id, grid_id, window_start, due_on, "
        "status, notes, missed_reason"
    )
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', '') "  # noqa: S608 - fixed names
        "ON CONFLICT (enrolment_id, service_id, due_on) DO NOTHING"
    )
    params = [
        (
            row.enrolment_id,
            row.service_id,
            row.community_id,
            row.household_id,
            row.grid_id,
            connection.ops.adapt_datefield_value(row.window_start),
            connection.ops.adapt_datefield_value(row.due_on),
            ServiceStatus.PLANNED.value,
        )
        for row in new
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(new)


def plan_ahead(*, community: Community, today: date | None = None) -> int:
    """Plan the open enrolments of a community up to the end of next month (run daily or monthly)."""
    today = today or timezone.localdate()
    enrolments = Enrolment.objects.filter(community=community).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    return plan_enrolments(enrolments, first=date(today.year, today.month, 1), last=plan_horizon(today))


def enrol(
    *,
    actor,
    programme: Programme,
    household: Household,
    reason: str,
    starts_on: date,
    team=None,
    person: Person | None = None,
    visit: Visit | None = None,
    today: date | None = None,
) -> Enrolment:
    """Enrol a household (and its main person) in a programme; its services are planned month by month."""
    _require(actor, "care.enrolment.add")
    if not Household.objects.visible_to(actor).filter(pk=household.pk).exists():
        raise PermissionDenied
    today = today or timezone.localdate()
    team = team or programme.team
    errors: dict[str, list[str]] = {}
    if not (reason or "").strip():
        errors.setdefault("reason", []).append(_("Please say why the household is enrolled."))
    if programme.community_id != household.building.community_id or not programme.active:
        errors.setdefault("programme", []).append(_("This programme is not offered in this community."))
    if team is None or team.community_id != household.building.community_id:
        errors.setdefault("team", []).append(_("Choose the team responsible."))
    if person is not None and person.current_household_id != household.id:
        errors.setdefault("person", []).append(_("This person does not live in this household."))
    if Enrolment.objects.filter(programme=programme, household=household, ends_on__isnull=True).exists():
        errors.setdefault("programme", []).append(_("This household is already enrolled in this programme."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        enrolment = Enrolment.objects.create(
            programme=programme,
            community_id=household.building.community_id,
            household=household,
            grid_id=household.grid_id,
            person=person,
            reason=reason.strip(),
            starts_on=starts_on,
            team=team,
            visit=visit,
            enrolled_by=actor,
            enrolled_at=timezone.now(),
        )
        plan_enrolments([enrolment], first=date(starts_on.year, starts_on.month, 1), last=plan_horizon(today))
    return enrolment


def enrolment_end(*, actor, enrolment: Enrolment, on: date, reason: str = "") -> Enrolment:
    """End an enrolment: services planned after the end that were not yet done are withdrawn."""
    _require(actor, "care.enrolment.add")
    if not Enrolment.objects.visible_to(actor).filter(pk=enrolment.pk).exists():
        raise PermissionDenied
    if on < enrolment.starts_on:
        raise ValidationError({"on": _("The end is before the start.")})
    with transaction.atomic():
        enrolment.ends_on = on
        if reason:
            ended = _("Ended")
            enrolment.reason = f"{enrolment.reason}\n{ended}: {reason.strip()}"
        enrolment.save(update_fields=["ends_on", "reason"])
        enrolment.planned.filter(status=ServiceStatus.PLANNED, due_on__gt=on).delete()
    return enrolment


def programme_replan(*, programme: Programme, today: date | None = None) -> tuple[int, int]:
    """After a programme's services changed: regenerate only the future items not yet done or missed.

    Items already done or missed, and those due before today, are history and stay as they are.
    Returns (withdrawn, added).
    """
    today = today or timezone.localdate()
    last = plan_horizon(today)
    enrolments = list(programme.enrolments.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)))
    services = list(programme.services.filter(active=True))
    rows = []
    for enrolment in enrolments:
        rows.extend(_planned_rows(enrolment, services, today, last, today=today))
    wanted = {row.key for row in rows}
    with transaction.atomic():
        future = PlannedService.objects.filter(
            enrolment__programme=programme, status=ServiceStatus.PLANNED, due_on__gte=today
        ).values_list("pk", "enrolment_id", "service_id", "due_on")
        stale = [pk for pk, *key in future if tuple(key) not in wanted]
        PlannedService.objects.filter(pk__in=stale).delete()
        added = _insert_new(rows, [enrolment.id for enrolment in enrolments], today, last)
    return len(stale), added


def _may_deliver(actor, planned: PlannedService) -> bool:
    if actor is None:
        return False
    if not user_can(actor, "care.plannedservice.deliver"):
        return False
    if works_from_tasks(actor):
        return (
            bool(actor.person_id)
            and planned.enrolment.team.volunteers.filter(person_id=actor.person_id).exists()
        )
    return PlannedService.objects.visible_to(actor, "deliver").filter(pk=planned.pk).exists()


def service_done(
    *,
    actor,
    planned: PlannedService,
    at: datetime | None = None,
    volunteer: Person | None = None,
    hours: Decimal | None = None,
    notes: str = "",
) -> PlannedService:
    """A planned service was delivered: by whom, when, notes, and the hours counted for the volunteer."""
    if not _may_deliver(actor, planned):
        raise PermissionDenied
    at = at or timezone.now()
    if at > timezone.now() + timedelta(minutes=10):
        raise ValidationError({"at": _("The service cannot be done in the future.")})
    if hours is not None and (hours < 0 or hours > 24):
        raise ValidationError({"hours": _("Hours are between 0 and 24.")})
    if volunteer is None and actor.person_id:
        volunteer = actor.person
    with transaction.atomic():
        locked = PlannedService.objects.select_for_update().select_related("service").get(pk=planned.pk)
        if locked.status != ServiceStatus.PLANNED:
            raise ValidationError({"status": _("This service is already recorded.")})
        locked.status = ServiceStatus.DONE
        locked.done_at = at
        locked.done_by = actor
        locked.volunteer = volunteer
        locked.hours = locked.service.hours if hours is None else hours
        locked.notes = (notes or "").strip()
        locked.save()
        service_delivered.send(sender=PlannedService, planned=locked, actor=actor)
    return locked


def service_missed(*, actor, planned: PlannedService, reason: str) -> PlannedService:
    """A planned service did not happen, and why (in hospital, refused, away ...)."""
    if not _may_deliver(actor, planned):
        raise PermissionDenied
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": _("Please say why the service was missed.")})
    with transaction.atomic():
        locked = PlannedService.objects.select_for_update().get(pk=planned.pk)
        if locked.status != ServiceStatus.PLANNED:
            raise ValidationError({"status": _("This service is already recorded.")})
        locked.status = ServiceStatus.MISSED
        locked.missed_reason = reason[:300]
        locked.done_by = actor
        locked.done_at = timezone.now()
        locked.save()
    return locked


# --- privacy ------------------------------------------------------------------------------------------


def access_log(
    *,
    user,
    community_id: int,
    what: str,
    person_id: int | None = None,
    household_id: int | None = None,
    visit_id: int | None = None,
    ip_address: str | None = None,
) -> CareRecordAccess:
    """Write the audit row for a view of a full care record, and its entry in the audit trail."""
    with transaction.atomic():
        access = CareRecordAccess.objects.create(
            user=user,
            community_id=community_id,
            what=what,
            person_id=person_id,
            household_id=household_id,
            visit_id=visit_id,
            ip_address=ip_address,
        )
        subject_type, subject_id = next(
            (label, pk)
            for label, pk in (
                ("care.visit", visit_id),
                ("people.person", person_id),
                ("places.household", household_id),
                ("places.community", community_id),
            )
            if pk is not None
        )
        audit.record(
            audit.CARE_RECORD_READ,
            actor=user,
            subject_type=subject_type,
            subject_id=subject_id,
            detail={
                "what": what,
                "care_access": access.pk,
                "community": community_id,
                "person": person_id,
                "household": household_id,
                "visit": visit_id,
            },
        )
    return access
