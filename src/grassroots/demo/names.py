"""Synthetic Chinese names, ID numbers and phone numbers for the demo.

Names follow the fashions of each generation (秀兰 and 建国 for the elderly,
子轩 and 欣怡 for children), so a household reads like a real family and a
worker scanning a list recognises who is old and who is young. Everything is
drawn from a caller's random.Random, never the global one, so the demo is the
same on every machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from grassroots.core import pii

# Surnames with rough weights for northern China (Tianjin). Polyphonic surnames
# (单, 曾, 仇 ...) are left out so that pinyin search finds what a worker expects.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 90), ("张", 85), ("李", 80), ("刘", 75), ("赵", 40), ("杨", 38), ("孙", 30),
    ("马", 28), ("高", 26), ("陈", 26), ("郭", 22), ("宋", 18), ("于", 18), ("董", 16),
    ("田", 14), ("石", 12), ("韩", 14), ("徐", 14), ("崔", 12), ("曹", 12), ("吴", 12),
    ("冯", 10), ("孟", 10), ("贾", 10), ("杜", 10), ("魏", 10), ("薛", 8), ("周", 14),
    ("胡", 10), ("朱", 10), ("林", 8), ("何", 8), ("罗", 6), ("梁", 8), ("郑", 10),
    ("谢", 6), ("唐", 6), ("许", 8), ("邓", 6), ("袁", 6), ("彭", 4), ("吕", 6),
    ("苏", 6), ("蒋", 4), ("蔡", 4), ("丁", 6), ("姜", 6), ("范", 6), ("尹", 4),
    ("常", 6), ("白", 6), ("侯", 6), ("邢", 4), ("穆", 3), ("闫", 4), ("阚", 1),
)  # fmt: skip


@dataclass(frozen=True)
class GivenNames:
    """A generation's taste in given names: two-character names from these halves, or a single one."""

    first: str
    second: str
    single: str
    single_share: float


_GIVEN: dict[tuple[str, str], GivenNames] = {
    # born before 1960
    ("F", "old"): GivenNames(
        first="秀淑桂玉凤金素翠宝月美惠",
        second="兰英珍芳华荣云琴梅香芬霞贞娥",
        single="",
        single_share=0.0,
    ),
    ("M", "old"): GivenNames(
        first="建国德振广永志文树宝长立卫福金俊庆洪继世恩万",
        second="国华明林山福生强才贵民忠义田荣成海祥利",
        single="",
        single_share=0.0,
    ),
    # born 1960-1984
    ("F", "middle"): GivenNames(
        first="丽红晓海春秀雪玉彩淑立爱卫美凤艳桂建",
        second="娟燕红梅霞玲萍华英敏芳丽莉颖静洁",
        single="丽红燕敏静霞艳娜芳颖莉慧杰",
        single_share=0.2,
    ),
    ("M", "middle"): GivenNames(
        first="志建立红国永海金卫宏晓春学振东宝文俊",
        second="刚军伟强勇波涛明东辉峰龙斌华亮",
        single="伟勇军强磊涛斌鹏超亮明健刚",
        single_share=0.25,
    ),
    # born 1985-2004
    ("F", "young"): GivenNames(
        first="婷雪佳晓雨婉文思梦欣美诗晨",
        second="婷雪琪慧晴瑶雨怡悦琳洁妍萱",
        single="雪丹佳琳倩欣悦晶莹璐甜楠蕾月",
        single_share=0.3,
    ),
    ("M", "young"): GivenNames(
        first="子鹏嘉俊天文家明一泽浩宇志博",
        second="豪飞伟杰宇博轩帆楠鑫龙阳辰",
        single="浩宇鑫帅杰博昊晨旭凯航振",
        single_share=0.3,
    ),
    # born 2005 and later
    ("F", "child"): GivenNames(
        first="欣梓诗子可一雨若语思依芷沐佳紫安",
        second="怡涵馨诺桐汐萱彤晴妍琪",
        single="悦彤",
        single_share=0.05,
    ),
    ("M", "child"): GivenNames(
        first="浩子宇梓俊一奕锦睿思铭博天皓嘉沐",
        second="然轩豪熙宇鸣航墨阳辰程泽远睿佑",
        single="昊宸",
        single_share=0.05,
    ),
}

# Region prefixes of ID numbers: Binhai New Area for locals, other places for
# residents registered elsewhere and for migrant tenants.
BINHAI_REGION = "120116"
OTHER_REGIONS: tuple[str, ...] = (
    "120101", "120104", "120105", "130203", "130982", "371302", "410102",
    "230102", "370212", "340102", "130602", "152601", "211002", "420106",
)  # fmt: skip

_MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "158", "159", "176", "177", "180", "181", "182", "185", "186",
    "187", "188", "189", "195", "199",
)  # fmt: skip


def _generation(birth_year: int) -> str:
    if birth_year < 1960:
        return "old"
    if birth_year < 1985:
        return "middle"
    if birth_year < 2005:
        return "young"
    return "child"


class NameMaker:
    """Draws names, ID numbers and phone numbers, never repeating a number.

    Names may repeat (a community of 7,000 has several 王丽), except the names
    reserved for the article's people, so that searching for them finds only them.
    """

    def __init__(
        self, rng: random.Random, *, reserved_names: tuple[str, ...] = (), lane: tuple[int, int] | None = None
    ) -> None:
        self.rng = rng
        self.reserved = frozenset(reserved_names)
        # (lane, lanes): draw only numbers that are `lane` modulo `lanes` (an ID number's sequence,
        # a phone's digits), so that makers of different lanes, in different processes, never
        # draw the same number (bench/district.py). None: every number.
        self.lane = lane
        self._surnames = [name for name, _weight in SURNAMES]
        self._surname_weights = [weight for _name, weight in SURNAMES]
        self._used_ids: set[str] = set()
        self._used_phones: set[str] = set()

    def surname(self) -> str:
        return self.rng.choices(self._surnames, self._surname_weights)[0]

    def given(self, sex: str, birth_year: int) -> str:
        taste = _GIVEN[(sex, _generation(birth_year))]
        if taste.single and self.rng.random() < taste.single_share:
            return self.rng.choice(taste.single)
        while True:
            first, second = self.rng.choice(taste.first), self.rng.choice(taste.second)
            if first != second or first in "婷":  # 婷婷 is a name, 国国 is not
                return first + second

    def full(self, sex: str, birth_year: int, *, surname: str | None = None) -> str:
        """A full name; with `surname`, a child of the family (children take the father's name)."""
        family = surname or self.surname()
        while True:
            name = family + self.given(sex, birth_year)
            if name not in self.reserved:
                return name

    def id_number(self, birth: date, sex: str, *, region: str = BINHAI_REGION) -> str:
        """A valid GB 11643 number: region, birth date, a sequence whose parity is the sex, check digit."""
        while True:
            sequence = self._in_lane(500) * 2 + (1 if sex == "M" else 0)
            if sequence == 0:
                continue
            first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
            number = first17 + pii.id_check_char(first17)
            if number not in self._used_ids:
                self._used_ids.add(number)
                return number

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(_MOBILE_PREFIXES) + f"{self._in_lane(10**8):08d}"
            if number not in self._used_phones:
                self._used_phones.add(number)
                return number

    def landline(self) -> str:
        """A Tianjin landline (area code 022), as many elderly residents still give."""
        while True:
            number = f"0222{self.rng.randrange(5, 7)}{self._in_lane(10**6):06d}"
            if number not in self._used_phones:
                self._used_phones.add(number)
                return number

    def _in_lane(self, size: int) -> int:
        """A number below `size`; in this maker's lane when it has one."""
        if self.lane is None:
            return self.rng.randrange(size)
        lane, lanes = self.lane
        return self.rng.randrange(size // lanes) * lanes + lane
