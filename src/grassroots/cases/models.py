"""Cases (诉求/事件): what residents and patrollers report, and everything done about it.

A case carries its own clock (response and resolution due, set at registration
from the category), its parties (a lead and any supporters, each acknowledging),
and an append-only timeline. Status changes only through cases.services, which
follows the table in cases.workflow.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.cases import clock
from grassroots.cases.metrics import COUNTER_NAMES
from grassroots.cases.scope import CaseScope
from grassroots.cases.workflow import FINAL, OPEN, Status
from grassroots.core import pii
from grassroots.core.language import in_reader_language, reading_chinese
from grassroots.core.scoping import ScopedQuerySet


class Urgency(models.TextChoices):
    URGENT = "urgent", _("urgent")
    NORMAL = "normal", _("normal")


class Channel(models.TextChoices):
    PHONE = "phone", _("phone call")
    WECHAT = "wechat", _("WeChat")
    SMS = "sms", _("text message")
    WALK_IN = "walk_in", _("walk-in")
    VISIT = "visit", _("door-to-door visit")
    PATROL = "patrol", _("patrol")
    WEB = "web", _("web")
    API = "api", _("API")
    HOTLINE = "hotline", _("hotline transfer (12345)")
    # 未诉先办: raised by the community itself from a hotspot (cases.hotspots), before anyone complains.
    PROACTIVE = "proactive", _("raised by the community itself (未诉先办)")


class UrbanClass(models.TextChoices):
    NONE = "", _("not an urban-management class")
    COMPONENT = "component", _("component (部件)")
    EVENT = "event", _("event (事件)")


class DuplicatePlace(models.TextChoices):
    """How near a new report must be to an open one of its category to be flagged as repeating it."""

    HOUSEHOLD = "household", _("the same household")
    BUILDING = "building", _("the same building")
    GRID = "grid", _("the same grid")


class Suspicion(models.TextChoices):
    """Why a case looks like a duplicate (cases.duplicates states the rules)."""

    HOUSEHOLD = "household", _("same category, same household")
    BUILDING = "building", _("same category, same building")
    GRID = "grid", _("same category, same grid")
    WORDS = "words", _("a very similar description")


def category_family_q(category) -> Q:
    """A category with its children, as a filter on `category_id`: what filtering by a category means
    everywhere (the list, the board, the dashboard's rollups, the hotspot rules).

    Written as a list of ids (one small query of the categories), so that the database filters each
    row as it reads it, in index order, and can stop at a page; a condition on the joined category's
    parent is only checked after joining every row in reach (a community's 20,000 closed cases).
    """
    pk = category.pk if isinstance(category, models.Model) else int(category)
    family = Category.objects.filter(Q(pk=pk) | Q(parent_id=pk)).values_list("pk", flat=True)
    return Q(category_id__in=sorted({pk, *family}))


class Category(models.Model):
    """A kind of problem, with its time limits and the conditions staff go by.

    Time limits are minutes, per urgency; `working_time` counts them in working
    hours on the Chinese calendar (see cases.calendar) instead of around the clock.
    """

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=100)
    urban_class = models.CharField(
        _("urban-management class"), max_length=16, choices=UrbanClass.choices, blank=True
    )
    response_minutes_urgent = models.PositiveIntegerField(_("response limit, urgent (minutes)"), default=30)
    response_minutes_normal = models.PositiveIntegerField(_("response limit, normal (minutes)"), default=240)
    resolution_minutes_urgent = models.PositiveIntegerField(
        _("resolution limit, urgent (minutes)"), default=240
    )
    resolution_minutes_normal = models.PositiveIntegerField(
        _("resolution limit, normal (minutes)"), default=3 * 24 * 60
    )
    working_time = models.BooleanField(_("count limits in working hours"), default=False)
    register_condition = models.TextField(_("condition to register"), blank=True)
    close_condition = models.TextField(_("condition to close"), blank=True)
    default_team = models.ForeignKey(
        "orgs.VolunteerTeam",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default team"),
    )
    default_unit_kind = models.CharField(
        _("default kind of member unit"),
        max_length=16,
        blank=True,
        help_text=_("For example: property, for repairs of common parts."),
    )
    default_skill = models.ForeignKey(
        "orgs.Skill",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skill to look for"),
    )
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_("Only roles that handle it see such cases (e.g. psychological support)."),
    )
    public = models.BooleanField(
        _("public"), default=True, help_text=_("Offered to residents and to Open311 clients.")
    )
    hazard = models.BooleanField(
        _("safety hazard"),
        default=False,
        help_text=_(
            "A safety hazard (安全隐患), such as a gas smell: shown on the site plan's hazard layer."
        ),
    )
    duplicate_place = models.CharField(
        _("a repeat is at"),
        max_length=16,
        choices=DuplicatePlace.choices,
        default=DuplicatePlace.BUILDING,
        help_text=_("A new case of this category this near an open one is flagged as a likely duplicate."),
    )
    duplicate_window_hours = models.PositiveIntegerField(
        _("a repeat within (hours)"),
        default=72,
        help_text=_(
            "How long after an open case a report of the same problem counts as repeating it; 0: never."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return in_reader_language(self.name_zh, self.name_en)

    @property
    def full_name(self) -> str:
        return f"{self.parent} › {self}" if self.parent_id else str(self)

    def limits(self, urgency: str) -> tuple[int, int]:
        """(response minutes, resolution minutes) for this urgency."""
        if urgency == Urgency.URGENT:
            return self.response_minutes_urgent, self.resolution_minutes_urgent
        return self.response_minutes_normal, self.resolution_minutes_normal


class QuestionKind(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", _("number")
    DATE = "date", _("date")
    SINGLE = "single", _("single choice")
    MULTIPLE = "multiple", _("multiple choice")


class CategoryQuestion(models.Model):
    """An extra question that intake must answer for this category (e.g. "Is water leaking now?")."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="questions", verbose_name=_("category")
    )
    code = models.SlugField(_("code"), max_length=40)
    label_zh = models.CharField(_("question (Chinese)"), max_length=200)
    label_en = models.CharField(_("question (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices, default=QuestionKind.TEXT)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_(
            'For choice questions: a list of {"key": ..., "zh": ..., "en": ...}; '
            'add "urgent": true to an answer that makes the case urgent.'
        ),
    )
    required = models.BooleanField(_("required"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category question")
        verbose_name_plural = _("category questions")
        ordering = ["category", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="question_code_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_reader_language(self.label_zh, self.label_en)

    def choice_labels(self) -> list[tuple[str, str]]:
        zh = reading_chinese()
        return [(item["key"], item["zh"] if zh else item["en"]) for item in self.choices]

    @property
    def urgent_keys(self) -> set[str]:
        """The answers that make a case urgent (`"urgent": true` on a choice): intake proposes it."""
        return {item["key"] for item in self.choices if item.get("urgent")}


class CaseQuerySet(ScopedQuerySet):
    """Cases, read through `visible_to` like every scoped model (the rules: cases.scope.CaseScope)."""

    def open(self):
        return self.filter(status__in=OPEN)

    def hazards(self):
        """Cases of a safety-hazard category (or of a child of one): the site plan's hazard layer."""
        return self.filter(Q(category__hazard=True) | Q(category__parent__hazard=True))

    def overdue(self, now=None):
        """Cases not yet resolved past their resolution due time (derived, never stored: cases.clock)."""
        return self.filter(clock.overdue_q(now or timezone.now()))

    def near_due(self, now=None):
        """Cases not yet resolved nor overdue, with little of their time left (cases.clock)."""
        return self.filter(clock.near_due_q(now or timezone.now()))

    def with_clock(self, now=None):
        """Annotated with `clock` (a cases.clock.Clock, to rank by) and `is_overdue_now`, in SQL."""
        return self.annotate(**clock.clock_annotations(now or timezone.now()))


class Case(models.Model):
    """One problem reported to the community, from the first call to closure."""

    number = models.CharField(_("case number"), max_length=32, unique=True)
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="cases", verbose_name=_("community")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("category")
    )
    description = models.TextField(_("description"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    answers = models.JSONField(_("answers"), default=dict, blank=True)

    reporter_person = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_cases",
        verbose_name=_("reporter"),
    )
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_cases",
        verbose_name=_("reporting account"),
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone_encrypted = models.TextField(blank=True, editable=False)
    reporter_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    reporter_phone_tail_hash = models.CharField(max_length=64, blank=True, editable=False)
    reporter_phone_masked = models.CharField(_("reporter's phone"), max_length=20, blank=True, editable=False)
    anonymous = models.BooleanField(_("anonymous"), default=False)

    household = models.ForeignKey(
        "places.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("household"),
    )
    building = models.ForeignKey(
        "places.Building",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("building"),
    )
    grid = models.ForeignKey(
        "places.Grid",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("grid"),
    )
    location_note = models.CharField(_("where exactly"), max_length=200, blank=True)
    plan_x = models.FloatField(_("site plan x"), null=True, blank=True)
    plan_y = models.FloatField(_("site plan y"), null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REPORTED, db_index=True
    )
    version = models.PositiveIntegerField(default=0, editable=False)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now, db_index=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    response_due = models.DateTimeField(_("response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True, db_index=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # What an anonymous reader (Open311) may read of the problem: never the description as typed,
    # only a summary a coordinator approved, with numbers taken out (cases.services.case_publish).
    public_summary = models.TextField(_("public summary"), blank=True)
    public_summary_at = models.DateTimeField(_("summary published"), null=True, blank=True)
    plan = models.TextField(_("agreed plan"), blank=True)
    resolution_report = models.TextField(_("handler's report"), blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    suspected_duplicate = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("likely duplicate of"),
    )
    suspicion = models.CharField(
        _("why it looks like a duplicate"), max_length=16, choices=Suspicion.choices, blank=True
    )
    satisfaction = models.CharField(_("satisfaction"), max_length=16, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("rework"), default=0)
    urge_count = models.PositiveSmallIntegerField(_("urged"), default=0)
    last_urged_at = models.DateTimeField(_("last urged"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to the street"), null=True, blank=True)
    extension_requested_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    extension_reason = models.TextField(blank=True, editable=False)
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    public_token = models.CharField(max_length=32, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )

    objects = CaseQuerySet.as_manager()
    scope_policy = CaseScope()
    scope_community_path = "community_id"
    scope_grid_path = "grid_id"

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at"]
        indexes = [
            models.Index(fields=["community", "status", "resolution_due"], name="case_board_idx"),
            models.Index(fields=["grid", "status"], name="case_grid_status_idx"),
            # The recent reports of a community, for the duplicate check at every new report.
            models.Index(fields=["community", "reported_at"], name="case_community_recent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False),
                name="merged_case_points_to_its_duplicate",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def set_reporter_phone(self, digits: str) -> None:
        """Keep the reporter's (normalised) phone number sealed, with its lookup hashes and masked form."""
        self.reporter_phone_encrypted = pii.encrypt(digits)
        self.reporter_phone_hash = pii.phone_hash(digits)
        self.reporter_phone_tail_hash = pii.phone_tail_hash(digits)
        self.reporter_phone_masked = pii.mask_phone(digits)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    # The clock for a case already loaded (a page, a badge, the serializer, the portal), by the
    # rule that the queryset's `overdue`, `near_due` and `with_clock` apply in SQL: cases.clock.

    def is_overdue(self, now=None) -> bool:
        return clock.is_overdue(self, now or timezone.now())

    def is_response_overdue(self, now=None) -> bool:
        return clock.is_response_overdue(self, now or timezone.now())

    def is_near_due(self, now=None) -> bool:
        return clock.is_near_due(self, now or timezone.now())

    @property
    def resolution_reading(self) -> clock.Reading:
        """What the pages say of the resolution clock: time left, late by, done (cases.clock)."""
        return clock.reading_of(self, timezone.now())

    @property
    def lead(self):
        return next((a for a in self.assignments.all() if a.is_lead and a.active), None)


class PartyKind(models.TextChoices):
    USER = "user", _("staff member")
    PERSON = "person", _("volunteer or party member")
    TEAM = "team", _("volunteer team")
    UNIT = "unit", _("member unit")


class Assignment(models.Model):
    """A party summoned to a case: the lead, or a supporter in a whistle. Each acknowledges."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("case")
    )
    is_lead = models.BooleanField(_("lead"), default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("staff member"),
    )
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("person"),
    )
    team = models.ForeignKey(
        "orgs.VolunteerTeam",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("team"),
    )
    unit = models.ForeignKey(
        "orgs.MemberUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("member unit"),
    )
    role_note = models.CharField(
        _("role in this case"),
        max_length=100,
        blank=True,
        help_text=_("For example: building head, property company."),
    )
    summoned_at = models.DateTimeField(_("summoned at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-is_lead", "summoned_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, person__isnull=True, team__isnull=True, unit__isnull=True)
                    | Q(user__isnull=True, person__isnull=False, team__isnull=True, unit__isnull=True)
                    | Q(user__isnull=True, person__isnull=True, team__isnull=False, unit__isnull=True)
                    | Q(user__isnull=True, person__isnull=True, team__isnull=True, unit__isnull=False)
                ),
                name="assignment_has_exactly_one_party",
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(is_lead=True, active=True), name="one_active_lead_per_case"
            ),
        ]

    def __str__(self) -> str:
        return self.party_name

    @property
    def party_kind(self) -> str:
        for kind in ("user", "person", "team", "unit"):
            if getattr(self, f"{kind}_id"):
                return kind
        return ""

    @property
    def party(self):
        return getattr(self, self.party_kind)

    @property
    def party_name(self) -> str:
        party = self.party
        if self.party_kind == "user":
            return party.display_name
        return str(party)


class CaseEvent(models.Model):
    """One line of a case's timeline. Append-only: never edited, never deleted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_role = models.CharField(_("actor's role"), max_length=16, blank=True)
    action = models.CharField(_("action"), max_length=24)
    note = models.TextField(_("note"), blank=True)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    public = models.BooleanField(_("shown to the resident"), default=True)
    # A summoned party without an account acting through the one-tap link of its SMS: the entry
    # names them (as they were called when the link was sent), not the social worker.
    party_link = models.ForeignKey(
        "PartyLink",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("through the link"),
    )
    actor_name = models.CharField(_("actor's name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Case events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Case events are append-only")


class LinkPurpose(models.TextChoices):
    """What a one-tap link may be used for; each purpose allows a fixed set of actions (cases.links)."""

    TASK = "task", _("a summoned party's task")


class PartyLink(models.Model):
    """A signed, expiring one-tap link in an SMS: a summoned party without an account works on its task.

    Only the text message carries the secret. The row keeps a random salt, from which the
    server alone (with its secret key) derives the secret again to send the SMS, and the
    secret's SHA-256, by which a visit finds the link; neither opens anything by itself. A link
    serves one assignment on one case for one purpose, until it expires, is revoked by a
    coordinator, or its assignment is released.
    """

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="party_links", verbose_name=_("case")
    )
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="links", verbose_name=_("assignment")
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=LinkPurpose.choices)
    holder_name = models.CharField(_("sent to"), max_length=100)
    salt = models.CharField(max_length=32, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    issued_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    # The device of the first use (a keyed hash of the browser and the address family, never the
    # address), and when it was first used from another one: a forwarded link.
    first_used_at = models.DateTimeField(_("first used"), null=True, blank=True)
    first_device = models.CharField(max_length=64, blank=True, editable=False)
    other_device_at = models.DateTimeField(_("used from another device"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-tap link")
        verbose_name_plural = _("one-tap links")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["assignment", "purpose", "expires_at"], name="partylink_live_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.holder_name}"

    def is_live(self, now=None) -> bool:
        return self.revoked_at is None and (now or timezone.now()) < self.expires_at


class PartyLinkUse(models.Model):
    """One use of a one-tap link (opened, or an action taken), with its device's hash. Append-only."""

    link = models.ForeignKey(PartyLink, on_delete=models.CASCADE, related_name="uses", verbose_name=_("link"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    what = models.CharField(_("what"), max_length=24)
    device = models.CharField(max_length=64, editable=False)
    other_device = models.BooleanField(_("another device than the first use"), default=False)

    class Meta:
        verbose_name = _("use of a one-tap link")
        verbose_name_plural = _("uses of one-tap links")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["link", "at"], name="partylinkuse_link_idx")]

    def __str__(self) -> str:
        return f"{self.link_id} {self.what}"


def attachment_path(instance: Attachment, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return (
        f"cases/{instance.case.reported_at:%Y/%m}/{instance.case.number}/{timezone.now():%H%M%S%f}.{suffix}"
    )


class Attachment(models.Model):
    """A photo or file on a case: "before" from the reporter, "after" from the handler."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("case")
    )
    event = models.ForeignKey(
        CaseEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("timeline entry"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200, blank=True)
    url = models.URLField(
        _("link"), blank=True, help_text=_("Media kept elsewhere (e.g. an Open311 media_url).")
    )
    stage = models.CharField(
        _("stage"), max_length=8, choices=[("before", _("before")), ("after", _("after"))], default="before"
    )
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name or self.url

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASIC = "basic", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class CaseCounter(models.Model):
    """Per-community, per-day sequence for human-readable case numbers (HSY-20261128-0007)."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "day"], name="case_counter_unique")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.day} #{self.last}"


# --- the dashboard's facts and rollups (cases.metrics defines the counters, cases.rollups keeps them) ---


class CaseFact(models.Model):
    """What the dashboard needs to know of one case, derived from the case and its timeline.

    One row per case, rewritten in the transaction of every timeline entry (cases.rollups), and
    rebuilt from the timeline by `grassroots rollups rebuild`. It is what a figure's click-through
    filters on, so the list behind a number is the cases the number counted.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="fact")
    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the (local) month the case was reported in
    grid = models.ForeignKey("places.Grid", on_delete=models.CASCADE, null=True, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16)
    lead = models.CharField(max_length=40, blank=True)  # the active lead, "team:3"; "" when none
    status = models.CharField(max_length=16)
    accepted = models.BooleanField(default=False)
    responded = models.BooleanField(default=False)
    responded_on_time = models.BooleanField(default=False)
    response_minutes = models.PositiveIntegerField(null=True)
    resolved_ever = models.BooleanField(default=False)
    resolved_on_time = models.BooleanField(default=False)
    resolve_minutes = models.PositiveIntegerField(null=True)
    satisfaction = models.CharField(max_length=16, blank=True)
    reworked = models.BooleanField(default=False)
    extension_requested = models.BooleanField(default=False)
    extended = models.BooleanField(default=False)
    escalated = models.BooleanField(default=False)
    repeat = models.BooleanField(default=False)

    scope_community_path = "community_id"
    scope_grid_path = "grid_id"

    class Meta:
        indexes = [
            models.Index(
                fields=["community", "month", "grid", "category", "channel", "lead"],
                name="casefact_group_idx",
            )
        ]

    def __str__(self) -> str:
        return f"fact {self.case_id}"


class CaseRollup(models.Model):
    """The counters of cases.metrics, summed for one community, month, grid, category, channel, lead.

    The figures for a period read these rows (a few hundred per community and month), never the
    cases, so a street's dashboard costs the same at district scale. `key` names the group (a grid
    may be empty, and a unique constraint over a NULL would not hold on every database).
    """

    key = models.CharField(max_length=120, unique=True)
    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    grid = models.ForeignKey("places.Grid", on_delete=models.CASCADE, null=True, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16)
    lead = models.CharField(max_length=40, blank=True)
    # One column per counter of cases.metrics.COUNTER_NAMES (declared from that tuple, so the two
    # cannot differ; the migration lists them).
    for _counter in COUNTER_NAMES:
        vars()[_counter] = models.PositiveIntegerField(default=0)
    del _counter

    scope_community_path = "community_id"
    scope_grid_path = "grid_id"

    class Meta:
        indexes = [models.Index(fields=["community", "month"], name="caserollup_month_idx")]

    def __str__(self) -> str:
        return self.key


class CaseMonthRollup(models.Model):
    """The counters of a community's month per top-level category and sensitivity: the fine rollups
    summed (cases.rollups keeps both in step).

    What a dashboard without a grid, channel or handler filter reads: a dozen rows per community and
    month, so a street's year stays a few thousand rows. Sensitivity is kept as its own dimension so
    that a viewer who may not see sensitive cases reads only the rows without them.
    """

    key = models.CharField(max_length=60, unique=True)
    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    top_category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    sensitive = models.BooleanField(default=False)
    for _counter in COUNTER_NAMES:
        vars()[_counter] = models.PositiveIntegerField(default=0)
    del _counter

    scope_community_path = "community_id"

    class Meta:
        indexes = [models.Index(fields=["community", "month"], name="casemonthrollup_month_idx")]

    def __str__(self) -> str:
        return self.key


# --- hotspots (未诉先办): the rule is cases.hotspots' ---------------------------------------------------


class HotspotScope(models.TextChoices):
    BUILDING = "building", _("the same building")
    GRID = "grid", _("the same grid")


class HotspotRule(models.Model):
    """When similar cases cluster, as data: at least `min_cases` cases of one category (or of one
    category group: a category with its children) at the same building or grid within `window_days`.

    Without a category, every category is looked at on its own ("the same category"). A rule of no
    community holds for all of them. cases.hotspots reads the rules and finds the clusters.
    """

    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        "places.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
        help_text=_("Empty: every community."),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category or group"),
        help_text=_("Empty: each category on its own. A category with children counts them together."),
    )
    scope = models.CharField(
        _("counted at"), max_length=16, choices=HotspotScope.choices, default=HotspotScope.BUILDING
    )
    min_cases = models.PositiveSmallIntegerField(_("at least (cases)"), default=3)
    window_days = models.PositiveSmallIntegerField(_("within (days)"), default=14)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("hotspot rule")
        verbose_name_plural = _("hotspot rules")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(min_cases__gte=2), name="hotspot_rule_two_cases_or_more"),
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=90), name="hotspot_rule_window_1_to_90_days"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Hotspot(models.Model):
    """A hotspot that was acted on: the one proactive case raised for it, and the cases it links.

    Written once by cases.hotspots.hotspot_raise; a cluster is raised once (its cases reported
    before the raise are covered by it), so the same cluster never gets a second proactive case.
    """

    rule = models.ForeignKey(HotspotRule, on_delete=models.PROTECT, related_name="hotspots")
    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    grid = models.ForeignKey("places.Grid", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    building = models.ForeignKey(
        "places.Building", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=60)  # cases.hotspots' name of the cluster: rule, place, category
    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="raised_for", verbose_name=_("proactive case")
    )
    cases = models.ManyToManyField(Case, related_name="hotspots", verbose_name=_("cases behind it"))
    raised_at = models.DateTimeField(_("raised at"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    # Not a scoped model: it is read only by cases.hotspots, for the clusters a viewer's reach finds
    # (cases.figures.reach_q: their scope, sensitive categories only for who may see them).

    class Meta:
        verbose_name = _("hotspot")
        verbose_name_plural = _("hotspots")
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["community", "key", "raised_at"], name="hotspot_key_idx")]

    def __str__(self) -> str:
        return f"{self.key} → {self.case_id}"
