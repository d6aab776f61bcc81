"""Likely duplicates: when a new report repeats an open case. The rule, stated once.

A community hears of one broken lift from ten neighbours. Each report is kept (each reporter is
told and follows the case), but only one case should be worked on. A new report *looks like* a
duplicate of an open case of the same community, reported before it, when either

- **the place rule** holds: the same category, at the place the category names
  (`Category.duplicate_place`: the same household, the same building, or the same grid),
  within the category's window (`Category.duplicate_window_hours`; 0 turns the rule off); or
- **the words rule** holds: whatever the category, within the same window, a description at
  least `DESCRIPTION_SIMILARITY` alike (characters, after dropping spaces and punctuation:
  Chinese has no words to split on) and long enough to mean something (`MIN_DESCRIPTION`).

Only a flag: a coordinator merges with one click or says "not a duplicate" (cases.services).
The check reads at most `CANDIDATES` recent cases of the community through the
(community, reported_at) index, so its cost does not grow with the district.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from difflib import SequenceMatcher

from django.db.models import QuerySet

from grassroots.cases.models import Case, DuplicatePlace, Suspicion
from grassroots.cases.workflow import OPEN

#: How alike two descriptions must be (0..1, difflib's ratio) for the words rule.
DESCRIPTION_SIMILARITY = 0.75
#: Descriptions shorter than this (after normalising) are too short to compare ("灯坏了").
MIN_DESCRIPTION = 8
#: The most recent open cases of the community the check reads, at most.
CANDIDATES = 200


@dataclass(frozen=True)
class LikelyDuplicate:
    """The open case a report probably repeats, and why."""

    case: Case
    reason: str  # a models.Suspicion value
    similarity: float

    @property
    def reason_label(self) -> str:
        return str(Suspicion(self.reason).label)


def normalised(text: str) -> str:
    """Letters and digits only, lower case: what the words rule compares."""
    return "".join(char.lower() for char in unicodedata.normalize("NFKC", text or "") if char.isalnum())


def similarity(first: str, second: str) -> float:
    """How alike two descriptions are, 0..1; 0 when either is too short to compare."""
    a, b = normalised(first), normalised(second)
    if len(a) < MIN_DESCRIPTION or len(b) < MIN_DESCRIPTION:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < DESCRIPTION_SIMILARITY or matcher.quick_ratio() < DESCRIPTION_SIMILARITY:
        return 0.0
    return matcher.ratio()


def same_place(case: Case, other: Case) -> str:
    """The place rule's reason ("household", "building", "grid") when it holds, else ""."""
    if other.category_id != case.category_id:
        return ""
    rule = case.category.duplicate_place
    if case.household_id and other.household_id == case.household_id:
        return "household"
    wide = rule in {DuplicatePlace.BUILDING, DuplicatePlace.GRID}
    if wide and case.building_id and other.building_id == case.building_id:
        return "building"
    if rule == DuplicatePlace.GRID and case.grid_id and other.grid_id == case.grid_id:
        return "grid"
    return ""


def _window(case: Case, among: QuerySet[Case]) -> QuerySet[Case] | None:
    """The community's open cases reported within the category's window before this one, most
    recent first (None when the category turns the rule off)."""
    hours = case.category.duplicate_window_hours
    if not hours:
        return None
    since = case.reported_at - timedelta(hours=hours)
    return (
        among.filter(
            community_id=case.community_id,
            status__in=OPEN,
            reported_at__gte=since,
            reported_at__lte=case.reported_at,
        )
        .exclude(pk=case.pk or 0)
        .order_by("-reported_at", "-id")
    )


def _with_places(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related("category", "household__building", "building")


#: A case looked at, with the place rule's reason ("" when it does not hold) and how alike the words are.
Compared = tuple[Case, str, float]


def _compare(case: Case, other: Case) -> Compared:
    return other, same_place(case, other), similarity(case.description, other.description)


def _ranked(compared: list[Compared], limit: int) -> list[LikelyDuplicate]:
    """The place rule before the words rule, the nearest place first (household, then building, then
    grid), then the most similar description, then the most recent (`compared` is most recent first)."""
    nearest = {"household": 3, "building": 2, "grid": 1}
    found: list[tuple[tuple[int, float, int], LikelyDuplicate]] = []
    for order, (other, reason, alike) in enumerate(compared):
        if not reason and alike < DESCRIPTION_SIMILARITY:
            continue
        found.append(
            (
                (nearest.get(reason, 0), alike, -order),
                LikelyDuplicate(other, reason or "words", round(alike, 2)),
            )
        )
    found.sort(key=lambda item: item[0], reverse=True)
    return [item for _rank, item in found[:limit]]


def likely_duplicates(
    case: Case, *, among: QuerySet[Case] | None = None, limit: int = 3
) -> list[LikelyDuplicate]:
    """The open cases this (new, perhaps unsaved) case may repeat, most likely first.

    `among` narrows the cases looked at (a user's scope, for the intake screen); the flag itself
    looks at the community.
    """
    window = _window(case, Case.objects.all() if among is None else among)
    if window is None:
        return []
    return _ranked([_compare(case, other) for other in _with_places(window)[:CANDIDATES]], limit)


def read_ahead(case: Case) -> dict[int, Compared]:
    """The cases a new report's flag would look at now, compared with it: read before the report
    waits for the reports numbered before it (cases.services.case_report), so that `suspect` then
    reads and compares only the cases those reports added."""
    window = _window(case, Case.objects.all())
    if window is None:
        return {}
    return {other.pk: _compare(case, other) for other in _with_places(window)[:CANDIDATES]}


def suspect(case: Case, *, ahead: dict[int, Compared] | None = None) -> LikelyDuplicate | None:
    """The open case a new report most probably repeats, or None: what the flag records.

    With what `read_ahead` compared, the cases to look at are chosen now (their ids alone) and only
    those it did not compare are read: the same answer as reading them all now, since a case's
    place, category and words do not change after its report.
    """
    if ahead is None:
        found = likely_duplicates(case, limit=1)
        return found[0] if found else None
    window = _window(case, Case.objects.all())
    if window is None:
        return None
    ids = list(window.values_list("pk", flat=True)[:CANDIDATES])
    compared = dict(ahead)
    unread = [pk for pk in ids if pk not in compared]
    if unread:
        compared.update(
            (other.pk, _compare(case, other)) for other in _with_places(window.filter(pk__in=unread))
        )
    found = _ranked([compared[pk] for pk in ids if pk in compared], 1)
    return found[0] if found else None
