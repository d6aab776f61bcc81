"""The one write path for people: register, move, tag, reveal.

Each service validates everything before it writes, writes in one transaction,
and raises django.core.exceptions.ValidationError with per-field messages that
forms show as they are, so bad input saves nothing and loses nothing typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grassroots.core import audit, pii
from grassroots.core.authority import user_can, user_scope
from grassroots.core.bulk import copy_supported
from grassroots.people import bulk, history
from grassroots.people.bulk import NewResident
from grassroots.people.models import (
    GUARDIAN_CONSENT_UNDER,
    Consent,
    ConsentGiver,
    ConsentMethod,
    Person,
    PersonalDataAccess,
    PersonNameKey,
    PersonStatus,
    PersonTag,
    RegistryChange,
    Relation,
    ResidenceType,
    Residency,
    VulnerabilityTag,
)
from grassroots.people.search import other_readings
from grassroots.places.models import Building, Household

ID_ERRORS = {
    "format": lambda: _("An ID number has 17 digits and a final digit or X."),
    "birth-date": lambda: _("The ID number does not contain a valid birth date."),
    "check-digit": lambda: _("The check digit is wrong: please read the number again."),
}


@dataclass(frozen=True)
class PersonDetails:
    """What intake collects about a person; every field is checked by `person_register`."""

    name: str
    sex: str = ""
    birth_date: date | None = None
    id_number: str = ""
    phone: str = ""
    note: str = ""
    no_sms: bool = False  # staff know that nobody reads text messages on this phone


def person_check_details(details: PersonDetails) -> dict[str, str]:
    """Normalise and check; returns the derived sex and birth date or raises per-field errors."""
    errors: dict[str, list[str]] = {}
    derived: dict[str, object] = {}
    if not details.name.strip():
        errors.setdefault("name", []).append(_("Please enter the name."))
    number = pii.normalise_id_number(details.id_number)
    if number:
        try:
            pii.validate_id_number(number)
        except pii.IdNumberError as exc:
            errors.setdefault("id_number", []).append(ID_ERRORS[str(exc)]())
        else:
            encoded_birth = pii.id_birth_date(number)
            if details.birth_date and details.birth_date != encoded_birth:
                errors.setdefault("birth_date", []).append(
                    _("The birth date disagrees with the ID number (%(date)s).")
                    % {"date": encoded_birth.isoformat()}
                )
            if details.sex and details.sex != pii.id_sex(number):
                errors.setdefault("sex", []).append(_("The sex disagrees with the ID number."))
            derived = {"birth_date": encoded_birth, "sex": pii.id_sex(number)}
    if details.birth_date and details.birth_date > timezone.localdate():
        errors.setdefault("birth_date", []).append(_("The birth date is in the future."))
    phone = pii.normalise_phone(details.phone)
    if phone and not pii.phone_is_plausible(phone):
        errors.setdefault("phone", []).append(
            _("A phone number is 11 digits starting with 1, or a landline with its area code.")
        )
    if not (details.sex or derived.get("sex")):
        errors.setdefault("sex", []).append(_("Please choose the sex."))
    if errors:
        raise ValidationError(errors)
    return derived


def person_check_not_duplicate(
    *,
    details: PersonDetails,
    birth_date: date | None,
    household: Household | None,
    exclude_id: int | None = None,
) -> None:
    number = pii.normalise_id_number(details.id_number)
    others = Person.objects.exclude(id=exclude_id) if exclude_id else Person.objects.all()
    if number and others.with_id_number(number).exists():
        raise ValidationError({"id_number": _("A person with this ID number is already registered.")})
    if (
        household is not None
        and others.filter(
            current_household=household,
            name=details.name.strip(),
            birth_date=birth_date,
        ).exists()
    ):
        raise ValidationError({"name": _("This person is already registered in this household.")})


def _apply_details(person: Person, details: PersonDetails, derived: dict) -> None:
    for name, value in bulk.detail_columns(details, derived).items():
        setattr(person, name, value)


def other_reading_rows(people: Iterable[Person]) -> list[PersonNameKey]:
    """The PersonNameKey rows of these people's names, each name read once (people.search)."""
    readings: dict[str, list[tuple[str, str]]] = {}
    rows = []
    for person in people:
        if person.name not in readings:
            readings[person.name] = other_readings(person.name)
        rows += [
            PersonNameKey(person=person, pinyin=spelled, initials=initials)
            for spelled, initials in readings[person.name]
        ]
    return rows


def write_other_readings(person: Person) -> None:
    """Replace the other pinyin readings of the person's name (people.search.pinyin_readings)."""
    person.name_keys.all().delete()
    PersonNameKey.objects.bulk_create(other_reading_rows([person]))


def _require(user, capability: str) -> None:
    """Deny by default: nobody (None) holds no capability, so every write names its actor."""
    if not user_can(user, capability):
        raise PermissionDenied


def _require_in_scope(
    user, *, person: Person | None = None, household: Household | None = None, community_id: int | None = None
) -> None:
    """The actor must see what they change: the same scoping as every page (404 = not allowed)."""
    if user is None:
        raise PermissionDenied
    if person is not None and not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied
    if household is not None and not Household.objects.visible_to(user).filter(pk=household.pk).exists():
        raise PermissionDenied
    everywhere = user_scope(user).level == "all"  # superusers and the system actor
    if community_id is not None and not (everywhere or user.community_id == community_id):
        raise PermissionDenied


def person_register(
    *,
    actor,
    community_id: int,
    details: PersonDetails,
    household: Household | None = None,
    relation: str = Relation.OTHER,
    residence_type: str = ResidenceType.PERMANENT,
    moved_in: date | None = None,
) -> Person:
    """Enter a person once; with a household, they move in there at the same time.

    Trusted callers (imports run by an operator, the shell) pass `accounts.system_actor()`, so
    that the write is recorded with an actor; no caller passes None any more.
    """
    _require(actor, "people.person.add")
    _require_in_scope(actor, community_id=community_id)
    derived = person_check_details(details)
    if household is not None and household.building.community_id != community_id:
        raise ValidationError({"household": _("This household belongs to another community.")})
    _require_in_scope(actor, household=household)
    with transaction.atomic():
        person_check_not_duplicate(
            details=details,
            birth_date=details.birth_date or derived.get("birth_date"),
            household=household,
        )
        person = Person(
            community_id=community_id, status=PersonStatus.LIVING if household else PersonStatus.NOT_RESIDENT
        )
        _apply_details(person, details, derived)
        person.save()
        write_other_readings(person)
        reason = ""
        if household is not None:
            moved_in = moved_in or timezone.localdate()
            _open_residency(
                person,
                household=household,
                relation=relation,
                residence_type=residence_type,
                moved_in=moved_in,
                actor=actor,
                action="",  # the registration's row records the move in
            )
            reason = history.move_in_reason(Relation(relation).label, moved_in)
        history.record_registration(person=person, household=household, reason=reason, actor=actor)
    return person


def person_register_many(
    *, actor, community_id: int, residents: list[NewResident], source: str, batch_size: int = 2000
) -> int:
    """`person_register` for many people at once (the ledger import): the same rows, written in bulk.

    The caller has checked every row (details, duplicates in the file and the registry) and
    holds the transaction; this writes the people, their other pinyin readings, their
    residencies and their history rows (people.bulk): with COPY on PostgreSQL, with bulk_create
    elsewhere. Returns how many people were registered.
    """
    _require(actor, "people.person.add")
    _require_in_scope(actor, community_id=community_id)
    household_ids = {r.household_id for r in residents if r.household_id is not None}
    if Household.objects.filter(pk__in=household_ids).exclude(building__community_id=community_id).exists():
        raise ValidationError({"household": _("This household belongs to another community.")})
    with transaction.atomic():
        if copy_supported():
            bulk.write_copy(residents, actor=actor, community_id=community_id, source=source)
        else:
            bulk.write_orm(
                residents, actor=actor, community_id=community_id, source=source, batch_size=batch_size
            )
    return len(residents)


def person_update(*, actor, person: Person, details: PersonDetails) -> Person:
    """Correct a person's details (a typo in the name, a new phone)."""
    _require(actor, "people.person.change")
    _require_in_scope(actor, person=person)
    derived = person_check_details(details)
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        person_check_not_duplicate(
            details=details,
            birth_date=details.birth_date or derived.get("birth_date"),
            household=locked.current_household,
            exclude_id=locked.pk,
        )
        before = history.person_details(locked)
        _apply_details(locked, details, derived)
        locked.save()
        write_other_readings(locked)
        history.record_details(person=locked, before=before, action="edit", actor=actor)
    return locked


def _open_residency(
    person: Person,
    *,
    household: Household,
    relation: str,
    residence_type: str,
    moved_in: date,
    actor,
    action: str = "move_in",
) -> Residency:
    """Move the person in; `action` names the move's history rows ("": none, the registration's
    own row records the household, history.registration_values)."""
    residency = Residency.objects.create(
        person=person,
        household=household,
        relation=relation,
        residence_type=residence_type,
        moved_in=moved_in,
    )
    old_status = person.status
    person.current_household = household
    person.status = PersonStatus.LIVING
    person.save(update_fields=["current_household", "status", "updated_at"])
    if not action:
        return residency
    RegistryChange.objects.bulk_create(
        history.move_rows(
            person=person,
            household=household,
            action=action,
            moving_in=True,
            reason=history.move_in_reason(Relation(relation).label, moved_in),
            old_status=old_status,
            actor=actor,
        )
    )
    return residency


def _record_move_out(
    person: Person, residency: Residency, *, actor, old_status: str, note: str, action: str = ""
) -> None:
    RegistryChange.objects.bulk_create(
        history.move_rows(
            person=person,
            household=residency.household,
            action=action or ("death" if person.status == PersonStatus.DECEASED else "move_out"),
            moving_in=False,
            reason=f"{residency.moved_out.isoformat()} {note}".strip(),
            old_status=old_status,
            actor=actor,
        )
    )


def person_move_out(
    *, actor, person: Person, on: date, note: str = "", status: str = PersonStatus.MOVED_OUT
) -> Residency:
    """Close the current residency (moving away, or death). History is kept, never overwritten."""
    _require(actor, "people.residency.change")
    _require_in_scope(actor, person=person)
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        residency = locked.residencies.filter(moved_out__isnull=True).first()
        if residency is None:
            raise ValidationError(_("This person does not live in the community now."))
        if on < residency.moved_in:
            raise ValidationError({"on": _("The move-out date is before the move-in date.")})
        residency.moved_out = on
        residency.move_note = note
        residency.save(update_fields=["moved_out", "move_note"])
        old_status = locked.status
        locked.current_household = None
        locked.status = status
        locked.save(update_fields=["current_household", "status", "updated_at"])
        _record_move_out(locked, residency, actor=actor, old_status=old_status, note=note)
    return residency


def person_move_in(
    *,
    actor,
    person: Person,
    household: Household,
    relation: str,
    residence_type: str,
    on: date,
    note: str = "",
) -> Residency:
    """Move a person into a household; a current residency elsewhere is closed the same day."""
    _require(actor, "people.residency.change")
    _require_in_scope(actor, person=person)
    if household.building.community_id != person.community_id:
        raise ValidationError({"household": _("This household belongs to another community.")})
    _require_in_scope(actor, household=household)
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.status == PersonStatus.DECEASED:
            raise ValidationError(_("This person is recorded as deceased."))
        current = locked.residencies.filter(moved_out__isnull=True).first()
        if current is not None and current.household_id == household.id:
            raise ValidationError({"household": _("This person already lives here.")})
        return _relocate(
            locked,
            current,
            to=household,
            relation=relation,
            residence_type=residence_type,
            on=on,
            note=note,
            actor=actor,
        )


def _relocate(
    locked: Person,
    current: Residency | None,
    *,
    to: Household,
    relation: str,
    residence_type: str,
    on: date,
    note: str,
    actor,
    action: str = "",
) -> Residency:
    """Close the current residency (if any) on `on` and open one in `to`: one move, two history rows.

    `action` names a move that is part of a larger act (a split or a merge of households);
    otherwise the rows read "moved out" and "moved in".
    """
    if current is not None:
        if on < current.moved_in:
            raise ValidationError({"on": _("The move-in date is before the last move.")})
        current.moved_out = on
        current.move_note = note
        current.save(update_fields=["moved_out", "move_note"])
        _record_move_out(locked, current, actor=actor, old_status=locked.status, note=note, action=action)
    residency = _open_residency(
        locked,
        household=to,
        relation=relation,
        residence_type=residence_type,
        moved_in=on,
        actor=actor,
        action=action or "move_in",
    )
    residency.move_note = note
    residency.save(update_fields=["move_note"])
    return residency


def _household_members(household: Household) -> list[Residency]:
    """The current residencies of a household, locked for a change that moves several people."""
    return list(
        Residency.objects.select_for_update(of=("self",))
        .select_related("person", "household__building")
        .filter(household=household, moved_out__isnull=True)
        .order_by("id")
    )


def _check_heads(target: list[Residency], relations: Mapping[int, str]) -> None:
    """A household keeps one head: the newcomers bring one only where the household has none.

    A flat nobody lives in needs a head among the newcomers; a household that has a head takes
    nobody else as head; one whose head is missing (an incomplete register) may get one or not.
    """
    if any(relation not in Relation.values for relation in relations.values()):
        raise ValidationError({"members": _("Please choose a relation for everyone who moves.")})
    heads = sum(1 for relation in relations.values() if relation == Relation.HEAD)
    if heads > 1:
        raise ValidationError({"members": _("Only one person can be the head of the household.")})
    has_head = any(residency.relation == Relation.HEAD for residency in target)
    if has_head and heads:
        raise ValidationError({"members": _("The household they join already has a head.")})
    if not target and not heads:
        raise ValidationError({"members": _("Nobody lives there yet: choose who is the head.")})


def _check_target(actor, household: Household, to: Household) -> None:
    _require(actor, "people.residency.change")
    _require_in_scope(actor, household=household)
    _require_in_scope(actor, household=to)
    if to.pk == household.pk:
        raise ValidationError({"household": _("Choose another household than this one.")})
    if to.building.community_id != household.building.community_id:
        raise ValidationError({"household": _("This household belongs to another community.")})


def _move_members(
    members: list[Residency],
    relations: Mapping[int, str],
    *,
    to: Household,
    on: date,
    note: str,
    actor,
    action,
) -> None:
    for residency in members:
        if residency.person_id in relations:
            _relocate(
                residency.person,
                residency,
                to=to,
                relation=relations[residency.person_id],
                residence_type=residency.residence_type,
                on=on,
                note=note,
                actor=actor,
                action=action,
            )


def household_split(
    *,
    actor,
    household: Household,
    to: Household,
    leaving: Mapping[int, str],
    on: date,
    note: str = "",
    remaining_head: int | None = None,
) -> None:
    """Split a household (分户): the members in `leaving` (person id → relation there) move to `to`.

    One act in one transaction: every move is recorded as part of the split, and when the head
    leaves, the member named `remaining_head` becomes the head of those who stay, so neither
    household is left with two heads, or without one it had.
    """
    _check_target(actor, household, to)
    with transaction.atomic():
        members = _household_members(household)
        by_person = {residency.person_id: residency for residency in members}
        if not leaving:
            raise ValidationError({"members": _("Choose who moves to the new household.")})
        if any(person_id not in by_person for person_id in leaving):
            raise ValidationError({"members": _("This person does not live in this household.")})
        staying = [residency for residency in members if residency.person_id not in leaving]
        if not staying:
            raise ValidationError(
                {"members": _("Everybody would leave: to move the whole household, merge it into the other.")}
            )
        _check_heads(_household_members(to), leaving)
        head_leaves = any(by_person[pk].relation == Relation.HEAD for pk in leaving)
        new_head = next((r for r in staying if r.person_id == remaining_head), None)
        if head_leaves and new_head is None:
            message = _("The head leaves: choose the head of those who stay.")
            raise ValidationError({"remaining_head": message})
        _move_members(members, leaving, to=to, on=on, note=note, actor=actor, action="household_split")
        if head_leaves:
            reason = _("New head: %(name)s") % {"name": new_head.person.name}
            _set_relation(new_head, Relation.HEAD, actor=actor, reason=reason)
        _record_households_act(household, to, action="household_split", count=len(leaving), actor=actor)


def household_merge(
    *, actor, household: Household, into: Household, relations: Mapping[int, str], on: date, note: str = ""
) -> None:
    """Merge a household into another (合户): all its members move there, each with a relation.

    The flat itself stays in the register (empty), so its cases and visits keep their place.
    """
    _check_target(actor, household, into)
    with transaction.atomic():
        members = _household_members(household)
        if not members:
            raise ValidationError({"members": _("Nobody lives in this household now.")})
        if set(relations) != {residency.person_id for residency in members}:
            raise ValidationError({"members": _("Please choose a relation for everyone who moves.")})
        _check_heads(_household_members(into), relations)
        _move_members(members, relations, to=into, on=on, note=note, actor=actor, action="household_merge")
        _record_households_act(household, into, action="household_merge", count=len(members), actor=actor)


def _record_households_act(household: Household, to: Household, *, action: str, count: int, actor) -> None:
    """One row on each household for the act itself, beside the rows of each person's move."""
    for side in (household, to):
        history.record(
            community_id=household.building.community_id,
            household_id=side.pk,
            action=action,
            actor=actor,
            field="address",
            old=household.address,
            new=to.address,
            reason=ngettext("%(count)d person", "%(count)d people", count) % {"count": count},
        )


def person_tag(
    *,
    actor,
    person: Person,
    tag: VulnerabilityTag,
    level: int | None = None,
    since: date | None = None,
    note: str = "",
) -> PersonTag:
    """Put a vulnerability tag on a person (or update its level)."""
    _require(actor, "people.persontag.change")
    _require_in_scope(actor, person=person)
    if tag.has_level and level is None:
        raise ValidationError({"level": _("This tag needs a level.")})
    if not tag.has_level:
        level = None
    with transaction.atomic():
        previous = PersonTag.objects.filter(person=person, tag=tag).first()
        person_tag_row, _created = PersonTag.objects.update_or_create(
            person=person, tag=tag, defaults={"level": level, "since": since, "note": note}
        )
        if previous is None or previous.level != level:
            _record_tag(
                person,
                tag,
                action="tag",
                actor=actor,
                old=(previous.level or "✓") if previous else "",
                new=level or "✓",
                reason=note,
            )
    return person_tag_row


def _record_tag(person: Person, tag: VulnerabilityTag, *, action: str, actor, old, new, reason: str) -> None:
    """A tag's history row: its field names the tag, so pages can hide a sensitive one's rows."""
    history.record_for(
        person, action=action, actor=actor, field=f"tag:{tag.code}", old=old, new=new, reason=reason
    )


def person_reveal(*, actor, person: Person, field: str, purpose: str, ip_address: str | None) -> str:
    """Show an ID or phone number in full: needs the capability and a purpose, and is logged."""
    if field not in {"phone", "id_number"}:
        raise ValidationError({"field": _("Unknown field.")})
    if not Person.objects.visible_to(actor, "reveal").filter(pk=person.pk).exists():
        raise PermissionDenied
    purpose = (purpose or "").strip()
    if len(purpose) < 2:
        raise ValidationError({"purpose": _("Please say why you need the full number.")})
    purpose = purpose[:200]
    try:
        value = person.reveal(field)
    except Exception as error:  # a number that cannot be opened: recorded as a failed reveal, not a reveal
        audit.record(
            audit.REVEAL,
            outcome=audit.FAILED,
            actor=actor,
            subject=person,
            detail={"field": field, "purpose": purpose, "error": type(error).__name__},
        )
        raise
    with transaction.atomic():
        access = PersonalDataAccess.objects.create(
            user=actor, person=person, field=field, purpose=purpose, ip_address=ip_address
        )
        audit.record(
            audit.REVEAL,
            actor=actor,
            subject=person,
            detail={"field": field, "purpose": purpose, "access": access.pk},
        )
    return value


#: The version of the notice on sensitive information that people are shown (templates/includes/
#: sensitive_notice.html): a consent names the text it was given on.
SENSITIVE_NOTICE_VERSION = "2026-12"


def consent_on_file(person: Person) -> Consent | None:
    """The person's current (not withdrawn) consent to keeping sensitive information, if any."""
    return person.consents.filter(withdrawn_at__isnull=True).order_by("-at").first()


def needs_guardian(person: Person) -> bool:
    return person.age is not None and person.age < GUARDIAN_CONSENT_UNDER


def consent_record(
    *, actor, person: Person, given_by: str, method: str, guardian_name: str = "", guardian_relation: str = ""
) -> Consent:
    """Record that the person (or a child's guardian) was told and agreed, by someone who may."""
    _require(actor, "privacy.consent.record")
    _require_in_scope(actor, person=person)
    return consent_create(
        actor=actor,
        person=person,
        given_by=given_by,
        method=method,
        guardian_name=guardian_name,
        guardian_relation=guardian_relation,
    )


def consent_problems(*, person: Person, given_by: str, method: str, guardian_name: str) -> dict[str, str]:
    """What is wrong with a consent as given (who may give it, how), by field; empty when fine."""
    errors: dict[str, str] = {}
    if given_by not in ConsentGiver.values:
        errors["given_by"] = _("Say who agreed.")
    if method not in ConsentMethod.values:
        errors["method"] = _("Say how they agreed.")
    if needs_guardian(person) and given_by != ConsentGiver.GUARDIAN:
        errors["given_by"] = _("This person is under 14: their guardian must agree (PIPL art. 31).")
    if given_by == ConsentGiver.GUARDIAN and not guardian_name.strip():
        errors["guardian_name"] = _("Please enter the guardian's name.")
    return errors


def consent_create(
    *, actor, person: Person, given_by: str, method: str, guardian_name: str = "", guardian_relation: str = ""
) -> Consent:
    """Write a consent; for callers that authorised the writer themselves (the visit form's visitor)."""
    errors = consent_problems(person=person, given_by=given_by, method=method, guardian_name=guardian_name)
    if errors:
        raise ValidationError(errors)
    by_guardian = given_by == ConsentGiver.GUARDIAN
    consent = Consent.objects.create(
        person=person,
        community_id=person.community_id,
        given_by=given_by,
        guardian_name=guardian_name.strip()[:50] if by_guardian else "",
        guardian_relation=guardian_relation.strip()[:30] if by_guardian else "",
        method=method,
        notice_version=SENSITIVE_NOTICE_VERSION,
        recorded_by=actor,
    )
    audit.record(audit.CONSENT, actor=actor, subject=person, detail={"given_by": given_by, "method": method})
    return consent


def consent_withdraw(*, actor, person: Person) -> int:
    """The person takes their consent back: the rows stay as evidence, dated; returns how many."""
    _require(actor, "privacy.consent.record")
    _require_in_scope(actor, person=person)
    withdrawn = person.consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=timezone.now())
    if withdrawn:
        audit.record(audit.CONSENT, actor=actor, subject=person, detail={"withdrawn": True})
    return withdrawn


def person_untag(*, actor, person: Person, tag: VulnerabilityTag, reason: str) -> None:
    """Take a vulnerability tag off a person, saying why (she no longer lives alone, ...).

    The reason is required: a tag decides who is visited, so removing one is a decision the
    history must explain; the row keeps the level the tag had.
    """
    _require(actor, "people.persontag.change")
    _require_in_scope(actor, person=person)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": _("Please say why the tag no longer applies.")})
    with transaction.atomic():
        current = PersonTag.objects.select_for_update().filter(person=person, tag=tag).first()
        if current is None:
            raise ValidationError({"tag": _("This person does not have this tag.")})
        current.delete()
        _record_tag(person, tag, action="untag", actor=actor, old=current.level or "✓", new="", reason=reason)


def _current_residency(person: Person) -> Residency:
    residency = Residency.objects.select_for_update().filter(person=person, moved_out__isnull=True).first()
    if residency is None:
        raise ValidationError(_("This person does not live in the community now."))
    return residency


def _set_relation(residency: Residency, relation: str, *, actor, reason: str = "") -> None:
    """Change one residency's relation and record it (codes in the row, labels on the page)."""
    if residency.relation == relation:
        return
    old = residency.relation
    residency.relation = relation
    residency.save(update_fields=["relation"])
    history.record(
        community_id=residency.household.building.community_id,
        person_id=residency.person_id,
        household_id=residency.household_id,
        action="relation",
        actor=actor,
        field="relation",
        old=old,
        new=relation,
        reason=reason,
    )


def residency_change_relation(*, actor, person: Person, relation: str) -> Residency:
    """Correct how a person is related to their household's head (not to make them the head)."""
    _require(actor, "people.residency.change")
    _require_in_scope(actor, person=person)
    if relation not in Relation.values:
        raise ValidationError({"relation": _("Please choose a relation.")})
    if relation == Relation.HEAD:
        raise ValidationError({"relation": _("Use “change the household head” to make someone the head.")})
    with transaction.atomic():
        residency = _current_residency(person)
        _set_relation(residency, relation, actor=actor)
    return residency


def household_change_head(
    *, actor, household: Household, person: Person, former_head_relation: str = Relation.OTHER
) -> None:
    """Make a member the head of their household; the former head (if any) takes another relation.

    Both changes are one act (one transaction, a history row for each), so a household never has
    two heads, nor none while it had one.
    """
    _require(actor, "people.residency.change")
    _require_in_scope(actor, household=household)
    _require_in_scope(actor, person=person)
    if former_head_relation not in Relation.values or former_head_relation == Relation.HEAD:
        raise ValidationError({"former_head_relation": _("Please choose the former head's new relation.")})
    with transaction.atomic():
        residencies = list(
            Residency.objects.select_for_update()
            .select_related("household__building")
            .filter(household=household, moved_out__isnull=True)
        )
        new_head = next((r for r in residencies if r.person_id == person.pk), None)
        if new_head is None:
            raise ValidationError({"person": _("This person does not live in this household.")})
        if new_head.relation == Relation.HEAD:
            raise ValidationError({"person": _("This person is already the head of the household.")})
        reason = _("New head: %(name)s") % {"name": person.name}
        for residency in residencies:
            if residency.relation == Relation.HEAD:
                _set_relation(residency, former_head_relation, actor=actor, reason=reason)
        _set_relation(new_head, Relation.HEAD, actor=actor, reason=reason)


def household_at_address(
    *, actor, community_id: int, building_number: int, entrance: int, room: str
) -> Household:
    """The household at building-entrance-room, created (and recorded) when the register lacks it.

    Registering a family that moves into a flat the register did not know is one step for the
    worker: the flat is created in the building's grid, inside the worker's scope (a building
    outside it reads as no building at all).
    """
    room = (room or "").strip()
    building = (
        Building.objects.visible_to(actor).filter(community_id=community_id, number=building_number).first()
    )
    if building is None:
        raise ValidationError(
            {
                "household": _("There is no building %(number)s here that you work in.")
                % {"number": building_number}
            }
        )
    if not entrance or entrance < 1 or entrance > building.entrances:
        raise ValidationError(
            {
                "household": _("Building %(number)s has entrances 1 to %(count)d.")
                % {"number": building.number, "count": building.entrances}
            }
        )
    if not room or len(room) > 16:
        raise ValidationError({"household": _("Please enter the room (for example 301).")})
    existing = Household.objects.filter(building=building, entrance=entrance, room=room).first()
    if existing is not None:
        _require_in_scope(actor, household=existing)
        return existing
    _require(actor, "places.household.add")
    with transaction.atomic():
        household = Household.objects.create(
            building=building, grid_id=building.grid_id, entrance=entrance, room=room
        )
        history.record(
            community_id=building.community_id,
            household_id=household.pk,
            action="household_new",
            actor=actor,
            field="address",
            new=household.address,
        )
    return household


def building_set_head(*, actor, building: Building, person: Person | None) -> Building:
    """Make a person the building head (楼长), or leave the building without one (None).

    The head is a resident the worker can see (usually of that building, not necessarily); the
    change is recorded in the history of the new head, or of the former one when none follows.
    """
    _require(actor, "places.building.change")
    if not Building.objects.visible_to(actor).filter(pk=building.pk).exists():
        raise PermissionDenied
    if person is not None:
        _require_in_scope(actor, person=person)
        if person.community_id != building.community_id:
            raise ValidationError({"person": _("This person belongs to another community.")})
    with transaction.atomic():
        locked = Building.objects.select_for_update(of=("self",)).select_related("head").get(pk=building.pk)
        former = locked.head
        if former == person:
            return locked
        locked.head = person
        locked.save(update_fields=["head"])
        history.record(
            community_id=locked.community_id,
            person_id=(person or former).pk,
            action="building_head",
            actor=actor,
            field="building_head",
            old=former.name if former else "",
            new=person.name if person else "",
            reason=str(locked),
        )
    return locked


def household_set_note(*, actor, household: Household, note: str) -> Household:
    """Change a household's note (what the office knows about the flat), with its history row."""
    _require(actor, "places.household.change")
    _require_in_scope(actor, household=household)
    note = (note or "").strip()
    with transaction.atomic():
        locked = (
            Household.objects.select_for_update(of=("self",)).select_related("building").get(pk=household.pk)
        )
        if locked.note == note:
            return locked
        before, locked.note = locked.note, note
        locked.save(update_fields=["note"])
        history.record(
            community_id=locked.building.community_id,
            household_id=locked.pk,
            action="edit",
            actor=actor,
            field="note",
            old=before,
            new=note,
        )
    return locked
