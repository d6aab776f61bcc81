"""What the community holds about a person, requests about it, and erasure (PIPL art. 44-47).

`what_is_held` gathers, for the person themself or the office answering their request, every
record that names them and every time someone saw their numbers or care record: the same
sections make the portal page and the downloadable file, so the two cannot disagree. Requests
are filed and closed here with their due date; an erasure strips the personal data from every
row that holds it and keeps the rows, nameless, for the cases and logs that must stay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.roles import role_label, system_actor, user_can, user_scope
from grassroots.care.models import CareProfile, CareRecordAccess, SituationNote, Visit
from grassroots.cases.models import Case
from grassroots.core import audit
from grassroots.people import history
from grassroots.people.models import (
    Consent,
    Person,
    PersonalDataAccess,
    PersonNameKey,
    PersonStatus,
    PersonTag,
    RegistryChange,
)
from grassroots.privacy.models import ANSWER_WITHIN, DataRequest, Erasure, RequestKind, RequestStatus

#: What an erased person's name reads as (the row stays for the cases that refer to it).
ERASED_NAME = "已删除"


# --- what is held ------------------------------------------------------------------------------


@dataclass
class Section:
    """One kind of record about the person: a title, column headings, and rows of plain text."""

    key: str
    title: str
    headings: list[str]
    rows: list[list[str]] = field(default_factory=list)


def _when(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _who(user) -> str:
    if user is None:
        return ""
    name = user.get_full_name() or user.get_username()
    return f"{name} ({role_label(user.role)})"


def what_is_held(person: Person) -> list[Section]:
    """Every record that names the person, and who saw their data: for them, or for their request.

    Numbers are shown masked: this page is reached with a password (and a phone may be shared);
    the office shows the full numbers to the person in person, on their ID card.
    """
    return [
        _details_section(person),
        _residency_section(person),
        _tags_section(person),
        _consent_section(person),
        _cases_section(person),
        _visits_section(person),
        _history_section(person),
        _accesses_section(person),
    ]


def _details_section(person: Person) -> Section:
    return Section(
        "details",
        _("Your details"),
        [_("name"), _("sex"), _("birth date"), _("ID number"), _("phone"), _("status")],
        [
            [
                person.name,
                person.get_sex_display(),
                _when(person.birth_date),
                person.id_number_masked,
                person.phone_masked,
                person.get_status_display(),
            ]
        ],
    )


def _residency_section(person: Person) -> Section:
    rows = [
        [str(stay.household), stay.get_relation_display(), _when(stay.moved_in), _when(stay.moved_out)]
        for stay in person.residencies.select_related("household__building").order_by("moved_in")
    ]
    return Section(
        "residencies",
        _("Where you lived"),
        [_("household"), _("relation"), _("moved in"), _("moved out")],
        rows,
    )


def _tags_section(person: Person) -> Section:
    rows = [
        [str(row.tag), str(row.level or ""), _when(row.since), row.note]
        for row in PersonTag.objects.filter(person=person).select_related("tag")
    ]
    return Section(
        "tags", _("Why the community looks after you"), [_("tag"), _("level"), _("since"), _("note")], rows
    )


def _consent_section(person: Person) -> Section:
    rows = [
        [
            _when(row.at),
            row.get_given_by_display(),
            row.get_method_display(),
            row.notice_version,
            _when(row.withdrawn_at),
        ]
        for row in Consent.objects.filter(person=person)
    ]
    return Section(
        "consents",
        _("Your consent to keeping sensitive information"),
        [_("at"), _("given by"), _("how"), _("notice"), _("withdrawn")],
        rows,
    )


def _cases_section(person: Person) -> Section:
    cases = Case.objects.filter(reporter_person=person).select_related("category")
    rows = [
        [
            case.number,
            str(case.category),
            case.get_status_display(),
            _when(case.reported_at),
            case.description[:500],
        ]
        for case in cases.order_by("-reported_at")[:500]
    ]
    return Section(
        "cases",
        _("Problems you reported"),
        [_("number"), _("category"), _("status"), _("reported"), _("description")],
        rows,
    )


def _visits_section(person: Person) -> Section:
    visits = Visit.objects.filter(person=person).select_related("visitor").order_by("-visited_at")[:500]
    rows = [
        [
            _when(visit.visited_at),
            _who(visit.visitor),
            visit.get_outcome_display(),
            visit.health,
            visit.family,
            visit.difficulties,
            visit.needs,
        ]
        for visit in visits
    ]
    return Section(
        "visits",
        _("Visits to you and what was noted"),
        [_("when"), _("by"), _("outcome"), _("health"), _("family"), _("difficulties"), _("needs")],
        rows,
    )


def _history_section(person: Person) -> Section:
    changes = RegistryChange.objects.filter(person=person).select_related("actor")[:500]
    rows = [  # a registration's one row read as its page shows it: a line per detail
        [_when(row.at), _who(row.actor), e.action, e.field, e.old_display, e.new_display, row.source]
        for row in changes
        for e in history.entries(row)
    ]
    return Section(
        "history",
        _("Changes to your record"),
        [_("at"), _("by"), _("action"), _("field"), _("from"), _("to"), _("through")],
        rows,
    )


def _accesses_section(person: Person) -> Section:
    reveals = [
        (row.at, _who(row.user), _("full %(field)s") % {"field": row.field}, row.purpose)
        for row in PersonalDataAccess.objects.filter(person=person).select_related("user")[:500]
    ]
    reads = [
        (row.at, _who(row.user), _("care record (%(what)s)") % {"what": row.what}, "")
        for row in CareRecordAccess.objects.filter(person=person).select_related("user")[:500]
    ]
    rows = [[_when(at), who, what, why] for at, who, what, why in sorted(reveals + reads, reverse=True)]
    return Section("accesses", _("Who saw your data"), [_("at"), _("who"), _("what"), _("why")], rows)


def held_as_file(person: Person, sections: list[Section]) -> bytes:
    """The same sections as one JSON file (UTF-8), for the person to keep or take elsewhere."""
    document = {
        "person": person.pk,
        "made_at": timezone.now().isoformat(),
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "rows": [dict(zip(s.headings, row, strict=True)) for row in s.rows],
            }
            for s in sections
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def record_export(*, actor, person: Person, for_request: DataRequest | None = None) -> None:
    """Each copy of what is held is in the audit trail (an export of personal data)."""
    detail = {"what": "personal_data", **({"request": for_request.pk} if for_request else {})}
    audit.record(audit.EXPORTED, actor=actor, subject=person, detail=detail)


# --- requests ----------------------------------------------------------------------------------


def _may_handle(actor, person: Person) -> bool:
    if not user_can(actor, "privacy.datarequest.handle"):
        return False
    scope = user_scope(actor)
    return scope.level == "all" or actor.community_id == person.community_id


def request_file(*, actor, person: Person, kind: str, details: str = "") -> DataRequest:
    """File a request: the person themself (a resident's own person), or the office for them."""
    own = getattr(actor, "person_id", None) == person.pk
    if not (own or _may_handle(actor, person)):
        raise PermissionDenied
    if kind not in RequestKind.values:
        raise ValidationError({"kind": _("Choose what you ask for.")})
    if kind == RequestKind.CORRECTION and len(details.strip()) < 2:
        raise ValidationError({"details": _("Say what is wrong and what it should be.")})
    now = timezone.now()
    request = DataRequest.objects.create(
        received_at=now,
        community_id=person.community_id,
        person=person,
        kind=kind,
        details=details.strip()[:1000],
        due_at=now + ANSWER_WITHIN,
        filed_by=actor,
    )
    audit.record(audit.PRIVACY_REQUEST, actor=actor, subject=request, detail={"kind": kind, "filed": True})
    return request


def request_close(*, actor, request: DataRequest, status: str, decision: str) -> DataRequest:
    """Answer a request: done (an erasure is carried out now) or refused with the reason."""
    if not _may_handle(actor, request.person):
        raise PermissionDenied
    if request.status != RequestStatus.OPEN:
        raise ValidationError(_("This request is already answered."))
    if status not in {RequestStatus.DONE, RequestStatus.REFUSED}:
        raise ValidationError({"status": _("Choose done or refused.")})
    if status == RequestStatus.REFUSED and len(decision.strip()) < 2:
        raise ValidationError({"decision": _("Give the reason for refusing: the person is told it.")})
    erasing = status == RequestStatus.DONE and request.kind == RequestKind.ERASURE
    if erasing and not user_can(actor, "privacy.person.erase"):
        raise ValidationError({"status": _("Only the Party secretary decides an erasure.")})
    refusal = erasure_refusal(Person.objects.get(pk=request.person_id)) if erasing else ""
    if refusal:
        raise ValidationError({"status": refusal})
    with transaction.atomic():
        if erasing:
            person_erase(actor=actor, person=request.person, reason="request", request=request)
        request.status = status
        request.decision = decision.strip()[:1000]
        request.closed_at = timezone.now()
        request.closed_by = actor
        request.save(update_fields=["status", "decision", "closed_at", "closed_by"])
        audit.record(audit.PRIVACY_REQUEST, actor=actor, subject=request, detail={"status": status})
    return request


def overdue_requests(user):
    """Open requests past their answer date, for the office's worklist."""
    return DataRequest.objects.visible_to(user).filter(status=RequestStatus.OPEN, due_at__lt=timezone.now())


# --- erasure -----------------------------------------------------------------------------------


def erasure_refusal(person: Person) -> str:
    """Why the person cannot be erased now ("" when they can): the register keeps current residents."""
    if hasattr(person, "erasure"):
        return _("This person's data is already erased.")
    if person.status == PersonStatus.LIVING or person.current_household_id:
        return _(
            "This person lives in the community: the register of residents must be kept. Record the "
            "move-out first, or correct the data instead."
        )
    return ""


def person_erase(*, actor, person: Person, reason: str, request: DataRequest | None = None) -> Erasure:
    """Strip a former resident's personal data from every row that holds it; the rows stay, nameless.

    Kept: the person's row (cases and visits point at it), the dates of what happened, the access
    logs and the audit trail (their own legal periods; they hold no personal values). Gone: name,
    numbers, birth date, notes, tags, the care findings, the numbers and names in the history, the
    reporter's name and phone on cases.
    """
    if reason != "retention" and not user_can(actor, "privacy.person.erase"):
        raise PermissionDenied
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)  # as it is now, not as passed
        refusal = erasure_refusal(person)
        if refusal:
            raise ValidationError(refusal)
        Person.objects.filter(pk=person.pk).update(
            name=ERASED_NAME,
            name_pinyin="",
            name_initials="",
            birth_date=None,
            id_number_encrypted="",
            id_number_hash="",
            id_number_masked="",
            phone_encrypted="",
            phone_hash="",
            phone_tail_hash="",
            phone_masked="",
            phone_kind="",
            note="",
        )
        PersonNameKey.objects.filter(person=person).delete()
        PersonTag.objects.filter(person=person).delete()
        Consent.objects.filter(person=person).update(guardian_name="", guardian_relation="")
        _erase_care_findings(person)
        _erase_history_values(person)
        Case.objects.filter(reporter_person=person).update(
            reporter_name="",
            reporter_phone_encrypted="",
            reporter_phone_hash="",
            reporter_phone_tail_hash="",
            reporter_phone_masked="",
        )
        erasure = Erasure.objects.create(
            person=person, community_id=person.community_id, reason=reason, request=request, by=actor
        )
        audit.record(audit.ERASED, actor=actor, subject=person, detail={"reason": reason})
    return erasure


def _erase_care_findings(person: Person) -> None:
    # Row by row: the findings are sealed fields, and each row is saved through the model.
    for visit in Visit.objects.filter(person=person):
        for name in ("health", "mood_note", "family", "difficulties", "hazard_note", "needs"):
            setattr(visit, name, "")
        visit.save(update_fields=["health", "mood_note", "family", "difficulties", "hazard_note", "needs"])
    SituationNote.objects.filter(profile__person=person).update(note="")
    CareProfile.objects.filter(person=person).update(override_reason="")


def _erase_history_values(person: Person) -> None:
    RegistryChange.objects.filter(person=person).update(
        old_display="", new_display="", old_sealed="", new_sealed=""
    )


def former_residents_past(cutoff: datetime):
    """People who moved out or died before the cutoff and are not erased yet (oldest first)."""
    return (
        Person.objects.filter(
            status__in=[PersonStatus.MOVED_OUT, PersonStatus.DECEASED],
            current_household__isnull=True,
            erasure__isnull=True,
        )
        .annotate(last_out=Max("residencies__moved_out"))
        .filter(last_out__lt=cutoff.date())
        .order_by("last_out", "pk")
    )


def erase_for_retention(people) -> int:
    """The retention sweep's end for former residents: erased by the system, one by one."""
    actor = system_actor()
    erased = 0
    for person in people:
        person_erase(actor=actor, person=person, reason="retention")
        erased += 1
    return erased
