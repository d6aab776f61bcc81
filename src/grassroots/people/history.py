"""The register's history: a row per change, written with the change, never edited.

Every write to the register (people.services, the import, the admin) records what it changed
through `record` (one field) or `record_details` (a person's details before and after), in the
same transaction, so the history can never disagree with the register. A registration is one
row (`registration_values`: every detail given and the household moved into, the numbers
sealed together), which the page reads back as a line per detail (`entries`), as it reads the
rows of a detail each that registrations wrote before. The row names the
screen or import that made the change: callers say it with `through("import #12")` around the
service calls, or pass `source=`; a write with neither is "other" (the shell, a data migration).

Phone and ID numbers are personal data: a row keeps them sealed with the data key and shows
them masked (`138****5678`); the full values are there for a lawful reveal, never on a page.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from grassroots.core import pii
from grassroots.core.authority import user_can
from grassroots.people.models import (
    Person,
    PersonStatus,
    RegistryChange,
    Relation,
    Sex,
    VulnerabilityTag,
)

#: The fields whose values are personal numbers: sealed in the row, shown masked.
PERSONAL_NUMBER_FIELDS = {"phone": pii.mask_phone, "id_number": pii.mask_id_number}

#: The person's details the history follows, in the order a page shows them.
PERSON_DETAIL_FIELDS = ("name", "sex", "birth_date", "id_number", "phone", "no_sms", "note", "status")

_source: ContextVar[str] = ContextVar("registry_source", default="")

#: What a row says when nobody named the screen or import (the shell, a data migration).
OTHER_SOURCE = "other"


@contextlib.contextmanager
def through(source: str) -> Iterator[None]:
    """Name the screen or import ("person-edit", "import #12") for every change made inside."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


def current_source() -> str:
    return _source.get() or OTHER_SOURCE


def _display(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:200]


def display_of(field: str, value: Any) -> str:
    """What a row shows of a value: a personal number masked, anything else as text."""
    mask = PERSONAL_NUMBER_FIELDS.get(field)
    if mask is None:
        return _display(value)
    return mask(value) if value else ""


#: A history row's columns in the order `change_values` gives them (and a COPY writer writes them).
CHANGE_COLUMNS = (
    "community_id",
    "person_id",
    "household_id",
    "action",
    "field",
    "old_display",
    "new_display",
    "old_sealed",
    "new_sealed",
    "reason",
    "source",
    "actor_id",
    "at",
)


def change_values(
    *,
    community_id: int,
    action: str,
    actor=None,
    person_id: int | None = None,
    household_id: int | None = None,
    field: str = "",
    old: Any = None,
    new: Any = None,
    reason: str = "",
    source: str = "",
    at=None,
) -> tuple:
    """A history row's values (CHANGE_COLUMNS), numbers still in clear for the sealed columns.

    The one place that decides what a row holds: `change_row` makes a model of it (its sealed
    field seals on save), a COPY writer (people.bulk) seals the numbers itself.
    """
    old_display, new_display = display_of(field, old), display_of(field, new)
    if field in PERSONAL_NUMBER_FIELDS:
        old_sealed, new_sealed = (old or ""), (new or "")
    else:
        old_sealed = new_sealed = ""
    return (
        community_id,
        person_id,
        household_id,
        action,
        field,
        old_display,
        new_display,
        old_sealed,
        new_sealed,
        reason[:200],
        (source or current_source())[:60],
        actor.pk if getattr(actor, "pk", None) else None,
        at or timezone.now(),
    )


def change_model(values: tuple, actor=None) -> RegistryChange:
    """An unsaved history row of `change_values`' values (with its actor, when there is one)."""
    row = RegistryChange(**dict(zip(CHANGE_COLUMNS, values, strict=True)))
    if row.actor_id is not None:
        row.actor = actor
    return row


def change_row(*, actor=None, **kwargs) -> RegistryChange:
    """An unsaved history row (for bulk writers such as the import); `record` saves one."""
    return change_model(change_values(actor=actor, **kwargs), actor)


def record(**kwargs) -> RegistryChange:
    """Save one history row now (inside the caller's transaction); see `change_row`."""
    row = change_row(**kwargs)
    row.save()
    return row


def record_for(person: Person, *, action: str, field: str, actor=None, old=None, new=None, reason: str = ""):
    """Save one row about a person, at the household they live in now (see `record`)."""
    return record(
        community_id=person.community_id,
        person_id=person.pk,
        household_id=person.current_household_id,
        action=action,
        actor=actor,
        field=field,
        old=old,
        new=new,
        reason=reason,
    )


def move_values(
    *,
    community_id: int,
    person_id: int,
    status: str,
    household_id: int,
    address: str,
    action: str,
    moving_in: bool,
    reason: str,
    old_status: str,
    actor=None,
    source: str = "",
    at=None,
) -> list[tuple]:
    """The values of the rows for one move: the household entered or left, and the status if it changed.

    `action` is "move_in", "move_out" or "death"; `status` is the person's new status.
    """
    common = {
        "community_id": community_id,
        "person_id": person_id,
        "household_id": household_id,
        "action": action,
        "actor": actor,
        "source": source,
        "at": at,
    }
    rows = [
        change_values(
            **common,
            field="household",
            old=None if moving_in else address,
            new=address if moving_in else None,
            reason=reason,
        )
    ]
    if old_status != status:
        rows.append(change_values(**common, field="status", old=old_status, new=status))
    return rows


def move_rows(*, person: Person, household, **move) -> list[RegistryChange]:
    """Unsaved rows for one move: `move_values` (action, moving_in, reason, old_status, actor,
    source) of this person and household; `person.status` is already the new status."""
    values = move_values(
        community_id=person.community_id,
        person_id=person.pk,
        status=person.status,
        household_id=household.pk,
        address=household.address,
        **move,
    )
    return [change_model(row, move.get("actor")) for row in values]


def move_in_reason(relation_label: str, moved_in: date) -> str:
    """What a move-in row says beside the household: the relation and the date (户主 · 2020-05-01)."""
    return f"{relation_label} · {moved_in.isoformat()}"


def person_details(person: Person) -> dict[str, Any]:
    """The followed details of a person as plain values (numbers decrypted, for comparing)."""
    return {
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "id_number": pii.decrypt(person.id_number_encrypted) if person.id_number_encrypted else "",
        "phone": pii.decrypt(person.phone_encrypted) if person.phone_encrypted else "",
        "no_sms": person.no_sms,
        "note": person.note,
        "status": person.status,
    }


def _blank(value: Any) -> bool:
    return value is None or value == "" or value is False


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The followed fields whose value differs, in page order.

    Nothing and an empty value are the same (a new person without a note, or not marked
    "no SMS", gets no row for it): the history shows what was said, not every blank.
    """
    return [
        name
        for name in PERSON_DETAIL_FIELDS
        if before.get(name) != after.get(name) and not (_blank(before.get(name)) and _blank(after.get(name)))
    ]


def detail_values(
    *,
    community_id: int,
    person_id: int,
    household_id: int | None,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    action: str,
    actor=None,
    source: str = "",
    at=None,
) -> list[tuple]:
    """The values of a row for every followed detail that differs from `before` (empty: a new person).

    `at` is when (now, unless a bulk writer gives the one moment of its whole batch).
    """
    return [
        change_values(
            community_id=community_id,
            person_id=person_id,
            household_id=household_id,
            action=action,
            actor=actor,
            field=name,
            old=before.get(name),
            new=after[name],
            source=source,
            at=at,
        )
        for name in changed_fields(before, after)
    ]


def detail_rows(
    *,
    person: Person,
    before: Mapping[str, Any],
    action: str,
    actor=None,
    source: str = "",
    after: Mapping[str, Any] | None = None,
) -> list[RegistryChange]:
    """Unsaved rows for every detail of `person` that differs from `before` (empty: a new person).

    A bulk writer that still holds the plain values passes them as `after`, so that nothing it
    has just sealed is opened again.
    """
    values = detail_values(
        community_id=person.community_id,
        person_id=person.pk,
        household_id=person.current_household_id,
        before=before,
        after=person_details(person) if after is None else after,
        action=action,
        actor=actor,
        source=source,
    )
    return [change_model(row, actor) for row in values]


#: The `field` of a registration's one row: its values are the details registered, not one field's.
REGISTRATION_FIELD = "details"


def _json_writer():
    """Compact JSON of a flat dict of text, the characters as they are (中文, not \\u escapes).

    `JSONEncoder.encode` makes a new C encoder at each call, a third of a registration row's
    cost in an import; the C encoder made once (where the interpreter has it) writes the same.
    """
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    write = make(None, encoder.default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(write(value, 0))


_to_json = _json_writer()


def registration_values(
    *,
    community_id: int,
    person_id: int,
    household_id: int | None,
    after: Mapping[str, Any],
    address: str = "",
    reason: str = "",
    actor=None,
    source: str = "",
    at=None,
) -> tuple:
    """A registration's one history row (CHANGE_COLUMNS): how every registration is recorded.

    `after` holds the followed details in clear (PERSON_DETAIL_FIELDS); `address` and `reason`
    (`move_in_reason`) the household moved into at once, if any. `new_display` holds what the
    page shows (JSON, in page order: each detail given, numbers masked, then "household");
    `new_sealed` the numbers given (JSON, still in clear here: the model's field seals it, a COPY
    writer seals it itself); `entries` reads the row back as a line per detail. One row rather
    than one a detail and the move in: an import registers ten thousands of people at a time.
    """
    shown, numbers = {}, {}
    for name in PERSON_DETAIL_FIELDS:
        value = after.get(name)
        if not _blank(value):
            shown[name] = display_of(name, value)
            if name in PERSONAL_NUMBER_FIELDS:
                numbers[name] = value
    if household_id is not None:
        shown["household"] = address
    return (
        community_id,
        person_id,
        household_id,
        "register",
        REGISTRATION_FIELD,
        "",
        _to_json(shown),
        "",
        _to_json(numbers) if numbers else "",
        reason[:200],
        (source or current_source())[:60],
        actor.pk if getattr(actor, "pk", None) else None,
        at or timezone.now(),
    )


def record_registration(*, person: Person, household=None, reason: str = "", actor=None) -> RegistryChange:
    """Save the registration row of a person just registered (and moved into `household`)."""
    row = change_model(
        registration_values(
            community_id=person.community_id,
            person_id=person.pk,
            household_id=household.pk if household is not None else None,
            after=person_details(person),
            address=household.address if household is not None else "",
            reason=reason,
            actor=actor,
        ),
        actor,
    )
    row.save()
    return row


def record_details(*, person: Person, before: Mapping[str, Any], action: str, actor=None) -> int:
    """Save a row for each changed detail; returns how many."""
    rows = detail_rows(person=person, before=before, action=action, actor=actor)
    RegistryChange.objects.bulk_create(rows)
    return len(rows)


# --- reading the history back (the person and household pages) -------------------------------

#: How many rows a page shows before it says "and more": the newest first.
PAGE_ROWS = 50

#: Fields whose stored value is a code, shown in the reader's language.
_CODED_VALUES = {"status": PersonStatus, "sex": Sex, "relation": Relation}


def action_label(action: str) -> str:
    labels = {
        "register": _("registered"),
        "edit": _("details corrected"),
        "move_in": _("moved in"),
        "move_out": _("moved out"),
        "death": _("died"),
        "tag": _("tagged"),
        "untag": _("tag removed"),
        "relation": _("relation changed"),
        "household_new": _("household created"),
        "building_head": _("building head changed"),
        "household_split": _("household split"),
        "household_merge": _("households merged"),
        "party": _("party membership changed"),
        "team_join": _("joined a volunteer team"),
        "team_leave": _("left a volunteer team"),
        "volunteer": _("volunteering changed"),
    }
    return str(labels.get(action, action))


def field_label(field: str, tags: Mapping[str, VulnerabilityTag]) -> str:
    if field.startswith("tag:"):
        tag = tags.get(field[4:])
        return str(tag) if tag else field[4:]
    labels = {
        "name": pgettext("a person's", "name"),
        "sex": _("sex"),
        "birth_date": _("birth date"),
        "id_number": _("ID number"),
        "phone": _("phone"),
        "no_sms": _("no SMS"),
        "note": _("note"),
        "status": _("status"),
        "household": _("household"),
        "relation": _("relation to household head"),
        "address": _("address"),
        "building_head": _("building head"),
        "party_branch": _("party branch"),
        "party_kind": _("kind of party membership"),
        "team": _("volunteer team"),
        "volunteer_active": _("active volunteer"),
    }
    return str(labels.get(field, field))


def source_label(source: str) -> str:
    """What a history row says made the change: the screen or the import, in words, not its code."""
    labels = {
        "person-new": _("registering a person"),
        "person-edit": _("the person's details"),
        "person-move-in": _("recording a move in"),
        "person-move-out": _("recording a move out or a death"),
        "person-tags": _("the person's tags"),
        "person-party": _("party membership"),
        "person-volunteering": _("volunteering"),
        "household-head": _("the household's head and relations"),
        "household-split": _("splitting a household"),
        "household-merge": _("merging households"),
        "building-head": _("building heads"),
        "team-members": _("the team's members"),
        "intake": _("the intake desk"),
        OTHER_SOURCE: _("the system"),
    }
    if source in labels:
        return str(labels[source])
    number = source.removeprefix("import #")
    if number != source and number.isdigit():
        return _("import #%(number)s") % {"number": number}
    return source


@dataclass(frozen=True)
class Entry:
    """One line of the history as stored: what changed (codes, numbers masked), from and to."""

    action: str
    field: str
    old_display: str
    new_display: str
    reason: str


def entries(row: RegistryChange) -> list[Entry]:
    """How a stored row reads: a line per detail of a registration row, else the row's own line.

    The one reading of `registration_values`: each detail registered, then the move into the
    household with the row's reason, as the rows of a detail each that registrations wrote
    before read. An erased registration (privacy.services) reads as one line without values.
    """
    if row.field != REGISTRATION_FIELD:
        return [Entry(row.action, row.field, row.old_display, row.new_display, row.reason)]
    try:
        shown = json.loads(row.new_display) if row.new_display else {}
    except ValueError:
        shown = {}
    lines = [
        Entry(row.action, name, "", str(value), "") for name, value in shown.items() if name != "household"
    ]
    if "household" in shown:
        lines.append(Entry("move_in", "household", "", str(shown["household"]), row.reason))
    return lines or [Entry(row.action, "", "", "", row.reason)]


@dataclass(frozen=True)
class HistoryLine:
    """One line of the history tab: an entry of a row, in the reader's words."""

    at: Any
    actor: Any
    source: str
    action: str
    field: str
    reason: str
    action_label: str
    field_label: str
    old_shown: str
    new_shown: str
    source_label: str


def _shown_value(field: str, value: str) -> str:
    choices = _CODED_VALUES.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return value


def _hidden_fields_for(user) -> list[str]:
    """The `tag:<code>` fields this user may not read: sensitive tags, unless the role sees them."""
    if user_can(user, "people.persontag.view_sensitive"):
        return []
    return [
        f"tag:{code}"
        for code in VulnerabilityTag.objects.filter(sensitive=True).values_list("code", flat=True)
    ]


@dataclass(frozen=True)
class HistoryPage:
    """The newest history rows a user may read as lines for a page, and whether there are more."""

    rows: list
    more: bool


def history_for(
    user, *, person: Person | None = None, household=None, limit: int = PAGE_ROWS
) -> HistoryPage | None:
    """A person's or a household's history as `user` may read it, newest first.

    Read through `visible_to` like every page, and without the rows about sensitive tags for a
    role that may not see those tags (the tag list on the same page hides them the same way):
    a history row must not tell what the page itself keeps back. Numbers are the masked display.
    None for a role that does not read the history at all (a resident: it names staff and screens).
    """
    if not user_can(user, "people.registrychange.view"):
        return None
    rows = RegistryChange.objects.visible_to(user).select_related("actor")
    if person is not None:
        rows = rows.filter(person=person)
    if household is not None:
        rows = rows.filter(household=household)
    hidden = _hidden_fields_for(user)
    if hidden:
        rows = rows.exclude(field__in=hidden)
    found = list(rows.order_by("-at", "-id")[: limit + 1])
    tags = {tag.code: tag for tag in VulnerabilityTag.objects.all()}
    lines = [
        HistoryLine(
            at=row.at,
            actor=row.actor,
            source=row.source,
            action=entry.action,
            field=entry.field,
            reason=entry.reason,
            action_label=action_label(entry.action),
            field_label=field_label(entry.field, tags),
            old_shown=_shown_value(entry.field, entry.old_display),
            new_shown=_shown_value(entry.field, entry.new_display),
            source_label=source_label(row.source),
        )
        for row in found[:limit]
        for entry in entries(row)
    ]
    return HistoryPage(rows=lines, more=len(found) > limit)
