"""Activities and the service-hours ledger: the "hands" at work, and what their work is worth.

An activity (a "red lighthouse" day, a door-knocking round) is published by a volunteer team's
leader or by the community office, with a theme (data), a place, a window, a capacity and who may
sign up. Sign-ups beyond the capacity wait in line and move up by themselves when a place frees.
On the day a participant checks in by scanning the activity's QR code (a signed token valid only
in the activity's window) or the leader ticks them on the roll call; checking out gives the hours,
which the leader or the office confirms.

Confirmed hours, care services delivered and case work all land in one append-only ledger
(`HoursEntry`): a row is never changed or deleted (refused by Django here, and by the database on
PostgreSQL), a correction is a compensating row that points at the row it reverses. Points are
computed from hours by rules that are data (`PointsRule`), and spent in the community's time bank
as ledger rows too; each person's balance row (`PointsBalance`) is locked for every change of
points and can never go below zero (a check constraint says so as well).
"""

from __future__ import annotations

import secrets
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.core.scoping import ScopedQuerySet, ScopePolicy
from grassroots.orgs.models import CodedName


def _community_of(user) -> int | None:
    """The community a user belongs to: their account's, else (a resident) their person's."""
    if user.community_id:
        return user.community_id
    person = user.person if user.person_id else None
    return person.community_id if person is not None else None


class CommunityActivityScope(ScopePolicy):
    """Activities are the whole community's: everyone of the community reaches its activities.

    The office, the street and administrators reach them by the usual paths (community, street,
    all). A grid worker's grids and a resident's household do not say which activity is theirs,
    so their community does: a resident signs up for what their community offers.
    """

    def condition(self, model, user, action: str):
        from grassroots.accounts.roles import user_scope

        if user_scope(user).level not in ("grid", "household"):
            return super().condition(model, user, action)
        community_id = _community_of(user)
        if community_id is None:
            return None
        return Q(**{model.scope_community_path: community_id})


class OwnRowsScope(ScopePolicy):
    """Sign-ups and ledger rows: the office reaches its scope, everyone else their own.

    Who works from tasks (volunteers, unit contacts, patrollers, residents) and the grid workers
    (whose grids say nothing about who volunteers) reach the rows about their own person, and a
    team leader those of the activities their team runs (the roll call).
    """

    def condition(self, model, user, action: str):
        from grassroots.accounts.roles import user_scope, works_from_tasks

        if not works_from_tasks(user) and user_scope(user).level not in ("grid", "household"):
            return super().condition(model, user, action)
        if not user.person_id:
            return None
        own = Q(person_id=user.person_id)
        leader_path = getattr(model, "scope_leader_path", None)
        if leader_path:
            own |= Q(**{leader_path: user.person_id})
        return own


class Theme(CodedName):
    """A theme of activities (红色灯塔, 邻里守望·幸福敲门, 银发互助): data, both languages."""

    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta(CodedName.Meta):
        verbose_name = _("activity theme")
        verbose_name_plural = _("activity themes")
        ordering = ["order", "code"]


class Audience(models.TextChoices):
    VOLUNTEERS = "volunteers", _("volunteers")
    RESIDENTS = "residents", _("residents")
    BOTH = "both", _("volunteers and residents")


class ActivityStatus(models.TextChoices):
    PUBLISHED = "published", _("published")
    CANCELLED = "cancelled", _("cancelled")


def _new_checkin_key() -> str:
    return secrets.token_urlsafe(12)


class Activity(models.Model):
    """One activity of a community: what, when, where, how many, for whom; run by a team or the office."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="activities", verbose_name=_("community")
    )
    team = models.ForeignKey(
        "orgs.VolunteerTeam",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("team"),
        help_text=_("Leave empty when the community office runs it."),
    )
    title = models.CharField(_("title"), max_length=120)
    theme = models.ForeignKey(
        Theme, on_delete=models.PROTECT, related_name="activities", verbose_name=_("theme")
    )
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("places"))
    skills = models.ManyToManyField(
        "orgs.Skill", blank=True, related_name="+", verbose_name=_("skills wanted")
    )
    audience = models.CharField(_("open to"), max_length=12, choices=Audience.choices, default=Audience.BOTH)
    signup_deadline = models.DateTimeField(_("sign-up deadline"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.PUBLISHED
    )
    cancel_reason = models.CharField(_("why it was cancelled"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    #: Part of the signed check-in token: changing it voids every QR code printed before.
    checkin_key = models.CharField(max_length=32, default=_new_checkin_key, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("published at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_policy = CommunityActivityScope()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["community", "starts_at"], name="activity_community_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="activity_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def length_hours(self) -> Decimal:
        """The activity's length in hours: no one is credited more for it."""
        seconds = (self.ends_at - self.starts_at).total_seconds()
        return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.1"))


class SignupStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("has a place")
    WAITING = "waiting", _("on the waiting list")
    CANCELLED = "cancelled", _("cancelled")


class CheckinMethod(models.TextChoices):
    QR = "qr", _("scanned the QR code")
    ROLL = "roll", _("ticked on the roll call")


class Signup(models.Model):
    """A person's place (or place in line) at an activity, their check-in and check-out, and their hours.

    One live sign-up per person and activity (a cancelled one may be followed by a new one). The
    waiting line is the order of `signed_up_at` (then id); a promotion stamps `promoted_at`.
    """

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="activity_signups", verbose_name=_("person")
    )
    status = models.CharField(_("status"), max_length=12, choices=SignupStatus.choices)
    signed_up_at = models.DateTimeField(_("signed up at"))
    signed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    promoted_at = models.DateTimeField(_("moved up from the waiting list at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checkin_method = models.CharField(
        _("checked in by"), max_length=8, choices=CheckinMethod.choices, blank=True
    )
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    confirmed_at = models.DateTimeField(_("hours confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_policy = OwnRowsScope()
    scope_community_path = "activity__community_id"
    scope_leader_path = "activity__team__leader_id"

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["signed_up_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "person"],
                condition=~Q(status="cancelled"),
                name="one_live_signup_per_person",
            ),
        ]
        indexes = [
            models.Index(fields=["activity", "status", "signed_up_at"], name="signup_line_idx"),
            models.Index(fields=["person", "status"], name="signup_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}:{self.person_id} {self.status}"


# --- the ledger ----------------------------------------------------------------------------------------


class SourceKind(models.TextChoices):
    ACTIVITY = "activity", _("activity")
    CASE = "case", _("case work")
    CARE = "care", _("care service")
    PROJECT = "project", _("project work")
    REDEMPTION = "redemption", _("points redeemed")


class Condition(models.TextChoices):
    """Facts about the work that a points rule can ask for (the source says which hold)."""

    HIGH_RISK_HOUSEHOLD = "high_risk_household", _("for a high-risk household")


class PointsRule(models.Model):
    """How many points an hour earns: rules as data.

    A rule without a condition sets the rate (points per hour) for its source kind (or for any
    kind, when empty); a rule with a condition multiplies the points when the condition holds
    ("care for a high-risk household counts double"). A community's own rule wins over the
    default one (no community) of the same source and condition; a rule for a source kind wins
    over one for any kind. Inactive rules are ignored.
    """

    community = models.ForeignKey(
        "places.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
        help_text=_("Empty: the default for every community."),
    )
    source_kind = models.CharField(
        _("source"), max_length=12, choices=SourceKind.choices, blank=True, help_text=_("Empty: any source.")
    )
    condition = models.CharField(_("condition"), max_length=32, choices=Condition.choices, blank=True)
    points_per_hour = models.DecimalField(_("points per hour"), max_digits=6, decimal_places=2, default=1)
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=2, default=1)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        ordering = ["source_kind", "condition", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(points_per_hour__gte=0), name="points_rule_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(multiplier__gte=0), name="points_rule_multiplier_not_negative"
            ),
        ]

    def __str__(self) -> str:
        what = self.get_condition_display() if self.condition else f"{self.points_per_hour}/h"
        return f"{self.get_source_kind_display() or '*'} {what}"


class LedgerIsAppendOnly(Exception):
    """Raised for any attempt to change or delete a ledger row through Django."""


class HoursEntryQuerySet(ScopedQuerySet):
    """Reads, and nothing else: a row is corrected by a compensating row (activities.hours)."""

    def update(self, **kwargs):
        raise LedgerIsAppendOnly("The hours ledger is append-only: correct a row with a compensating entry.")

    def delete(self):
        raise LedgerIsAppendOnly("The hours ledger is append-only: rows are never deleted.")

    def bulk_update(self, *args, **kwargs):
        raise LedgerIsAppendOnly("The hours ledger is append-only: correct a row with a compensating entry.")


class HoursEntry(models.Model):
    """One row of a person's service-hours ledger: hours and points from a source, or points spent.

    Written only by activities.hours (hours_record, hours_correct, points_redeem). Append-only:
    Django refuses to save an existing row or delete one, and on PostgreSQL the database refuses
    any UPDATE or DELETE (django-pgtrigger). A correction is a new row with the opposite hours and
    points, pointing at the row it reverses (`corrects`), which is corrected at most once. The
    recorder is an id without a database constraint, so the row outlives the account.
    """

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="hours_entries", verbose_name=_("person")
    )
    source_kind = models.CharField(_("source"), max_length=12, choices=SourceKind.choices)
    source_id = models.PositiveBigIntegerField(_("source id"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    points = models.DecimalField(_("points"), max_digits=8, decimal_places=1)
    note = models.CharField(_("note"), max_length=200, blank=True)
    #: The rule conditions that held when the points were computed (codes, comma-separated).
    conditions = models.CharField(_("conditions"), max_length=100, blank=True)
    worked_at = models.DateTimeField(_("when the work was done"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    corrects = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
        verbose_name=_("corrects"),
    )

    objects = HoursEntryQuerySet.as_manager()
    scope_policy = OwnRowsScope()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("hours entry")
        verbose_name_plural = _("hours entries")
        ordering = ["worked_at", "id"]
        indexes = [
            models.Index(fields=["community", "worked_at"], name="hours_community_worked_idx"),
            models.Index(fields=["person", "worked_at"], name="hours_person_worked_idx"),
            models.Index(fields=["source_kind", "source_id"], name="hours_source_idx"),
        ]
        triggers = [
            pgtrigger.Protect(name="hours_entry_no_update", operation=pgtrigger.Update),
            pgtrigger.Protect(name="hours_entry_no_delete", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.source_kind} {self.hours}h {self.points}p"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly(
                "The hours ledger is append-only: correct a row with a compensating entry."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly("The hours ledger is append-only: rows are never deleted.")


class PointsBalance(models.Model):
    """A person's points balance: the lock every change of points takes, never below zero.

    Not the ledger (the ledger is the truth; this is its running sum, kept in the same transaction
    as each row): it exists so that two redemptions at once queue on one row instead of both
    reading the same sum, and its check constraint refuses a negative balance even to a bug.
    """

    person = models.OneToOneField(
        "people.Person", on_delete=models.PROTECT, related_name="points_balance", verbose_name=_("person")
    )
    community = models.ForeignKey("places.Community", on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=10, decimal_places=1, default=0)
    hours = models.DecimalField(_("hours"), max_digits=10, decimal_places=1, default=0)

    class Meta:
        verbose_name = _("points balance")
        verbose_name_plural = _("points balances")
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=0), name="points_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.points}"


# --- the three lists: needs, resources, projects (需求清单、资源清单、项目清单) ----------------------------
#
# They live here, not in orgs, because a need points at a case or a care visit (cases and care sit
# above orgs in the layers) and a project's delivered hours go into the ledger above: activities is the
# lowest app that may know all of them (docs/activities.md, "The three lists").


class UnitRowsScope(ScopePolicy):
    """Resources and projects: the office reaches its scope, a unit contact what concerns their unit.

    Everyone else who works from tasks (volunteers, patrollers, residents) reaches none: the lists are
    the committee's worklist, not a public notice board. `scope_unit_path` says how a row reaches
    its unit (a resource its own unit; a project the units whose resources it uses).
    """

    def condition(self, model, user, action: str):
        from grassroots.accounts.roles import works_from_tasks

        if not works_from_tasks(user):
            return super().condition(model, user, action)
        if not user.member_unit_id:
            return None
        return model.scope_unit_condition(user.member_unit_id)


class NeedSource(models.TextChoices):
    CASE = "case", _("from a case")
    VISIT = "visit", _("from a care visit")
    ENTERED = "entered", _("entered by the office")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("open")
    IN_PROJECT = "in_project", _("taken up by a project")
    MET = "met", _("met")
    CLOSED = "closed", _("closed without a project")


class Need(models.Model):
    """One entry of the needs list: what the community lacks, in the office's own words.

    A need may come from a case or a care visit; it keeps the link, never a copy of what the
    case or the visit recorded (a visit's needs are sealed findings): the title and description
    are what the office chose to write for everyone who reads the list.
    """

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    grid = models.ForeignKey(
        "places.Grid",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grid"),
    )
    title = models.CharField(_("need"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(
        _("source"), max_length=8, choices=NeedSource.choices, default=NeedSource.ENTERED
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    visit = models.ForeignKey(
        "care.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("visit"),
    )
    status = models.CharField(_("status"), max_length=12, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_grid_path = "grid_id"

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status", "-raised_at"], name="need_community_status_idx")
        ]

    def __str__(self) -> str:
        return self.title


class Resource(models.Model):
    """One entry of the resources list: what a member unit offers, how much and when.

    The unit's contact adds and edits their unit's offers; the office all of the community's.
    """

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    unit = models.ForeignKey(
        "orgs.MemberUnit", on_delete=models.PROTECT, related_name="resources", verbose_name=_("member unit")
    )
    title = models.CharField(_("what is offered"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    capacity = models.PositiveIntegerField(_("how much"))
    capacity_unit = models.CharField(
        _("counted in"), max_length=20, help_text=_("For example 人次, hours, times.")
    )
    available_from = models.DateField(_("available from"))
    available_until = models.DateField(_("available until"), null=True, blank=True)
    period_note = models.CharField(
        _("when"), max_length=100, blank=True, help_text=_("For example: Saturday mornings.")
    )
    active = models.BooleanField(_("still offered"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("offered at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_policy = UnitRowsScope()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["unit", "title", "id"]
        indexes = [models.Index(fields=["community", "unit", "active"], name="resource_community_unit_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(available_until__isnull=True)
                | Q(available_until__gte=models.F("available_from")),
                name="resource_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def scope_unit_condition(unit_id: int) -> Q:
        return Q(unit_id=unit_id)


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    RUNNING = "running", _("under way")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class Project(models.Model):
    """One entry of the projects list: a need met with member units' resources and volunteers' work.

    Volunteers' delivered hours go into the service-hours ledger (source "project", one row per
    piece of work, `ProjectWork`); units' deliveries are counted on their commitments
    (`ProjectResource`).
    """

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="projects", verbose_name=_("need"))
    title = models.CharField(_("project"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_policy = UnitRowsScope()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["community", "status", "-starts_on"], name="project_community_status_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="project_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def scope_unit_condition(unit_id: int) -> Q:
        return Q(pk__in=ProjectResource.objects.filter(resource__unit_id=unit_id).values("project_id"))


class ProjectResource(models.Model):
    """A unit's resource taken on by a project: how much it committed and how much it delivered."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="commitments")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="commitments")
    committed = models.PositiveIntegerField(_("committed"))
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("resource taken on")
        verbose_name_plural = _("resources taken on")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "resource"], name="one_commitment_per_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.resource_id} {self.delivered}/{self.committed}"


class ProjectVolunteer(models.Model):
    """A person who works on a project (a volunteer, a serving party member, a unit's staff)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="crew")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["project", "person"], name="one_place_per_project")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.person_id}"


class ProjectWork(models.Model):
    """One piece of work delivered on a project: the ledger row's source (source "project", this id)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="work")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    worked_on = models.DateField(_("worked on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["worked_on", "id"]
        indexes = [models.Index(fields=["project", "worked_on"], name="project_work_idx")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.person_id} {self.hours}h"


class ListChange(models.Model):
    """The history of the three lists: who raised, offered, changed or delivered what, and when.

    Read through the need, resource or project it belongs to (their pages), never on its own.
    """

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, null=True, blank=True, related_name="changes")
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    action = models.CharField(_("what"), max_length=24)
    detail = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d}"
