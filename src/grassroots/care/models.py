"""Care: the register of people in special difficulty, knock-on-the-door campaigns, visits and programmes.

The article's second half. Who needs care is computed from the registry (tags, age,
household) by tier rules that are data; a worker may override a tier, with a reason
kept on record. Campaigns send visitors to households; a visit records what was
found and can raise a case, update tags and tier, and enrol the household in a care
programme, whose services are planned month by month and delivered, missed or overdue
(overdue is derived, never stored). Health, disability and family findings are
sensitive: only roles holding `care.careprofile.view_sensitive` in scope see them, and
every such view writes a CareRecordAccess row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.core.fields import SealedTextField
from grassroots.core.models import append_only_triggers
from grassroots.core.scoping import ScopedQuerySet, ScopePolicy, capability_name


class Tier(models.TextChoices):
    HIGH = "high", _("high risk")
    KEY = "key", _("key")
    GENERAL = "general", _("general")


#: Ordering of tiers for lists: the most at risk first.
TIER_RISK = {Tier.HIGH: 0, Tier.KEY: 1, Tier.GENERAL: 2}
#: Visit frequency (days) used when no active rule of that tier says otherwise.
TIER_DEFAULT_DAYS = {Tier.HIGH: 7, Tier.KEY: 30, Tier.GENERAL: 90}
#: Tiers counted as "people in special difficulty" by the monthly visit rate (target 100%).
SPECIAL_DIFFICULTY_TIERS = (Tier.HIGH, Tier.KEY)


class TierRule(models.Model):
    """One rule of the care register: who (tags, age, living alone) gets which tier and visit frequency.

    Data an administrator edits, not code. A person matches a rule when every condition
    the rule sets holds; among the rules a person matches, the most severe tier wins
    (then the shortest frequency). A rule with no community applies to every community.
    """

    community = models.ForeignKey(
        "places.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="care_rules",
        verbose_name=_("community"),
        help_text=_("Empty: the rule applies to every community."),
    )
    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices)
    frequency_days = models.PositiveSmallIntegerField(
        _("visit every (days)"), help_text=_("For example 7 for weekly, 30 for monthly, 90 for quarterly.")
    )
    tags = models.ManyToManyField(
        "people.VulnerabilityTag", blank=True, related_name="care_rules", verbose_name=_("tags")
    )
    all_tags = models.BooleanField(
        _("needs all the tags"), default=False, help_text=_("Unticked: any one of the tags is enough.")
    )
    max_tag_level = models.PositiveSmallIntegerField(
        _("tag level at most"),
        null=True,
        blank=True,
        help_text=_("For tags with a level (disability grade 1-4): only levels up to this one count."),
    )
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    lives_alone = models.BooleanField(
        _("lives alone"),
        default=False,
        help_text=_("Ticked: only people who are the only resident of their home."),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("tier rule")
        verbose_name_plural = _("tier rules")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(frequency_days__gte=1), name="tier_rule_frequency_positive"),
        ]

    def __str__(self) -> str:
        return self.name


def not_reached_q(today) -> Q:
    """A person on the register not reached within their tier's frequency: the next visit was due
    before today. The one rule behind the register's "not reached" filter and the dashboard's coverage."""
    return Q(next_due_on__lt=today)


class CareProfileQuerySet(ScopedQuerySet):
    def on_register(self):
        return self.filter(on_register=True)

    def not_reached(self, today):
        """On the register and not reached within their frequency (next visit due before today)."""
        return self.on_register().filter(not_reached_q(today))

    def reached(self, today):
        """On the register and reached within their frequency: exactly the others (`not_reached`)."""
        return self.on_register().exclude(not_reached_q(today))


class CareProfile(models.Model):
    """A person's entry in the care register: computed tier, any override, and when they were last reached.

    Place (household, grid) is copied from the person so that scoping and the visitor's
    walk order are plain columns; the register refresh keeps it current.
    """

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="care_profile", verbose_name=_("person")
    )
    community = models.ForeignKey(
        "places.Community", on_delete=models.CASCADE, related_name="+", verbose_name=_("community")
    )
    household = models.ForeignKey(
        "places.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_profiles",
        verbose_name=_("household"),
    )
    grid = models.ForeignKey(
        "places.Grid",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grid"),
    )
    computed_tier = models.CharField(_("tier by the rules"), max_length=8, choices=Tier.choices, blank=True)
    rule = models.ForeignKey(
        TierRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("rule")
    )
    override_tier = models.CharField(
        _("tier set by a worker"), max_length=8, choices=Tier.choices, blank=True
    )
    override_reason = SealedTextField(_("reason for the override"), max_length=300, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices, blank=True)
    risk = models.PositiveSmallIntegerField(_("risk order"), default=9, editable=False)
    frequency_days = models.PositiveSmallIntegerField(_("visit every (days)"), default=90)
    on_register = models.BooleanField(_("on the care register"), default=False, db_index=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_people",
        verbose_name=_("usual visitor"),
        help_text=_("Empty: the grid worker of the person's grid."),
    )
    last_contact_at = models.DateTimeField(_("last reached"), null=True, blank=True)
    next_due_on = models.DateField(_("next visit due"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CareProfileQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_grid_path = "grid_id"
    scope_household_path = "household_id"

    class Meta:
        verbose_name = _("care profile")
        verbose_name_plural = _("care register")
        indexes = [
            models.Index(
                fields=["community", "on_register", "risk", "next_due_on"], name="care_register_idx"
            ),
            models.Index(fields=["grid", "on_register", "next_due_on"], name="care_grid_due_idx"),
        ]
        permissions = [("override_tier", "Can override a care tier")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_tier_display() or '—'})"


class TierChange(models.Model):
    """On the record: a worker set (or cleared) a person's tier by hand, with the reason. Append-only."""

    profile = models.ForeignKey(CareProfile, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.CharField(_("from"), max_length=8, choices=Tier.choices, blank=True)
    to_tier = models.CharField(_("to"), max_length=8, choices=Tier.choices, blank=True)
    reason = SealedTextField(_("reason"), max_length=300)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.profile_id}: {self.from_tier or '—'} → {self.to_tier or '—'}"


class SituationNote(models.Model):
    """A change in a person's situation (a hospital stay, a carer moving out): visit within 24 hours."""

    class Kind(models.TextChoices):
        HOSPITAL = "hospital", _("hospital stay")
        FAMILY = "family", _("family change")
        HEALTH = "health", _("health worse")
        OTHER = "other", _("other")

    profile = models.ForeignKey(CareProfile, on_delete=models.CASCADE, related_name="situation_notes")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = SealedTextField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        verbose_name = _("change of situation")
        verbose_name_plural = _("changes of situation")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.kind}"


class CommunityWideScope(ScopePolicy):
    """Rows that belong to a whole community (campaigns, programmes): a grid worker sees their community's.

    Everyone else reaches them by the usual paths (community, street, all); a grid worker's
    grids do not say which campaign or programme is theirs, so their community does.
    """

    def condition(self, model, user, action: str):
        from grassroots.accounts.roles import user_scope

        if user_scope(user).level != "grid":
            return super().condition(model, user, action)
        if not user.community_id:
            return None
        return Q(**{model.scope_community_path: user.community_id})


class Campaign(models.Model):
    """A knock-on-the-door campaign: a period, a target, and households assigned to visitors."""

    community = models.ForeignKey(
        "places.Community",
        on_delete=models.CASCADE,
        related_name="care_campaigns",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    target_tags = models.ManyToManyField(
        "people.VulnerabilityTag", blank=True, related_name="+", verbose_name=_("target: tags")
    )
    target_min_age = models.PositiveSmallIntegerField(_("target: minimum age"), null=True, blank=True)
    target_grids = models.ManyToManyField(
        "places.Grid", blank=True, related_name="+", verbose_name=_("target: grids")
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_policy = CommunityWideScope()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def is_running(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.starts_on <= today <= self.ends_on


class Outcome(models.TextChoices):
    PENDING = "pending", _("pending")
    VISITED = "visited", _("visited")
    NOT_REACHED = "not_reached", _("not reached")
    REFUSED = "refused", _("refused")


class CampaignHouseholdScope(ScopePolicy):
    """A campaign's households are seen by whoever may see campaigns, within their scope."""

    def capability(self, model, action: str) -> str:
        return capability_name(Campaign, action)


class CampaignHousehold(models.Model):
    """A household a campaign targets, the visitor assigned to it, and the latest outcome."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    household = models.ForeignKey("places.Household", on_delete=models.CASCADE, related_name="+")
    grid = models.ForeignKey("places.Grid", on_delete=models.CASCADE, related_name="+")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_targets",
        verbose_name=_("visitor"),
    )
    hand_picked = models.BooleanField(_("hand-picked"), default=False)
    risk = models.PositiveSmallIntegerField(default=9, editable=False)
    status = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    last_visit_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_policy = CampaignHouseholdScope()
    scope_community_path = "campaign__community_id"
    scope_grid_path = "grid_id"
    scope_household_path = "household_id"

    class Meta:
        verbose_name = _("campaign household")
        verbose_name_plural = _("campaign households")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household"], name="campaign_household_unique"),
        ]
        indexes = [models.Index(fields=["campaign", "grid", "status"], name="campaign_coverage_idx")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.household_id}"

    @property
    def tier(self) -> str:
        """The tier of the most at-risk person of the household when the campaign began ("" if none)."""
        return {risk: tier for tier, risk in TIER_RISK.items()}.get(self.risk, "")

    @property
    def tier_label(self) -> str:
        return str(Tier(self.tier).label) if self.tier else ""


class Method(models.TextChoices):
    HOME = "home", _("home visit")
    PHONE = "phone", _("phone call")
    WECHAT = "wechat", _("WeChat")
    VIDEO = "video", _("video call")


class SelfCare(models.TextChoices):
    INDEPENDENT = "independent", _("looks after themselves")
    PARTLY = "partly", _("needs some help")
    DEPENDENT = "dependent", _("cannot look after themselves")


class Mood(models.TextChoices):
    GOOD = "good", _("good")
    LOW = "low", _("low")
    ANXIOUS = "anxious", _("anxious")
    CRISIS = "crisis", _("in crisis")


HAZARDS = (
    ("water", _("water")),
    ("electricity", _("electricity")),
    ("gas", _("gas")),
    ("heating", _("heating")),
    ("stairs", _("stairs")),
)


class Visit(models.Model):
    """A visit (home, phone, WeChat, video) to a household: who, when, whom, and what was found.

    `client_token` is generated by the visitor's browser with the draft; it is unique,
    so a form sent again after the network came back creates nothing new.
    """

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("places.Household", on_delete=models.PROTECT, related_name="care_visits")
    grid = models.ForeignKey("places.Grid", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_visits",
        verbose_name=_("whom"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("campaign"),
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="care_visits",
        verbose_name=_("visitor"),
    )
    visited_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    method = models.CharField(_("how"), max_length=8, choices=Method.choices, default=Method.HOME)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.VISITED)
    health = SealedTextField(_("health"), blank=True)
    self_care = models.CharField(
        _("ability to look after oneself"), max_length=16, choices=SelfCare.choices, blank=True
    )
    mood = models.CharField(_("mental state"), max_length=8, choices=Mood.choices, blank=True)
    mood_note = SealedTextField(_("about the mental state"), max_length=300, blank=True)
    family = SealedTextField(_("family members and who supports them"), blank=True)
    difficulties = SealedTextField(_("living difficulties"), blank=True)
    hazards = models.JSONField(_("hazards in the home"), default=list, blank=True)
    hazard_note = SealedTextField(_("about the hazards"), max_length=300, blank=True)
    needs = SealedTextField(_("needs"), blank=True)
    wellbeing = models.PositiveSmallIntegerField(
        _("wellbeing (1-5)"), null=True, blank=True, help_text=_("1 very poor … 5 very good")
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_visits",
        verbose_name=_("case raised"),
    )
    client_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_grid_path = "grid_id"
    scope_household_path = "household_id"

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]
        indexes = [models.Index(fields=["household", "outcome", "visited_at"], name="visit_household_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(wellbeing__isnull=True) | Q(wellbeing__gte=1, wellbeing__lte=5),
                name="visit_wellbeing_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.visited_at:%Y-%m-%d}"

    def hazard_labels(self) -> list[str]:
        labels = dict(HAZARDS)
        return [str(labels.get(code, code)) for code in self.hazards]


def visit_photo_path(instance: VisitPhoto, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"care/{timezone.now():%Y/%m}/{instance.visit_id}-{timezone.now():%H%M%S%f}.{suffix}"


class VisitPhoto(models.Model):
    """A photo taken on a visit; carried over to the case when the visit raises one."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=visit_photo_path, max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    original_name = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")

    def __str__(self) -> str:
        return self.original_name


class Programme(models.Model):
    """A care programme (e.g. 幸福归巢·银发互助) run by a volunteer team, with its services."""

    community = models.ForeignKey(
        "places.Community",
        on_delete=models.CASCADE,
        related_name="care_programmes",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    team = models.ForeignKey(
        "orgs.VolunteerTeam",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_programmes",
        verbose_name=_("team that runs it"),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_policy = CommunityWideScope()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("care programme")
        verbose_name_plural = _("care programmes")
        ordering = ["community", "name"]

    def __str__(self) -> str:
        return self.name


class Period(models.TextChoices):
    WEEK = "week", _("a week")
    MONTH = "month", _("a month")


class ServiceKind(models.TextChoices):
    HOME_CHAT = "home_chat", _("home chat")
    PHONE_CALL = "phone_call", _("phone call")
    CLINIC = "clinic", _("free clinic")
    HAIRCUT = "haircut", _("haircut")
    PSYCHOLOGICAL = "psychological", _("psychological care")
    SUPPLIES = "supplies", _("supplies")
    OTHER = "other", _("other")


class ProgrammeService(models.Model):
    """A service of a programme and how often: "2 home chats a month", "a phone call every week"."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="services")
    kind = models.CharField(_("kind"), max_length=16, choices=ServiceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    times = models.PositiveSmallIntegerField(_("how many times"), default=1)
    period = models.CharField(_("per"), max_length=8, choices=Period.choices, default=Period.MONTH)
    hours = models.DecimalField(_("volunteer hours each"), max_digits=4, decimal_places=1, default=1)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("programme service")
        verbose_name_plural = _("programme services")
        ordering = ["programme", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(times__gte=1, times__lte=31), name="service_times_1_to_31"),
        ]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    """A household (and its main person) enrolled in a programme, from a start date, with a team."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="enrolments")
    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(
        "places.Household", on_delete=models.PROTECT, related_name="care_enrolments"
    )
    grid = models.ForeignKey("places.Grid", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_enrolments",
        verbose_name=_("person"),
    )
    reason = models.TextField(_("reason"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    team = models.ForeignKey(
        "orgs.VolunteerTeam", on_delete=models.PROTECT, related_name="care_enrolments", verbose_name=_("team")
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="enrolments"
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    enrolled_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_grid_path = "grid_id"
    scope_household_path = "household_id"

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "household"],
                condition=Q(ends_on__isnull=True),
                name="one_open_enrolment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.household_id}"

    @property
    def is_active(self) -> bool:
        return self.ends_on is None or self.ends_on >= timezone.localdate()


class ServiceStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    DONE = "done", _("done")
    MISSED = "missed", _("missed")


class PlannedServiceQuerySet(ScopedQuerySet):
    def overdue(self, today):
        """Planned and past their due date (derived, never stored)."""
        return self.filter(status=ServiceStatus.PLANNED, due_on__lt=today)

    def due(self, today):
        """Planned, with their window open (due or overdue)."""
        return self.filter(status=ServiceStatus.PLANNED, window_start__lte=today)


class PlannedService(models.Model):
    """One service planned for an enrolment on a date: done (by whom, hours), missed, or overdue."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="planned")
    service = models.ForeignKey(ProgrammeService, on_delete=models.PROTECT, related_name="planned")
    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("places.Household", on_delete=models.CASCADE, related_name="+")
    grid = models.ForeignKey("places.Grid", on_delete=models.CASCADE, related_name="+")
    window_start = models.DateField(_("from"))
    due_on = models.DateField(_("due on"), db_index=True)
    status = models.CharField(
        _("status"), max_length=8, choices=ServiceStatus.choices, default=ServiceStatus.PLANNED
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    volunteer = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_services_done",
        verbose_name=_("volunteer"),
    )
    hours = models.DecimalField(_("volunteer hours"), max_digits=4, decimal_places=1, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    missed_reason = models.CharField(_("why it was missed"), max_length=300, blank=True)

    objects = PlannedServiceQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_grid_path = "grid_id"
    scope_household_path = "household_id"

    class Meta:
        verbose_name = _("planned service")
        verbose_name_plural = _("planned services")
        ordering = ["due_on", "service__order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "service", "due_on"], name="planned_service_unique"),
        ]
        indexes = [models.Index(fields=["community", "status", "due_on"], name="planned_due_idx")]

    def __str__(self) -> str:
        return f"{self.service} {self.due_on}"

    def is_overdue(self, today=None) -> bool:
        return self.status == ServiceStatus.PLANNED and self.due_on < (today or timezone.localdate())


class CareRecordAccess(models.Model):
    """Audit row: someone saw a full care record (health, disability, family findings).

    The row outlives what it refers to: deleting a visit, a person or a household keeps the rows
    that say who saw them, with the ids they had (DO_NOTHING and no database constraint), so that
    erasing a record never erases the trace of who read it. Each row also has its entry in the
    hash-chained audit trail (core.audit); on PostgreSQL the database refuses to change one or to
    delete one younger than 183 days.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    community = models.ForeignKey("places.Community", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    household = models.ForeignKey(
        "places.Household",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    what = models.CharField(_("what"), max_length=32)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("care record access")
        verbose_name_plural = _("care record accesses")
        ordering = ["-at"]
        triggers = append_only_triggers("care_record_access")

    def __str__(self) -> str:
        return f"{self.user_id} {self.what} {self.at:%Y-%m-%d %H:%M}"
