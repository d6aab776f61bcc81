"""The residents the article names, placed where its stories (the acceptance scenarios) need them.

- Granny Wang (王秀兰) in building 4: ill, her son widowed and physically disabled,
  her granddaughter with cerebral palsy; found by the "knock on the door" action.
- Aunt Liu (刘桂芳): cannot move about, on the fifth floor of a walk-up, and has no
  drinking water; volunteers bring it "at the first time".
- Aunt Kan (阚秀英): elderly and living alone; her water pipe bursts.

Their names are reserved so that random residents never share them, and searching
"wxl" finds the one Granny Wang the stories mean.
"""

from __future__ import annotations

from datetime import date

from grassroots.demo.layout import HouseholdPlan
from grassroots.demo.population import DECEASED, MOVED_OUT, PersonPlan, PopulationPlanner, TagPlan

STORY_ADDRESSES = {
    "granny_wang": "4-2-301",  # the same flat as the shared test fixtures
    "aunt_liu": "15-1-502",
    "aunt_kan": "27-3-401",
}
STORY_NAMES = ("王秀兰", "张德明", "张建军", "李红梅", "张欣怡", "刘桂芳", "阚秀英", "周立平")


def _named(planner: PopulationPlanner, name: str, sex: str, age: int, *, phone: str = "mobile") -> PersonPlan:
    person = planner.person(sex=sex, age=age, name=name)
    if phone == "landline":
        person.phone = planner.names.landline()
    elif phone == "none":
        person.phone = ""
    elif not person.phone:
        person.phone = planner.names.mobile()
    return person


def plan_stories(planner: PopulationPlanner, households: list[HouseholdPlan]) -> dict[str, int]:
    """Place the article's households; returns the person keys the stories refer to."""
    flat = {household.address: household.index for household in households}
    keys: dict[str, int] = {}
    keys.update(_granny_wang(planner, flat[STORY_ADDRESSES["granny_wang"]]))
    keys.update(_aunt_liu(planner, flat[STORY_ADDRESSES["aunt_liu"]]))
    keys.update(_aunt_kan(planner, flat[STORY_ADDRESSES["aunt_kan"]]))
    return keys


def _granny_wang(planner: PopulationPlanner, household: int) -> dict[str, int]:
    moved_in = date(2010, 9, 18)
    granny = _named(planner, "王秀兰", "F", 83, phone="landline")
    granny.note = "患病在家，儿子丧偶且肢体残疾，孙女脑瘫，家庭困难。"
    husband = _named(planner, "张德明", "M", 86, phone="none")
    husband.status = DECEASED
    son = _named(planner, "张建军", "M", 56)
    son.note = "丧偶，肢体残疾，照顾母亲和女儿。"
    daughter_in_law = _named(planner, "李红梅", "F", 54, phone="none")
    daughter_in_law.status = DECEASED
    granddaughter = _named(planner, "张欣怡", "F", 22, phone="none")

    planner.live(granny, household, "head", "registered", moved_in)
    planner.lived(husband, household, "spouse", "registered", moved_in, date(2015, 3, 2), "去世")
    planner.live(son, household, "child", "registered", moved_in)
    planner.lived(
        daughter_in_law, household, "child_in_law", "registered", moved_in, date(2019, 11, 20), "去世"
    )
    planner.live(granddaughter, household, "grandchild", "registered", moved_in)

    granny.tags += [
        TagPlan("elderly-80"),
        TagPlan("chronic-illness", note="高血压、冠心病，近期患病"),
        TagPlan("low-income", since=date(2020, 3, 1), note="低保户"),
    ]
    son.tags += [
        TagPlan("disabled", level=2, since=date(2016, 5, 10), note="肢体残疾二级"),
        TagPlan("low-income", since=date(2020, 3, 1), note="低保户"),
    ]
    granddaughter.tags += [
        TagPlan("disabled", level=1, since=date(2006, 8, 1), note="脑瘫（肢体一级）"),
        TagPlan("low-income", since=date(2020, 3, 1), note="低保户"),
    ]
    return {
        "granny_wang": granny.key,
        "granny_wang_son": son.key,
        "granny_wang_granddaughter": granddaughter.key,
    }


def _aunt_liu(planner: PopulationPlanner, household: int) -> dict[str, int]:
    moved_in = date(2011, 4, 6)
    aunt = _named(planner, "刘桂芳", "F", 76, phone="landline")
    aunt.note = "行动不便，独自住在五楼（无电梯），日常用水需人帮助。"
    husband = _named(planner, "周立平", "M", 79, phone="none")
    husband.status = DECEASED
    planner.live(aunt, household, "head", "registered", moved_in)
    planner.lived(husband, household, "spouse", "registered", moved_in, date(2021, 1, 14), "去世")
    aunt.tags += [
        TagPlan("living-alone", since=date(2021, 1, 14)),
        TagPlan("disabled", level=3, since=date(2018, 7, 1), note="肢体残疾三级，下肢行动不便"),
        TagPlan("chronic-illness", note="关节炎"),
    ]
    return {"aunt_liu": aunt.key}


def _aunt_kan(planner: PopulationPlanner, household: int) -> dict[str, int]:
    moved_in = date(2010, 11, 2)
    aunt = _named(planner, "阚秀英", "F", 78)
    aunt.note = "独居老人，子女在外地。"
    son = planner.person(sex="M", age=52, surname="孟")
    son.status = MOVED_OUT
    planner.live(aunt, household, "head", "registered", moved_in)
    planner.lived(son, household, "child", "registered", moved_in, date(2016, 8, 30), "工作调动迁居外地")
    aunt.tags.append(TagPlan("living-alone", since=date(2016, 8, 30)))
    return {"aunt_kan": aunt.key}
