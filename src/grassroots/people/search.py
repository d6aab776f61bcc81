"""Finding residents the way a community worker asks for them.

One box takes whatever the caller says: a full name (2-character names too), a
surname, pinyin initials ("wxl" finds 王秀兰), the last digits of a phone number,
or an address ("4-2-301" is building 4, entrance 2, room 301; "4号楼", "4栋2单元301室"
as it is said). Each form maps to an indexed lookup (name prefix, initials prefix, keyed hash
of the phone tail, the household address index), so the query stays fast at district size;
the caller's scope is applied first through `visible_to`. One exception: a given name typed
alone ("秀兰" finds 王秀兰) is a name-suffix match, read within that scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Collate
from django.db.models.lookups import StartsWith
from pypinyin import Style, lazy_pinyin, pinyin

from grassroots.core import pii
from grassroots.core.ranking import flag
from grassroots.people.models import PersonNameKey

ADDRESS = re.compile(r"^(\d{1,4})(?:[-－—/](\d{1,2})(?:[-－—/](\w{1,8}))?)?$")
#: The way an address is said in Chinese: 4号楼, 4栋, 4号楼2单元, 4栋2单元301室, 4幢2门301.
ADDRESS_ZH = re.compile(
    r"^(\d{1,4})(?:号楼|号|栋|幢|楼|座)(?:(\d{1,2})(?:单元|门)(?:(\d{1,6}[a-zA-Z]?)(?:室|号)?)?)?$"
)
INITIALS = re.compile(r"^[a-zA-Z]{1,12}$")
DIGITS = re.compile(r"^[\d\s+-]{4,20}$")
HAN = re.compile(r"^[\u3400-\u9fff·]{1,20}$")


#: Surnames read otherwise than the character's common reading (阚 is "kan" as a surname, "han"
#: elsewhere), as data: what a worker types for a name starts with the surname's own reading.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "万俟": ("mo", "qi"),
    "尉迟": ("yu", "chi"),
    "阚": ("kan",),
    "单": ("shan",),
    "曾": ("zeng",),
    "解": ("xie",),
    "仇": ("qiu",),
    "区": ("ou",),
    "朴": ("piao",),
    "查": ("zha",),
    "盖": ("ge",),
    "覃": ("qin",),
    "翟": ("zhai",),
    "乐": ("yue",),
    "缪": ("miao",),
    "种": ("chong",),
    "召": ("shao",),
    "员": ("yun",),
    "秘": ("bi",),
    "繁": ("po",),
    "句": ("gou",),
    "隗": ("wei",),
    "冼": ("xian",),
}


def _surname_split(name: str) -> tuple[tuple[str, ...], str]:
    """The surname's own reading (when it has one) and the rest of the name."""
    for surname in sorted(SURNAME_READINGS, key=len, reverse=True):
        if name.startswith(surname):
            return SURNAME_READINGS[surname], name[len(surname) :]
    return (), name


@lru_cache(maxsize=65536)
def pinyin_keys(name: str) -> tuple[str, str]:
    """("wangxiulan", "wxl") for 王秀兰: the keys stored with a person to find them by pinyin.

    The surname is read as a surname (阚秀英: "kanxiuying", "kxy"), the given name as pypinyin
    reads it in context.
    """
    surname, rest = _surname_split(name)
    syllables = [*surname, *lazy_pinyin(rest, style=Style.NORMAL, errors="ignore")]
    return "".join(syllables).lower(), "".join(syllable[:1] for syllable in syllables).lower()


#: How many other readings of a name are kept beside the likeliest one (people.PersonNameKey).
OTHER_READINGS = 4


def _readings_of(character: str, likeliest: str) -> list[str]:
    """Every reading pypinyin knows for one character, the one read in context first."""
    known = pinyin(character, style=Style.NORMAL, heteronym=True, errors="ignore")
    others = [reading for reading in (known[0] if known else []) if reading != likeliest]
    return [likeliest, *others]


def pinyin_readings(name: str) -> list[tuple[str, str]]:
    """(pinyin, initials) for each way to read a name, the likeliest (pinyin_keys) first.

    A surname with a reading of its own is read that way first, then as the character reads
    elsewhere (阚: "kan", then "han"); every other polyphonic character adds its other readings.
    Readings that change fewer characters come first, and at most OTHER_READINGS besides the
    likeliest are kept: enough for the spellings a worker types, bounded for the index.
    """
    surname, rest = _surname_split(name)
    if surname:
        head = name[: len(name) - len(rest)]
        heard = lazy_pinyin(head, style=Style.NORMAL, errors="ignore")
        positions = [
            [own, *([] if own == plain else [plain])] for own, plain in zip(surname, heard, strict=False)
        ]
    else:
        positions = []
    likeliest_rest = lazy_pinyin(rest, style=Style.NORMAL, errors="ignore")
    han_rest = [char for char in rest if lazy_pinyin(char, errors="ignore")]
    positions += [
        _readings_of(char, reading) for char, reading in zip(han_rest, likeliest_rest, strict=False)
    ]
    if not positions:
        return [pinyin_keys(name)]
    # Fewer characters read otherwise first; among those, the earlier character (the surname) first.
    combinations = sorted(
        product(*[range(len(choices)) for choices in positions]),
        key=lambda picks: (sum(1 for pick in picks if pick), tuple(reversed(picks))),
    )
    readings: list[tuple[str, str]] = []
    for picks in combinations:
        syllables = [choices[pick] for choices, pick in zip(positions, picks, strict=True)]
        key = ("".join(syllables).lower(), "".join(s[:1] for s in syllables).lower())
        if key not in readings:
            readings.append(key)
        if len(readings) > OTHER_READINGS:
            break
    return readings


@dataclass(frozen=True)
class ParsedQuery:
    """What the worker typed, understood as one kind of lookup."""

    kind: str  # "address", "phone", "initials", "name" or "empty"
    text: str
    building: int | None = None
    entrance: int | None = None
    room: str | None = None


def parse_query(raw: str) -> ParsedQuery:
    text = (raw or "").strip()
    if not text:
        return ParsedQuery("empty", "")
    compact = re.sub(r"\s", "", text)
    spoken = ADDRESS_ZH.match(compact)
    if spoken:
        building, entrance, room = spoken.groups()
        return ParsedQuery("address", compact, int(building), int(entrance) if entrance else None, room)
    address = ADDRESS.match(compact)
    if address and ("-" in compact or "/" in compact or "－" in compact or len(compact) <= 3):
        building, entrance, room = address.groups()
        return ParsedQuery("address", compact, int(building), int(entrance) if entrance else None, room)
    if DIGITS.match(text) and len(pii.normalise_phone(text)) >= 4:
        return ParsedQuery("phone", pii.normalise_phone(text))
    if INITIALS.match(compact):
        return ParsedQuery("initials", compact.lower())
    return ParsedQuery("name", compact)


def other_readings(name: str) -> list[tuple[str, str]]:
    """The readings of a name kept beside the likeliest one (people.PersonNameKey rows)."""
    return list(_other_readings(name))


@lru_cache(maxsize=65536)
def _other_readings(name: str) -> tuple[tuple[str, str], ...]:
    """Cached: a community's names repeat, and pypinyin takes a millisecond for each (the import)."""
    return tuple(reading for reading in pinyin_readings(name)[1:] if reading[0])


def search_people(queryset, raw: str, *, limit: int = 50):
    """People in `queryset` (already scoped) that match what was typed, best matches first."""
    return ordered_matches(queryset, raw)[:limit]


def ordered_matches(queryset, raw: str):
    """Every match in `queryset`, best first (a name's surname match before a given-name match,
    the likeliest pinyin reading before another one), for a pager to slice."""
    query = parse_query(raw)
    found = matching_people(queryset, query)
    first = likeliest_reading_q(query) or surname_match_q(query)
    if first is None:
        return found.order_by(*index_order(query))
    return found.annotate(first=flag(first)).order_by(F("first").desc(), *index_order(query))


#: A name typed with at least this many characters may be a given name alone (秀兰 for 王秀兰).
GIVEN_NAME_LENGTH = 2


def surname_match_q(query: ParsedQuery) -> Q | None:
    """For a name query, the names that start with it: those before the given-name matches."""
    if query.kind == "name" and len(query.text) >= GIVEN_NAME_LENGTH:
        return Q(name__startswith=query.text)
    return None


def name_key():
    """The name as the search's index holds it: compared byte by byte (code point order).

    On PostgreSQL a database whose collation is not "C" (C.UTF-8 included) cannot serve
    `name LIKE '王%'` from the ordinary index on the name, so `ORDER BY name LIMIT 50` walked
    it from the start (a district's surname: seconds). `name COLLATE "C"` has indexes of its own
    (people.0011: alone, and after the community), which serve both the prefix and the order.
    SQLite compares bytes anyway.
    """
    return Collate(F("name"), "C") if connection.vendor == "postgresql" else F("name")


def name_starts_with(text: str) -> Q:
    """Names that start with `text`, as a range of the byte-wise name index (name_key)."""
    return Q(StartsWith(name_key(), text))


def matching_people(queryset, query: ParsedQuery):
    """People in `queryset` that match the query, unordered: each kind of query is one indexed filter."""
    if query.kind == "empty":
        return queryset.none()
    if query.kind == "address":
        # The building's community is the person's: the planner then finds building 4 of the
        # scope's community by its (community, number) index, not building 4 of every community.
        found = queryset.filter(
            current_household__building__number=query.building,
            current_household__building__community_id=F("community_id"),
        )
        if query.entrance is not None:
            found = found.filter(current_household__entrance=query.entrance)
        if query.room:
            found = found.filter(current_household__room=query.room)
        return found
    if query.kind == "phone":
        return _by_phone(queryset, query.text)
    if query.kind == "initials":
        # The likeliest reading, or another one (阚秀英: "kxy", or "hxy"): people.PersonNameKey.
        otherwise = PersonNameKey.objects.filter(
            Q(initials__startswith=query.text) | Q(pinyin__startswith=query.text)
        )
        return queryset.filter(likeliest_reading_q(query) | Q(id__in=otherwise.values("person_id")))
    if len(query.text) >= GIVEN_NAME_LENGTH:
        # The given name alone: a name ends with it after a surname of one or two characters. Not an
        # index range, but read inside the caller's scope (one community at most for the mouth).
        return queryset.filter(name_starts_with(query.text) | Q(name__endswith=query.text))
    return queryset.filter(name_starts_with(query.text))


def likeliest_reading_q(query: ParsedQuery) -> Q | None:
    """Spelled in the name's likeliest reading: those come before people found by another reading."""
    if query.kind == "initials":
        return Q(name_initials__startswith=query.text) | Q(name_pinyin__startswith=query.text)
    return None


def index_order(query: ParsedQuery) -> tuple[str, ...]:
    """The order the query's index gives for free: a flat's entrance and room, initials, name."""
    if query.kind == "address":
        return ("current_household__entrance", "current_household__room", "id")
    if query.kind == "initials":
        return ("name_initials", name_key().asc(), "id")
    return (name_key().asc(), "id")


def exact_match_q(query: ParsedQuery) -> Q | None:
    """What typed in full names the person: the whole name, the whole initials or the whole pinyin."""
    if query.kind == "name":
        return Q(name=query.text)
    if query.kind == "initials":
        return Q(name_initials=query.text) | Q(name_pinyin=query.text)
    return None  # an address or a phone number has no "exact name" to put first


@dataclass(frozen=True)
class RankedMatches:
    """The best few matches, and how many matched in all (at most `cap`; `more_than_cap` beyond)."""

    people: list
    total: int
    more_than_cap: bool


def ranked_matches(queryset, raw: str, *, limit: int, cap: int, prefer: tuple = ()) -> RankedMatches:
    """The `limit` best matches, the exact name first, then the name's likeliest reading, then each
    of `prefer` (conditions, most wanted first), then the index order; and how many matched,
    counted no further than `cap`.

    Bounded at any size: the candidates are the first `cap + 1` rows of the query's index (one
    range read), ranked among themselves; the count reads those same rows and only when the
    best ones did not already hold every match. Beyond `cap` the worker is asked to type more,
    rather than the database to rank a district's surname.
    """
    query = parse_query(raw)
    matches = matching_people(queryset, query)
    candidates = matches.order_by(*index_order(query))[: cap + 1]
    first = (exact_match_q(query), likeliest_reading_q(query), *prefer)
    ranking = [condition for condition in first if condition is not None]
    flags = {f"rank_{i}": flag(condition) for i, condition in enumerate(ranking)}
    people = list(
        queryset.filter(pk__in=candidates.values("pk"))
        .annotate(**flags)
        .order_by(*(F(name).desc() for name in flags), *index_order(query))[:limit]
    )
    total = len(people) if len(people) < limit else candidates.count()
    return RankedMatches(people=people, total=min(total, cap), more_than_cap=total > cap)


def _by_phone(queryset, digits: str):
    """A whole number matches its hash; a shorter fragment must be the number's last digits.

    Fragments are matched on the keyed hash of the last four digits, then checked
    against the decrypted numbers of those few candidates; nothing else is decrypted.
    """
    if pii.phone_is_plausible(digits):
        return queryset.filter(phone_hash=pii.phone_hash(digits))
    candidates = queryset.filter(phone_tail_hash=pii.phone_tail_hash(digits)).order_by("name", "id")
    if len(digits) == pii.PHONE_TAIL_LENGTH:
        return candidates
    matched_ids = [
        person_id
        for person_id, encrypted in candidates.values_list("id", "phone_encrypted")[:2000]
        if pii.decrypt(encrypted).endswith(digits)
    ]
    return queryset.filter(id__in=matched_ids)
