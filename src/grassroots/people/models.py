"""People: residents and everyone else a community works with, entered once.

A Person is one human being. Being a resident (a Residency in a household),
a party member, a volunteer or a building head are roles that point at the same
Person, so nobody is typed in three times. ID and phone numbers are stored only
encrypted with a keyed hash to find them (see core.pii).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grassroots.core import pii
from grassroots.core.fields import SealedTextField
from grassroots.core.language import in_reader_language
from grassroots.core.models import append_only_triggers
from grassroots.core.scoping import ScopedQuerySet


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class PersonStatus(models.TextChoices):
    LIVING = "living", _("living here")
    MOVED_OUT = "moved_out", _("moved out")
    DECEASED = "deceased", _("deceased")
    NOT_RESIDENT = "not_resident", _("not a resident")


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", _("registered (户籍)")
    PERMANENT = "permanent", _("permanent, registered elsewhere (常住)")
    MIGRANT = "migrant", _("migrant (流动)")


class Relation(models.TextChoices):
    HEAD = "head", _("head of household")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    CHILD_IN_LAW = "child_in_law", _("son- or daughter-in-law")
    GRANDCHILD = "grandchild", _("grandchild")
    PARENT = "parent", _("parent")
    SIBLING = "sibling", _("sibling")
    TENANT = "tenant", _("tenant")
    OTHER = "other", _("other")


class PhoneKind(models.TextChoices):
    """What a stored phone number is, decided from the number itself: only a mobile takes an SMS."""

    MOBILE = "mobile", _("mobile")
    LANDLINE = "landline", _("landline")
    OTHER = "other", _("other number")


def phone_kind_of(digits: str) -> str:
    """The PhoneKind of normalised digits ("" for no number): 1[3-9]... mobile, 0... landline."""
    if not digits:
        return ""
    if pii.phone_is_mobile(digits):
        return PhoneKind.MOBILE
    return PhoneKind.LANDLINE if digits.startswith("0") else PhoneKind.OTHER


def phone_columns(raw: str, *, seal: Callable[[str], str] | None = None) -> dict[str, str]:
    """A person's stored phone columns for a number: sealed, its lookup hashes, masked, its kind.

    `Person.set_phone` sets them; a bulk writer passes its own `seal` (core.pii.sealer).
    """
    digits = pii.normalise_phone(raw)
    return {
        "phone_encrypted": (seal or pii.encrypt)(digits),
        "phone_hash": pii.phone_hash(digits),
        "phone_tail_hash": pii.phone_tail_hash(digits),
        "phone_masked": pii.mask_phone(digits),
        "phone_kind": phone_kind_of(digits),
    }


def id_number_columns(
    raw: str, *, seal: Callable[[str], str] | None = None, id_hash: str = ""
) -> dict[str, str]:
    """A person's stored ID number columns: sealed, its blind index and masked form.

    `id_hash` is the blind index when the caller has already taken it (the ledger's check).
    """
    number = pii.normalise_id_number(raw)
    return {
        "id_number_encrypted": (seal or pii.encrypt)(number),
        "id_number_hash": id_hash or pii.id_hash(number),
        "id_number_masked": pii.mask_id_number(number),
    }


class PersonQuerySet(ScopedQuerySet):
    def with_phone(self, raw: str) -> PersonQuerySet:
        return self.filter(phone_hash=pii.phone_hash(pii.normalise_phone(raw)))

    def with_id_number(self, raw: str) -> PersonQuerySet:
        return self.filter(id_number_hash=pii.id_hash(pii.normalise_id_number(raw)))


class Person(models.Model):
    """One human being known to a community: a resident, a serving party member, a volunteer."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="people", verbose_name=_("community")
    )
    name = models.CharField(pgettext_lazy("a person's", "name"), max_length=50, db_index=True)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=200, db_index=True, editable=False)
    name_initials = models.CharField(_("pinyin initials"), max_length=50, db_index=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True, editable=False)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)  # indexed in Meta
    phone_tail_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    # Not personal data: what kind of number it is, so that no SMS is sent to a landline.
    phone_kind = models.CharField(
        _("kind of phone"), max_length=8, choices=PhoneKind.choices, blank=True, editable=False
    )
    no_sms = models.BooleanField(
        _("no SMS"),
        default=False,
        help_text=_("Do not send text messages to this phone (for example nobody there reads them)."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PersonStatus.choices, default=PersonStatus.LIVING
    )
    current_household = models.ForeignKey(
        "places.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("current household"),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_grid_path = "current_household__grid_id"
    scope_household_path = "current_household_id"

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "id"]
        # The blind indexes are found by equality only: one index each, comparing bytes
        # (varchar_pattern_ops on PostgreSQL, ignored elsewhere) rather than by the database's
        # collation, which a hash has no use for and which makes every insert of a bulk import dearer.
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="person_id_number_unique",
                opclasses=["varchar_pattern_ops"],
            ),
        ]
        indexes = [
            models.Index(fields=["phone_hash"], name="person_phone_hash", opclasses=["varchar_pattern_ops"]),
            models.Index(
                fields=["phone_tail_hash"], name="person_phone_tail_hash", opclasses=["varchar_pattern_ops"]
            ),
        ]
        permissions = [("reveal_personal_data", "Can reveal full ID and phone numbers")]

    def __str__(self) -> str:
        return self.name

    @property
    def age(self) -> int | None:
        from django.utils import timezone

        if not self.birth_date:
            return None
        today = timezone.localdate()
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before_birthday

    def set_phone(self, raw: str) -> None:
        """Store a phone number encrypted, with its lookup hashes and masked form."""
        for name, value in phone_columns(raw).items():
            setattr(self, name, value)

    @property
    def takes_sms(self) -> bool:
        """Whether a text message can reach this person's phone: a mobile that staff did not mark "no SMS"."""
        return self.phone_kind == PhoneKind.MOBILE and not self.no_sms

    def set_id_number(self, raw: str) -> None:
        """Store an (already validated) ID number encrypted, with its hash and masked form."""
        for name, value in id_number_columns(raw).items():
            setattr(self, name, value)

    def reveal(self, field: str) -> str:
        """Decrypt a field. Call only through people.services.person_reveal, which audits it."""
        return pii.decrypt({"phone": self.phone_encrypted, "id_number": self.id_number_encrypted}[field])


class PersonNameKey(models.Model):
    """Another way to spell a person's name in pinyin: a polyphonic character read otherwise.

    The person's own `name_pinyin`/`name_initials` hold the likeliest reading (a surname read as a
    surname, the rest as pypinyin reads it in context); these rows hold the other readings
    (阚秀英: "hanxiuying", "hxy"), so that a worker who spells it another way still finds her.
    Written with the name by people.search.pinyin_readings; never edited by hand.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_keys")
    pinyin = models.CharField(max_length=200, db_index=True)
    initials = models.CharField(max_length=50, db_index=True)

    class Meta:
        verbose_name = _("other pinyin reading")
        verbose_name_plural = _("other pinyin readings")

    def __str__(self) -> str:
        return self.pinyin


class Residency(models.Model):
    """A stay of a person in a household, from moving in to moving out.

    Never overwritten: moving house closes one Residency and opens another, so the
    community's frequent mobility stays visible and old cases keep their context.
    """

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="residencies", verbose_name=_("person")
    )
    household = models.ForeignKey(
        "places.Household", on_delete=models.PROTECT, related_name="residencies", verbose_name=_("household")
    )
    relation = models.CharField(_("relation to household head"), max_length=16, choices=Relation.choices)
    residence_type = models.CharField(_("residence type"), max_length=16, choices=ResidenceType.choices)
    moved_in = models.DateField(_("moved in"))
    moved_out = models.DateField(_("moved out"), null=True, blank=True)
    move_note = models.CharField(_("note on the move"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "household__building__community_id"
    scope_grid_path = "household__grid_id"
    scope_household_path = "household_id"

    class Meta:
        verbose_name = _("residency")
        verbose_name_plural = _("residencies")
        ordering = ["-moved_in", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(moved_out__isnull=True),
                name="one_current_residency_per_person",
            ),
            models.CheckConstraint(
                condition=Q(moved_out__isnull=True) | Q(moved_out__gte=models.F("moved_in")),
                name="residency_moves_out_after_moving_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.household}"

    @property
    def is_current(self) -> bool:
        return self.moved_out is None


class VulnerabilityTag(models.Model):
    """A kind of vulnerability (living alone, disabled, low income, ...): data, not code.

    `sensitive` tags (health, disability, special family) are shown only to roles
    with the sensitive-data capability in scope.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80)
    has_level = models.BooleanField(
        _("has a level"), default=False, help_text=_("For example the grade (1-4) of a disability.")
    )
    sensitive = models.BooleanField(_("sensitive"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("vulnerability tag")
        verbose_name_plural = _("vulnerability tags")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return in_reader_language(self.name_zh, self.name_en)


class PersonTag(models.Model):
    """A vulnerability tag on a person, with an optional level and since when it applies."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="tags", verbose_name=_("person")
    )
    tag = models.ForeignKey(
        VulnerabilityTag, on_delete=models.PROTECT, related_name="people", verbose_name=_("tag")
    )
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    since = models.DateField(_("since"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "person__community_id"
    scope_grid_path = "person__current_household__grid_id"
    scope_household_path = "person__current_household_id"

    class Meta:
        verbose_name = _("person tag")
        verbose_name_plural = _("person tags")
        constraints = [models.UniqueConstraint(fields=["person", "tag"], name="person_tag_unique")]

    def __str__(self) -> str:
        return f"{self.tag}{f' {self.level}' if self.level else ''}"


class PersonalDataAccess(models.Model):
    """Audit row for every time someone saw an ID or phone number in full, and why.

    The row outlives what it refers to (DO_NOTHING, no database constraint), as care access rows
    do: erasing a person or an account never erases the trace of who saw the numbers. Each row
    also has its entry in the hash-chained audit trail (core.audit); on PostgreSQL the database
    refuses to change one or to delete one younger than 183 days.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="personal_data_accesses",
        verbose_name=_("user"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="data_accesses",
        verbose_name=_("person"),
    )
    field = models.CharField(_("field"), max_length=16)
    purpose = models.CharField(_("purpose"), max_length=200)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "person__community_id"

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at"]
        triggers = append_only_triggers("personal_data_access")

    def __str__(self) -> str:
        return f"{self.user} → {self.person} ({self.field})"


class RegistryChange(models.Model):
    """One change to the register: who changed which field of what, from what to what, when, how.

    A registration is one row whatever the details given (field "details", people.history
    `registration_values`), which the pages read back as a line per detail (`entries`).

    Written in the same transaction as the change itself by people.history.record, never edited,
    so the person and household pages can show their history and an import's changes read as
    "import #N". Personal-data values (phone, ID number) are kept sealed with the data key and
    shown masked; other values (name, birth date, relation, a tag) are kept as displayed text.

    Why rows of our own rather than django-simple-history or django-pghistory: the history must
    hold numbers sealed and masked (a whole-row copy would need every copy table registered for
    key rotation), name the screen or import that made the change, be written at import speed in
    bulk, and work on SQLite (the default) as on PostgreSQL (pghistory is PostgreSQL only).
    """

    # No foreign key constraints and no index of their own (each composite index below leads with
    # its column): an import writes several rows per person, and the history outlives what it names.
    community = models.ForeignKey(
        "places.Community",
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("community"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="history",
        verbose_name=_("person"),
    )
    household = models.ForeignKey(
        "places.Household",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="history",
        verbose_name=_("household"),
    )
    action = models.CharField(_("action"), max_length=32)
    field = models.CharField(_("field"), max_length=40, blank=True)
    old_display = models.CharField(_("from"), max_length=200, blank=True)
    # Text, not 200 characters: a registration's one row holds every detail registered (JSON).
    new_display = models.TextField(_("to"), blank=True)
    old_sealed = SealedTextField(blank=True, editable=False)
    new_sealed = SealedTextField(blank=True, editable=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    source = models.CharField(_("through"), max_length=60, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"))  # read by person, household or community: the indexes below

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"
    # A grid worker reads the rows about the households of their grids (a row about a flat
    # elsewhere, such as the one a person left, stays with that flat's grid).
    scope_grid_path = "household__grid_id"
    scope_household_path = "household_id"

    class Meta:
        verbose_name = _("register change")
        verbose_name_plural = _("register changes")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["person", "-at"], name="registry_change_person"),
            models.Index(fields=["household", "-at"], name="registry_change_household"),
            models.Index(fields=["community", "-at"], name="registry_change_community"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.field}".strip()


class ConsentGiver(models.TextChoices):
    SELF = "self", _("the person")
    GUARDIAN = "guardian", _("the guardian")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("in writing (signed form)")
    VERBAL = "verbal", _("in person or by phone, witnessed")


#: Under this age a guardian consents for a child (PIPL art. 31).
GUARDIAN_CONSENT_UNDER = 14


class Consent(models.Model):
    """A person's separate consent to keeping their sensitive information (PIPL art. 29, 31).

    Health, disability, family and mental-state findings are sensitive personal information: the
    person is told what is kept and why (the notice, by version) and agrees, or for a child under
    14 their guardian does. Recorded where such data is first entered (the visit form), kept as
    evidence after a withdrawal (which is a date on the row, never a deletion).
    """

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="consents", verbose_name=_("person")
    )
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    given_by = models.CharField(_("given by"), max_length=10, choices=ConsentGiver.choices)
    guardian_name = models.CharField(_("guardian's name"), max_length=50, blank=True)
    guardian_relation = models.CharField(_("guardian's relation"), max_length=30, blank=True)
    method = models.CharField(_("how"), max_length=10, choices=ConsentMethod.choices)
    notice_version = models.CharField(_("notice"), max_length=20)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_grid_path = "person__current_household__grid_id"
    scope_household_path = "person__current_household_id"

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "withdrawn_at"], name="consent_person_current")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.given_by} {self.at:%Y-%m-%d}"
