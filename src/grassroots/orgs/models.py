"""Organisations: party branches, volunteer teams and the "big party committee".

These are the "hands" that solve problems. Members and volunteers are roles of a
people.Person, so a resident who is also a party member and a volunteer is one
record with two role rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grassroots.core.language import in_reader_language
from grassroots.core.scoping import ScopedQuerySet


class PartyBranch(models.Model):
    """A party branch (党支部) of the community Party committee."""

    community = models.ForeignKey(
        "places.Community",
        on_delete=models.PROTECT,
        related_name="party_branches",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=100)
    secretary = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch secretary"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("party branch")
        verbose_name_plural = _("party branches")
        ordering = ["community", "name"]

    def __str__(self) -> str:
        return self.name


class PartyMemberKind(models.TextChoices):
    RESIDENT = "resident", _("resident party member")
    SERVING = "serving", _("serving party member registered with the community (在职党员报到)")


class PartyMember(models.Model):
    """A party member organised in a branch: a resident, or a serving member who registered here."""

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="party_membership", verbose_name=_("person")
    )
    branch = models.ForeignKey(
        PartyBranch, on_delete=models.PROTECT, related_name="members", verbose_name=_("branch")
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=PartyMemberKind.choices, default=PartyMemberKind.RESIDENT
    )
    workplace = models.CharField(
        _("workplace"),
        max_length=100,
        blank=True,
        help_text=_("For serving members: the unit they work for."),
    )
    joined_party_on = models.DateField(_("joined the party"), null=True, blank=True)
    registered_on = models.DateField(_("registered with the community"), null=True, blank=True)
    unit = models.ForeignKey(
        "MemberUnit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="serving_members",
        verbose_name=_("member unit"),
        help_text=_("For serving members whose unit is a member unit of the community."),
    )
    origin_branch = models.CharField(_("party organisation at work"), max_length=100, blank=True)
    commitment_hours = models.PositiveSmallIntegerField(_("hours promised a year"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "branch__community_id"

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["branch", "person__name"]

    def __str__(self) -> str:
        return str(self.person)


class VolunteerTeam(models.Model):
    """One of the community's volunteer service teams (the article has 14)."""

    community = models.ForeignKey(
        "places.Community",
        on_delete=models.PROTECT,
        related_name="volunteer_teams",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=100)
    focus = models.CharField(_("what the team does"), max_length=200, blank=True)
    leader = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("leader"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["community", "name"]

    def __str__(self) -> str:
        return self.name


class CodedName(models.Model):
    """A kind of thing kept as data: a code for files and rules, a name in each language."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return in_reader_language(self.name_zh, self.name_en)


class Skill(CodedName):
    """Something a volunteer can do (plumbing, haircuts, psychological support, ...): data, not code."""

    class Meta(CodedName.Meta):
        verbose_name = _("skill")
        verbose_name_plural = _("skills")


class CertificateKind(CodedName):
    """A certificate a volunteer may hold (first aid, electrician, elderly care...): data, not code."""

    class Meta(CodedName.Meta):
        verbose_name = _("kind of certificate")
        verbose_name_plural = _("kinds of certificate")


#: The parts of a week a volunteer can be asked for: day and part of the day ("mon-am").
WEEK_DAYS = (
    ("mon", _("Mon")),
    ("tue", _("Tue")),
    ("wed", _("Wed")),
    ("thu", _("Thu")),
    ("fri", _("Fri")),
    ("sat", _("Sat")),
    ("sun", _("Sun")),
)
DAY_PARTS = (("am", _("morning")), ("pm", _("afternoon")), ("eve", _("evening")))
WEEK_SLOTS = tuple(f"{day}-{part}" for day, _day in WEEK_DAYS for part, _part in DAY_PARTS)
#: Where the parts of the day begin (local hours): morning until noon, afternoon until six.
AFTERNOON_FROM, EVENING_FROM = 12, 18


def week_slot(moment) -> str:
    """The part of the week ("tue-pm") that a local date-time falls in."""
    part = "am" if moment.hour < AFTERNOON_FROM else "pm" if moment.hour < EVENING_FROM else "eve"
    return f"{WEEK_DAYS[moment.weekday()][0]}-{part}"


def slot_label(slot: str) -> str:
    """A part of the week in words: "Tue afternoon" (周二下午)."""
    day, _sep, part = slot.partition("-")
    return gettext("%(day)s %(part)s") % {"day": dict(WEEK_DAYS)[day], "part": dict(DAY_PARTS)[part]}


class Volunteer(models.Model):
    """A volunteer: skills, when they are available, and the grid they live in."""

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="volunteer", verbose_name=_("person")
    )
    teams = models.ManyToManyField(
        VolunteerTeam, related_name="volunteers", blank=True, verbose_name=_("teams")
    )
    skills = models.ManyToManyField(Skill, related_name="volunteers", blank=True, verbose_name=_("skills"))
    availability = models.CharField(
        _("availability"), max_length=200, blank=True, help_text=_("For example: weekday mornings, weekends.")
    )
    home_grid = models.ForeignKey(
        "places.Grid",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteers",
        verbose_name=_("home grid"),
    )
    active = models.BooleanField(_("active"), default=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    weekly_slots = models.JSONField(
        _("when in the week"), default=list, blank=True, help_text=_("Parts of the week, such as mon-am.")
    )
    home_building = models.ForeignKey(
        "places.Building",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteers",
        verbose_name=_("home building"),
    )
    languages = models.CharField(
        _("languages and dialects"),
        max_length=100,
        blank=True,
        help_text=_("For example: 普通话、天津话、手语."),
    )
    can_carry_loads = models.BooleanField(_("can carry loads"), default=False)
    has_car = models.BooleanField(_("has a car"), default=False)
    certificates = models.ManyToManyField(
        CertificateKind, related_name="volunteers", blank=True, verbose_name=_("certificates")
    )

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "person__community_id"
    scope_grid_path = "home_grid_id"

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["person__name"]

    def __str__(self) -> str:
        return str(self.person)


class UnitKind(models.TextChoices):
    GOVERNMENT = "government", _("government office")
    SCHOOL = "school", _("school")
    HOSPITAL = "hospital", _("hospital or clinic")
    ENTERPRISE = "enterprise", _("enterprise")
    PROPERTY = "property", _("property management company")
    OWNERS = "owners", _("owners' committee")
    SOCIAL = "social", _("social organisation")
    OTHER = "other", _("other")


class MemberUnit(models.Model):
    """A member unit of the community's "big party committee" (大党委) and what it can offer."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="member_units", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone (work)"), max_length=30, blank=True)
    offers = models.TextField(_("what it can offer"), blank=True)
    inside_community = models.BooleanField(_("located inside the community"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("member unit")
        verbose_name_plural = _("member units")
        ordering = ["community", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class ServingReportStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the community")
    CONFIRMED = "confirmed", _("confirmed")
    DECLINED = "declined", _("declined")


class ServingReport(models.Model):
    """A serving party member's report to the community (在职党员到社区报到), as they sent it.

    They fill it in themselves from the community's link or QR code, without an account; the
    office confirms it (it becomes their PartyMember, kind "serving", in a branch) or declines it
    with a reason. The phone is sealed like every phone in the register and shown masked.
    """

    community = models.ForeignKey(
        "places.Community",
        on_delete=models.PROTECT,
        related_name="serving_reports",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1)
    phone_encrypted = models.TextField(editable=False)
    phone_hash = models.CharField(max_length=64, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, editable=False)
    unit = models.ForeignKey(
        "MemberUnit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="serving_reports",
        verbose_name=_("member unit"),
    )
    workplace = models.CharField(_("workplace"), max_length=100)
    origin_branch = models.CharField(_("party organisation at work"), max_length=100)
    skills = models.ManyToManyField(Skill, blank=True, related_name="+", verbose_name=_("skills"))
    commitment_hours = models.PositiveSmallIntegerField(_("hours promised a year"))
    note = models.CharField(_("what they would like to do"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ServingReportStatus.choices, default=ServingReportStatus.PENDING
    )
    submitted_at = models.DateTimeField(_("sent"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(_("reason"), max_length=200, blank=True)
    member = models.ForeignKey(
        PartyMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("serving party member's report")
        verbose_name_plural = _("serving party members' reports")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["community", "status", "-submitted_at"], name="serving_report_worklist")
        ]

    def __str__(self) -> str:
        return self.name
