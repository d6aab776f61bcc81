"""Activities' write path: publish, sign up, cancel (the waiting list moves up), check in and out, confirm.

Every sign-up and cancellation locks the activity's row first (SELECT ... FOR UPDATE), so the
places are counted by one writer at a time: twenty people tapping "sign up" for five places at
once give five places and fifteen in line, never six. Confirmed hours go to the ledger through
activities.hours.hours_record in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from grassroots.accounts.roles import user_can
from grassroots.activities.hours import Work, hours_record
from grassroots.activities.models import (
    Activity,
    ActivityStatus,
    Audience,
    CheckinMethod,
    Signup,
    SignupStatus,
    SourceKind,
    Theme,
)
from grassroots.activities.signals import activity_announced, signup_promoted
from grassroots.orgs.models import Skill, Volunteer, VolunteerTeam
from grassroots.people.models import Person
from grassroots.places.models import Community

#: The check-in token's salt: a token signed for anything else never checks anybody in.
CHECKIN_SALT = "grassroots.activities.checkin"
#: How long before the start and after the end a QR check-in is accepted.
CHECKIN_EARLY = timedelta(minutes=30)
CHECKIN_LATE = timedelta(minutes=30)


# --- who may do what -------------------------------------------------------------------------------------


def leads(actor, activity: Activity) -> bool:
    """The leader of the team that runs the activity (a volunteer's person is the team's leader)."""
    return bool(
        actor is not None
        and getattr(actor, "person_id", None)
        and activity.team_id
        and activity.team.leader_id == actor.person_id
        and user_can(actor, "activities.activity.add")
    )


def may_manage(actor, activity: Activity) -> bool:
    """The office of the activity's community, or the leader of its team: roll call, QR, hours."""
    if leads(actor, activity):
        return True
    return user_can(actor, "activities.activity.manage") and (
        Activity.objects.visible_to(actor).filter(pk=activity.pk).exists()
    )


def teams_led_by(actor) -> list[VolunteerTeam]:
    """The teams whose leader the actor is: what a volunteer may publish for."""
    if not getattr(actor, "person_id", None) or not user_can(actor, "activities.activity.add"):
        return []
    return list(VolunteerTeam.objects.filter(leader_id=actor.person_id))


# --- publish -------------------------------------------------------------------------------------------


@dataclass
class ActivityDetails:
    """What a publisher types: title, theme, place, window, places, skills, audience, deadline."""

    title: str
    theme: Theme
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    signup_deadline: datetime
    audience: str = Audience.BOTH
    description: str = ""
    skills: list[Skill] = field(default_factory=list)


def _check_details(details: ActivityDetails) -> None:
    errors: dict[str, str] = {}
    if len((details.title or "").strip()) < 2:
        errors["title"] = _("Give the activity a title.")
    if len((details.place or "").strip()) < 2:
        errors["place"] = _("Say where the activity takes place.")
    if details.ends_at <= details.starts_at:
        errors["ends_at"] = _("The activity ends after it starts.")
    elif details.ends_at - details.starts_at > timedelta(hours=24):
        errors["ends_at"] = _("An activity lasts at most a day: publish one for each day.")
    if not details.capacity or details.capacity < 1 or details.capacity > 1000:
        errors["capacity"] = _("Places are between 1 and 1000.")
    if details.signup_deadline > details.ends_at:
        errors["signup_deadline"] = _("Sign-ups close before the activity ends.")
    if details.audience not in Audience.values:
        errors["audience"] = _("Choose who may sign up.")
    if errors:
        raise ValidationError(errors)


def activity_publish(
    *, actor, community: Community, details: ActivityDetails, team: VolunteerTeam | None = None
) -> Activity:
    """Publish an activity of a community: the office for any team (or itself), a leader for their team."""
    office = user_can(actor, "activities.activity.manage") and (
        Community.objects.visible_to(actor).filter(pk=community.pk).exists()
    )
    if not office and not (team is not None and team in teams_led_by(actor)):
        raise PermissionDenied
    if team is not None and team.community_id != community.pk:
        raise ValidationError({"team": _("The team is not of this community.")})
    _check_details(details)
    if details.starts_at < timezone.now() - timedelta(days=1):
        raise ValidationError({"starts_at": _("The activity cannot start in the past.")})
    with transaction.atomic():
        activity = Activity.objects.create(
            community=community,
            team=team,
            title=details.title.strip(),
            theme=details.theme,
            description=(details.description or "").strip(),
            place=details.place.strip(),
            starts_at=details.starts_at,
            ends_at=details.ends_at,
            capacity=details.capacity,
            audience=details.audience,
            signup_deadline=details.signup_deadline,
            created_by=actor,
            created_at=timezone.now(),
        )
        activity.skills.set(details.skills)
    return activity


# --- sign up and cancel ----------------------------------------------------------------------------------


def _may_join(activity: Activity, person: Person) -> bool:
    """Whether the activity is open to this person: a volunteer, a resident of the community, or both."""
    volunteer = Volunteer.objects.filter(person=person, active=True).exists()
    resident = person.community_id == activity.community_id
    if activity.audience == Audience.VOLUNTEERS:
        return volunteer
    if activity.audience == Audience.RESIDENTS:
        return resident
    return volunteer or resident


def signup_add(*, actor, activity: Activity, person: Person | None = None) -> Signup:
    """Sign a person up: a place while there is one, else the waiting list (in the order they came).

    A volunteer or a resident signs up themselves; the office or the team's leader signs up
    anyone the activity is open to (someone who phoned). Refused after the deadline, for a
    cancelled activity, and for someone already signed up.
    """
    self_signup = person is None or person.pk == getattr(actor, "person_id", None)
    if self_signup:
        if not getattr(actor, "person_id", None) or not user_can(actor, "activities.signup.add"):
            raise PermissionDenied
        person = actor.person
    elif not may_manage(actor, activity):
        raise PermissionDenied
    if not Activity.objects.visible_to(actor).filter(pk=activity.pk).exists():
        raise PermissionDenied
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = Activity.objects.select_for_update().get(pk=activity.pk)
            if locked.status != ActivityStatus.PUBLISHED:
                raise ValidationError({"activity": _("This activity was cancelled.")})
            if now > locked.signup_deadline:
                raise ValidationError({"activity": _("Sign-ups for this activity have closed.")})
            if not _may_join(locked, person):
                raise ValidationError({"person": _("This activity is not open to this person.")})
            live = locked.signups.exclude(status=SignupStatus.CANCELLED)
            if live.filter(person=person).exists():
                raise ValidationError({"person": _("Already signed up for this activity.")})
            taken = live.filter(status=SignupStatus.CONFIRMED).count()
            status = SignupStatus.CONFIRMED if taken < locked.capacity else SignupStatus.WAITING
            return Signup.objects.create(
                activity=locked, person=person, status=status, signed_up_at=now, signed_up_by=actor
            )
    except IntegrityError:  # the same person twice at once: the unique constraint kept one
        raise ValidationError({"person": _("Already signed up for this activity.")}) from None


def signup_cancel(*, actor, signup: Signup) -> Signup:
    """Give a place (or a place in line) up; the first in line moves up into a freed place.

    The participant themselves, the office or the team's leader. The promotion happens in the
    same locked transaction as the cancellation, so a freed place is never given twice.
    """
    activity = signup.activity
    if signup.person_id != getattr(actor, "person_id", None) and not may_manage(actor, activity):
        raise PermissionDenied
    promoted: Signup | None = None
    now = timezone.now()
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        row = Signup.objects.select_for_update().get(pk=signup.pk)
        if row.status == SignupStatus.CANCELLED:
            raise ValidationError({"signup": _("This sign-up is already cancelled.")})
        if row.checked_in_at is not None:
            raise ValidationError({"signup": _("Checked in already: check out instead.")})
        was_confirmed = row.status == SignupStatus.CONFIRMED
        row.status = SignupStatus.CANCELLED
        row.cancelled_at = now
        row.save(update_fields=["status", "cancelled_at"])
        taken = locked.signups.filter(status=SignupStatus.CONFIRMED).count()
        if was_confirmed and now < locked.ends_at and taken < locked.capacity:
            promoted = (
                locked.signups.filter(status=SignupStatus.WAITING)
                .select_for_update()
                .order_by("signed_up_at", "id")
                .first()
            )
            if promoted is not None:
                _promote([promoted], now)
    return row


def _promote(rows: list[Signup], now: datetime) -> None:
    """Give these waiting sign-ups a place (inside the activity's lock), and tell each after commit."""
    for row in rows:
        row.status = SignupStatus.CONFIRMED
        row.promoted_at = now
        row.save(update_fields=["status", "promoted_at"])
        transaction.on_commit(lambda pk=row.pk: signup_promoted.send(sender=Signup, signup_id=pk))


# --- edit and cancel ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edited:
    """What an edit did to the places: who moved up, and how many keep a place beyond the new capacity."""

    activity: Activity
    promoted: list[Signup]
    over_capacity: int


def _live_people(activity: Activity) -> list[int]:
    return list(
        activity.signups.exclude(status=SignupStatus.CANCELLED)
        .order_by("id")
        .values_list("person_id", flat=True)
    )


def activity_edit(*, actor, activity: Activity, details: ActivityDetails) -> Edited:
    """The organiser changes an activity; the waiting list follows the places.

    More places promote the first in line into them, in the order they came. Fewer places never take
    a place from anyone who has one: they keep it, the result says how many are beyond the capacity,
    and nobody new gets a place until a place is free under it. A change of time or place is told to
    everyone signed up (notify, after commit).
    """
    if not may_manage(actor, activity):
        raise PermissionDenied
    _check_details(details)
    now = timezone.now()
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        if locked.status != ActivityStatus.PUBLISHED:
            raise ValidationError({"activity": _("This activity was cancelled.")})
        if locked.ends_at < now:
            raise ValidationError({"activity": _("This activity is over: it cannot be changed.")})
        if details.starts_at != locked.starts_at and details.starts_at < now - timedelta(days=1):
            raise ValidationError({"starts_at": _("The activity cannot start in the past.")})
        moved = (details.starts_at, details.ends_at, details.place.strip()) != (
            locked.starts_at,
            locked.ends_at,
            locked.place,
        )
        for name in ("title", "place", "description"):
            setattr(locked, name, (getattr(details, name) or "").strip())
        locked.theme, locked.audience = details.theme, details.audience
        locked.starts_at, locked.ends_at = details.starts_at, details.ends_at
        locked.capacity, locked.signup_deadline = details.capacity, details.signup_deadline
        locked.save()
        locked.skills.set(details.skills)
        taken = locked.signups.filter(status=SignupStatus.CONFIRMED).count()
        promoted: list[Signup] = []
        if taken < locked.capacity:
            promoted = list(
                locked.signups.filter(status=SignupStatus.WAITING)
                .select_for_update()
                .order_by("signed_up_at", "id")[: locked.capacity - taken]
            )
            _promote(promoted, now)
        if moved:
            people = [pk for pk in _live_people(locked) if pk not in {row.person_id for row in promoted}]
            _announce(locked, "changed", people, "", actor=actor)
    return Edited(activity=locked, promoted=promoted, over_capacity=max(taken - locked.capacity, 0))


def _announce(activity: Activity, kind: str, person_ids: list[int], note: str, *, actor=None) -> None:
    """Tell the people signed up after commit (never the one who made the change)."""
    activity_id = activity.pk
    person_ids = [pk for pk in person_ids if pk != getattr(actor, "person_id", None)]
    transaction.on_commit(
        lambda: activity_announced.send(
            sender=Activity, activity_id=activity_id, kind=kind, person_ids=person_ids, note=note
        )
    )


def activity_cancel(*, actor, activity: Activity, reason: str) -> Activity:
    """The organiser cancels an activity, saying why; everyone signed up (or waiting) is told.

    The sign-ups stay as they were (who had signed up is history); no one can sign up, check in or
    be promoted any more.
    """
    if not may_manage(actor, activity):
        raise PermissionDenied
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": _("Please say why the activity is cancelled.")})
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        if locked.status == ActivityStatus.CANCELLED:
            raise ValidationError({"activity": _("This activity was cancelled.")})
        locked.status = ActivityStatus.CANCELLED
        locked.cancel_reason = reason[:200]
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["status", "cancel_reason", "cancelled_at"])
        _announce(locked, "cancelled", _live_people(locked), locked.cancel_reason, actor=actor)
    return locked


# --- check in, check out ------------------------------------------------------------------------------


def checkin_token(activity: Activity) -> str:
    """The signed token of the activity's QR code: the activity and its current check-in key."""
    return signing.dumps({"a": activity.pk, "k": activity.checkin_key}, salt=CHECKIN_SALT)


def checkin_window(activity: Activity) -> tuple[datetime, datetime]:
    """When a QR check-in is accepted: from a little before the start to a little after the end."""
    return activity.starts_at - CHECKIN_EARLY, activity.ends_at + CHECKIN_LATE


def _read_token(activity: Activity, token: str) -> None:
    try:
        payload = signing.loads(token, salt=CHECKIN_SALT)
    except signing.BadSignature:
        raise ValidationError({"token": _("This check-in code is not valid.")}) from None
    if (
        not isinstance(payload, dict)
        or payload.get("a") != activity.pk
        or payload.get("k") != activity.checkin_key
    ):
        raise ValidationError({"token": _("This check-in code is for another activity.")})
    opens, closes = checkin_window(activity)
    now = timezone.now()
    if now < opens:
        raise ValidationError(
            {"token": _("Check-in has not opened yet: it opens 30 minutes before the start.")}
        )
    if now > closes:
        raise ValidationError({"token": _("Check-in for this activity has closed.")})


def _live_signup(activity: Activity, person_id: int | None) -> Signup:
    signup = (
        Signup.objects.select_for_update()
        .filter(activity=activity, person_id=person_id)
        .exclude(status=SignupStatus.CANCELLED)
        .first()
    )
    if signup is None:
        raise ValidationError({"signup": _("You are not signed up for this activity.")})
    if signup.status == SignupStatus.WAITING:
        raise ValidationError({"signup": _("You are on the waiting list: there is no place for you yet.")})
    return signup


def _clip(moment: datetime, activity: Activity) -> datetime:
    return min(max(moment, activity.starts_at), activity.ends_at)


def checkin_by_token(*, actor, activity: Activity, token: str) -> Signup:
    """The participant scanned the activity's QR code: checked in (a second scan changes nothing)."""
    if not getattr(actor, "person_id", None):
        raise PermissionDenied
    if activity.status != ActivityStatus.PUBLISHED:
        raise ValidationError({"token": _("This activity was cancelled.")})
    _read_token(activity, token)
    with transaction.atomic():
        signup = _live_signup(activity, actor.person_id)
        if signup.checked_in_at is None:
            signup.checked_in_at = timezone.now()
            signup.checkin_method = CheckinMethod.QR
            signup.save(update_fields=["checked_in_at", "checkin_method"])
    return signup


#: The short code under the QR code: this many digits.
CODE_DIGITS = 6


def checkin_code(activity: Activity) -> str:
    """The digits shown under the activity's QR code, typed on a phone whose camera cannot read it.

    Derived from the same check-in key as the QR token (a new key voids both). Six digits alone
    would be guessable, so a code is only ever compared with the activities the participant is
    signed up for and whose check-in is open, and wrong codes are limited per participant (views).
    """
    digest = salted_hmac(
        f"{CHECKIN_SALT}.code", f"{activity.pk}:{activity.checkin_key}", algorithm="sha256"
    ).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def checkin_by_code(*, actor, code: str) -> Signup:
    """The participant typed the code shown at the door: checked in to the activity it opens, once."""
    if not getattr(actor, "person_id", None):
        raise PermissionDenied
    digits = "".join(ch for ch in str(code) if not ch.isspace())
    if len(digits) != CODE_DIGITS or not digits.isdigit():
        raise ValidationError({"code": _("Type the six digits shown under the QR code.")})
    now = timezone.now()
    mine = Activity.objects.filter(
        signups__person_id=actor.person_id,
        signups__status=SignupStatus.CONFIRMED,
        status=ActivityStatus.PUBLISHED,
    ).distinct()
    open_now = mine.filter(starts_at__lte=now + CHECKIN_EARLY, ends_at__gte=now - CHECKIN_LATE)
    for activity in open_now.order_by("starts_at")[:OPEN_CHECKINS_LIMIT]:
        if constant_time_compare(checkin_code(activity), digits):
            return checkin_by_token(actor=actor, activity=activity, token=checkin_token(activity))
    _refuse_code_outside_window(mine, digits, now)
    raise ValidationError(
        {"code": _("None of your activities with check-in open now has this code. Check the digits.")}
    )


#: How far around now a typed code is also compared with one's activities whose check-in is not
#: open, so that a participant who comes early (or late) is told when, not "wrong code".
NEARBY_CHECKINS = timedelta(days=7)


def _refuse_code_outside_window(mine, digits: str, now: datetime) -> None:
    """A right code typed before check-in opens or after it closed says so, with the time."""
    nearby = mine.filter(starts_at__lte=now + NEARBY_CHECKINS, ends_at__gte=now - NEARBY_CHECKINS)
    for activity in nearby.order_by("starts_at")[:OPEN_CHECKINS_LIMIT]:
        if not constant_time_compare(checkin_code(activity), digits):
            continue
        opens, closes = checkin_window(activity)
        if now < opens:
            raise ValidationError(
                {
                    "code": _("Check-in for “%(title)s” opens at %(time)s.")
                    % {
                        "title": activity.title,
                        "time": date_format(timezone.localtime(opens), "SHORT_DATETIME_FORMAT"),
                    }
                }
            )
        if now > closes:
            raise ValidationError(
                {"code": _("Check-in for “%(title)s” has closed.") % {"title": activity.title}}
            )


#: A participant has at most a few activities with check-in open at once; more is not looked at.
OPEN_CHECKINS_LIMIT = 10


def checkin_roll(*, actor, signup: Signup) -> Signup:
    """The leader ticked a participant on the roll call: checked in now (once the activity is near)."""
    activity = signup.activity
    if not may_manage(actor, activity):
        raise PermissionDenied
    if activity.status != ActivityStatus.PUBLISHED:
        raise ValidationError({"signup": _("This activity was cancelled.")})
    if timezone.now() < checkin_window(activity)[0]:
        raise ValidationError(
            {"signup": _("Check-in has not opened yet: it opens 30 minutes before the start.")}
        )
    with transaction.atomic():
        row = _live_signup(activity, signup.person_id)
        if row.checked_in_at is None:
            row.checked_in_at = _clip(timezone.now(), activity)
            row.checkin_method = CheckinMethod.ROLL
            row.save(update_fields=["checked_in_at", "checkin_method"])
    return row


def hours_between(activity: Activity, checked_in_at: datetime, checked_out_at: datetime) -> Decimal:
    """The hours between check-in and check-out, inside the activity's window: never more than its length."""
    start = _clip(checked_in_at, activity)
    end = _clip(checked_out_at, activity)
    seconds = max((end - start).total_seconds(), 0)
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def checkout(*, actor, signup: Signup) -> Signup:
    """Checking out (the participant, or the leader for them): the hours are computed, to be confirmed."""
    activity = signup.activity
    if signup.person_id != getattr(actor, "person_id", None) and not may_manage(actor, activity):
        raise PermissionDenied
    with transaction.atomic():
        row = Signup.objects.select_for_update().get(pk=signup.pk)
        if row.checked_in_at is None:
            raise ValidationError({"signup": _("Check in first.")})
        if row.checked_out_at is None:
            row.checked_out_at = timezone.now()
            row.hours = hours_between(activity, row.checked_in_at, row.checked_out_at)
            row.save(update_fields=["checked_out_at", "hours"])
    return row


def signup_confirm_hours(*, actor, signup: Signup, hours: Decimal | None = None) -> Signup:
    """The leader or the office confirms a participant's hours: they go into the ledger, once.

    The computed hours by default; the confirmer may give others (someone who forgot to check
    out), never more than the activity's length.
    """
    activity = signup.activity
    if not may_manage(actor, activity):
        raise PermissionDenied
    with transaction.atomic():
        row = Signup.objects.select_for_update().select_related("person").get(pk=signup.pk)
        if row.confirmed_at is not None:
            raise ValidationError({"hours": _("These hours are already confirmed.")})
        if row.checked_in_at is None:
            raise ValidationError({"hours": _("Only someone who checked in has hours to confirm.")})
        if hours is None:
            if row.hours is None:
                raise ValidationError({"hours": _("Not checked out yet: give the hours.")})
            hours = row.hours
        if hours < 0 or hours > activity.length_hours:
            raise ValidationError(
                {
                    "hours": _("Hours are between 0 and the activity's %(length)s.")
                    % {"length": activity.length_hours}
                }
            )
        row.hours = hours
        row.confirmed_at = timezone.now()
        row.confirmed_by = actor
        row.save(update_fields=["hours", "confirmed_at", "confirmed_by"])
        hours_record(
            actor=actor,
            work=Work(
                person=row.person,
                community_id=activity.community_id,
                source_kind=SourceKind.ACTIVITY,
                source_id=row.pk,
                hours=hours,
                worked_at=row.checked_in_at,
                note=activity.title[:200],
            ),
        )
    return row
