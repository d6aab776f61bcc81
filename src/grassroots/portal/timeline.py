"""What a resident sees of a case: plain words, roles instead of names, public entries only.

Staff appear as what they are to the resident ("social worker", "property management
company"), never by name; internal notes (CaseEvent.public = False) and the working notes of
staff (dispatch instructions, urging, extension requests) are left out; photos are limited to
the "after" pictures of the work, served through the portal's own access check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from grassroots.accounts.roles import resident_facing_label, role_of
from grassroots.cases.models import Assignment, Attachment, Case, CaseEvent
from grassroots.cases.workflow import NOTE_PUBLIC, NOTE_REPORTER, REGISTRY, Action, Status

#: Notes the resident reads on their own case: those written for them, and those for everyone.
READER_NOTES = frozenset({NOTE_REPORTER, NOTE_PUBLIC})


#: Status in plain words: a title and one sentence on what happens next.
STATUS_WORDS = {
    Status.REPORTED: (_("Received"), _("The community has your report and will look at it soon.")),
    Status.REGISTERED: (_("Accepted"), _("The community accepted it and is arranging who will handle it.")),
    Status.DISPATCHED: (_("Passed to the handlers"), _("The people who will handle it have been told.")),
    Status.ACKNOWLEDGED: (_("Being handled"), _("The handlers have taken it on and are working on it.")),
    Status.RESOLVED: (_("Done"), _("The handlers report that it is solved. Are you satisfied?")),
    Status.VERIFIED: (_("Checked with you"), _("Your answer is recorded; the case will be closed.")),
    Status.CLOSED: (_("Closed"), _("The case is closed. Thank you.")),
    Status.REJECTED: (_("Not taken on"), _("The community could not take this on; the reason is below.")),
    Status.MERGED: (_("Merged"), _("Someone reported the same problem earlier; it is followed there.")),
}


def status_words(status: str) -> tuple[str, str]:
    title, sentence = STATUS_WORDS.get(status, (status, ""))
    return str(title), str(sentence)


def actor_label(event: CaseEvent, case: Case) -> str:
    """The role of whoever acted, as the resident should read it ("you" for the reporter)."""
    if event.actor_id is None and event.party_link_id is not None:
        # A summoned party through its SMS link (cases.links): by role, as the parties are listed.
        return party_label(event.party_link.assignment)
    if event.actor_id is None:
        # No account: a member of the public's own report (portal.views.MEMBER_OF_THE_PUBLIC), or
        # their verdict through case_rate_by_token, recorded with the role "reporter".
        mine = event.action == Action.REPORT or event.actor_role == "reporter"
        return str(_("you")) if mine else resident_facing_label(role_of(None))
    if event.actor_id == case.reporter_user_id:
        return str(_("you"))
    unit = event.actor.member_unit if event.actor.member_unit_id else None
    return resident_facing_label(event.actor_role, unit_kind=unit.get_kind_display() if unit else "")


def party_label(assignment: Assignment) -> str:
    """A summoned party by role: "volunteer", "volunteer team", "property management company"."""
    kind = assignment.party_kind
    if kind == "user":
        user = assignment.user
        unit = user.member_unit if user.member_unit_id else None
        return resident_facing_label(role_of(user), unit_kind=unit.get_kind_display() if unit else "")
    if kind == "person":
        member = hasattr(assignment.person, "party_membership")
        return str(_("party member")) if member else str(_("volunteer"))
    if kind == "team":
        return str(_("volunteer team"))
    if kind == "unit":
        return assignment.unit.get_kind_display()
    return ""


@dataclass
class Entry:
    at: datetime
    who: str
    what: str
    detail: str = ""
    note: str = ""
    photos: list[Attachment] = field(default_factory=list)


def public_photos(case: Case) -> list[Attachment]:
    """The "after" photos of the work that the resident may see: files, images, public entries."""
    return [
        attachment
        for attachment in case.attachments.all()
        if attachment.stage == "after"
        and attachment.file
        and attachment.is_image
        and (attachment.event_id is None or attachment.event.public)
    ]


def public_timeline(case: Case) -> tuple[list[Entry], list[Attachment]]:
    """The resident's timeline, and the after-photos that belong to no shown entry."""
    photos = public_photos(case)
    by_event: dict[int | None, list[Attachment]] = {}
    for photo in photos:
        by_event.setdefault(photo.event_id, []).append(photo)
    entries: list[Entry] = []
    for event in case.events.all():
        if not event.public:
            continue
        declared = REGISTRY.get(event.action)
        if declared is None or declared.public_label is None:
            continue
        entries.append(
            Entry(
                at=event.at,
                who=actor_label(event, case),
                what=str(declared.public_label),
                detail=declared.public_detail(event) if declared.public_detail else "",
                note=event.note if declared.note_audience in READER_NOTES else "",
                photos=by_event.pop(event.id, []),
            )
        )
    loose = [photo for photos_of in by_event.values() for photo in photos_of]
    return entries, loose


def with_timeline(queryset):
    """Prefetch what the portal's case page reads, so it runs a fixed, small number of queries."""
    return queryset.select_related(
        "category", "reporter_person", "merged_into", "building", "household"
    ).prefetch_related(
        Prefetch(
            "events",
            queryset=CaseEvent.objects.filter(public=True).select_related(
                "actor__member_unit",
                "party_link__assignment__user__member_unit",
                "party_link__assignment__person__party_membership",
                "party_link__assignment__team",
                "party_link__assignment__unit",
            ),
        ),
        Prefetch(
            "attachments",
            queryset=Attachment.objects.filter(stage="after").select_related("event"),
        ),
        Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(active=True).select_related(
                "user__member_unit", "person__party_membership", "team", "unit"
            ),
        ),
    )
