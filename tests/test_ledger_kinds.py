"""Importing households, party members, volunteers and member units (issue 9.6-9.8, 9.12).

Each kind as the residents: every row checked before anything is written, each bad cell named by
its row and column, all or nothing unless the good rows are asked for, the same file twice
changes nothing, and the changes read "import #N" in the person's or household's history.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from grassroots.ledger import units as ledger_units
from grassroots.ledger.models import ImportRun, ImportStatus
from grassroots.orgs.models import MemberUnit, PartyMember, Volunteer
from grassroots.people.models import RegistryChange
from grassroots.places.models import Household
from tests.factories import PartyBranchFactory, PersonFactory, VolunteerTeamFactory, make_id_number
from tests.ledger_files import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

LI = make_id_number(date(1960, 5, 4), sex="M", serial=601)


def run_import(tmp_path, kind: str, content: bytes, *args, name: str = "ledger.xlsx"):
    """The command on a file; returns (stdout, stderr, the CommandError or None)."""
    from io import StringIO

    path = tmp_path / name
    path.write_bytes(content)
    out, err = StringIO(), StringIO()
    try:
        with translation.override("en"):
            call_command(
                "import", str(path), "--kind", kind, "--community", "HSY", *args, stdout=out, stderr=err
            )
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def last_run() -> ImportRun:
    return ImportRun.objects.order_by("-pk").first()


def assert_problems(expected: list[tuple[int, str, str]]) -> None:
    """Each (row, column header, piece of the message) is among the run's problems."""
    problems = last_run().problems
    for number, column, piece in expected:
        found = [p for p in problems if p["row"] == number and p["column"] == column]
        assert found and piece in found[0]["message"], (number, column, piece, problems)


@pytest.fixture
def li(community, household_a, neighbourhood):
    return PersonFactory(name="李建国", id_number=LI, household=neighbourhood.home_4_1_101)


# --- households --------------------------------------------------------------------------------

HOUSEHOLD_HEADER = ["住址", "备注"]


def test_households_new_changed_unchanged_and_idempotent(tmp_path, community, household_a):
    rows = [["4-2-301", "独居老人"], ["4号楼3单元202室", ""], ["7-2-101", "出租"]]
    content = xlsx_bytes(HOUSEHOLD_HEADER, rows)
    _out, err, error = run_import(tmp_path, "households", content)  # the preview
    assert error is None, err
    run = last_run()
    assert (run.new_count, run.changed_count, run.unchanged_count, run.rejected_count) == (2, 1, 0, 0)
    assert not Household.objects.filter(building__number=7, entrance=2).exists()
    _out, err, error = run_import(tmp_path, "households", content, "--commit")
    assert error is None, err
    run = last_run()
    assert run.status == ImportStatus.DONE
    household_a.refresh_from_db()
    assert household_a.note == "独居老人"
    created = Household.objects.get(building__number=7, entrance=2, room="101")
    assert created.note == "出租" and created.grid.code == "B"
    sources = set(RegistryChange.objects.filter(household=created).values_list("source", flat=True))
    assert sources == {run.source}
    note_row = RegistryChange.objects.get(household=household_a, field="note")
    assert note_row.new_display == "独居老人" and note_row.source == run.source
    history = RegistryChange.objects.count()
    _out, err, error = run_import(tmp_path, "households", content, "--commit")
    assert error is None, err
    again = last_run()
    assert (again.new_count, again.changed_count, again.unchanged_count) == (0, 0, 3)
    assert RegistryChange.objects.count() == history


def test_households_bad_rows_are_named_and_nothing_is_written(tmp_path, community, household_a):
    rows = [
        ["7-2-101", ""],
        ["9-1-101", ""],
        ["4-9-101", ""],
        ["四号楼", ""],
        ["", "没有地址"],
        ["7-2-101", "又一次"],
    ]
    households = Household.objects.count()
    _out, err, error = run_import(tmp_path, "households", xlsx_bytes(HOUSEHOLD_HEADER, rows), "--commit")
    assert error is not None and "5 row(s) rejected" in str(error)
    assert Household.objects.count() == households and not RegistryChange.objects.exists()
    assert_problems(
        [
            (3, "住址", "no building 9"),
            (4, "住址", "only 4 entrances"),
            (5, "住址", "building-entrance-room"),
            (6, "住址", "give the address"),
            (7, "住址", "The same address as row 2."),
        ]
    )
    assert "row 3, 住址: There is no building 9 in this community." in err
    assert last_run().status == ImportStatus.REFUSED
    from grassroots.ledger.columns import HOUSEHOLD_COLUMNS
    from grassroots.ledger.reading import read_table

    report = read_table((tmp_path / "ledger.errors.xlsx").read_bytes(), "report.xlsx", HOUSEHOLD_COLUMNS)
    assert report.headers[-1] == "错误 / Errors" and len(report.rows) == 6
    assert report.rows[0][-1] in ("", None) and report.rows[1][-1].startswith("住址: ")


def test_households_good_rows_only(tmp_path, community, household_a):
    rows = [["7-2-101", ""], ["9-1-101", ""]]
    _out, err, error = run_import(
        tmp_path, "households", xlsx_bytes(HOUSEHOLD_HEADER, rows), "--commit", "--good-rows"
    )
    assert error is None, err
    assert (last_run().new_count, last_run().rejected_count) == (1, 1)
    assert Household.objects.filter(building__number=7, entrance=2, room="101").exists()


def test_households_from_a_gb18030_csv_with_three_address_columns(tmp_path, community, household_a):
    content = csv_bytes(
        ["楼栋", "单元号", "房号", "说明"], [["7号楼", "2单元", "102", "空置"]], encoding="gb18030"
    )
    _out, err, error = run_import(tmp_path, "households", content, "--commit", name="户台账.csv")
    assert error is None, err
    assert Household.objects.get(building__number=7, entrance=2, room="102").note == "空置"


# --- party members ------------------------------------------------------------------------------

MEMBER_HEADER = ["姓名", "身份证号", "住址", "党支部", "党员类型", "工作单位", "入党日期"]


def test_party_members_linked_transferred_and_idempotent(tmp_path, community, li, granny_wang):
    first = PartyBranchFactory(community=community, name="第一党支部")
    second = PartyBranchFactory(community=community, name="第二党支部")
    rows = [
        ["李建国", LI, "", "第一党支部", "在职党员", "天津港", "1985-07-01"],
        ["王秀兰", "", "4-2-301", "第一党支部", "", "", ""],
    ]
    content = xlsx_bytes(MEMBER_HEADER, rows)
    _out, err, error = run_import(tmp_path, "party-members", content, "--commit")
    assert error is None, err
    run = last_run()
    assert (run.new_count, run.rejected_count, run.status) == (2, 0, ImportStatus.DONE)
    member = PartyMember.objects.get(person=li)
    assert (member.branch, member.kind, member.workplace) == (first, "serving", "天津港")
    assert member.joined_party_on == date(1985, 7, 1)
    assert PartyMember.objects.get(person=granny_wang).kind == "resident"
    rows_li = RegistryChange.objects.filter(person=li, action="party")
    assert {row.field for row in rows_li} == {"party_branch", "party_kind"}
    assert {row.source for row in rows_li} == {run.source}
    from grassroots.accounts import system_actor
    from grassroots.people.history import history_for

    with translation.override("en"):
        shown = {row.field: row for row in history_for(system_actor(), person=li).rows}
    assert shown["party_kind"].new_shown.startswith("serving party member")
    assert shown["party_branch"].field_label == "party branch" and shown["party_branch"].source == run.source
    history = RegistryChange.objects.count()
    _out, err, error = run_import(tmp_path, "party-members", content, "--commit")
    assert error is None, err
    assert (last_run().new_count, last_run().changed_count, last_run().unchanged_count) == (0, 0, 2)
    assert RegistryChange.objects.count() == history
    moved = [["李建国", LI, "", "第二党支部", "", "", ""]]
    _out, err, error = run_import(tmp_path, "party-members", xlsx_bytes(MEMBER_HEADER, moved), "--commit")
    assert error is None, err
    assert last_run().changed_count == 1
    member.refresh_from_db()
    assert member.branch == second and member.workplace == "天津港"  # an empty cell keeps the workplace
    transfer = RegistryChange.objects.get(person=li, field="party_branch", source=last_run().source)
    assert (transfer.old_display, transfer.new_display) == ("第一党支部", "第二党支部")


def test_party_members_bad_rows(tmp_path, community, li, granny_wang, other_household):
    PartyBranchFactory(community=community, name="第一党支部")
    stranger = PersonFactory(
        household=other_household, id_number=make_id_number(date(1955, 1, 1), serial=650)
    )
    bad_id = LI[:17] + ("0" if LI[17] != "0" else "1")
    rows = [
        ["李建国", LI, "", "第一党支部", "", "", ""],
        ["李建国", LI, "", "第一党支部", "", "", ""],
        ["赵一", bad_id, "", "第一党支部", "", "", ""],
        ["赵二", "", "4-2-301", "第一党支部", "", "", ""],
        ["王秀兰", "", "4-2-301", "第九党支部", "", "", ""],
        ["王秀兰", "", "4-2-301", "第一党支部", "预备", "", ""],
        ["外人", stranger.reveal("id_number"), "", "第一党支部", "", "", ""],
        ["王秀兰", "", "4-2-301", "第一党支部", "", "", "七月"],
        ["赵三", "", "4-3-999", "第一党支部", "", "", ""],
    ]
    _out, _err, error = run_import(tmp_path, "party-members", xlsx_bytes(MEMBER_HEADER, rows), "--commit")
    assert error is not None and "8 row(s) rejected" in str(error)
    assert not PartyMember.objects.exists() and not RegistryChange.objects.exists()
    assert_problems(
        [
            (3, "姓名", "The same person as row 2."),
            (4, "身份证号", "check digit"),
            (5, "姓名", "not in the register"),
            (6, "党支部", "no party branch 第九党支部"),
            (7, "党员类型", "Unknown kind of party member"),
            (8, "身份证号", "another community"),
            (9, "入党日期", "Not a date"),
            (10, "住址", "no household 4-3-999"),
        ]
    )


# --- volunteers ---------------------------------------------------------------------------------

VOLUNTEER_HEADER = ["姓名", "身份证号", "住址", "志愿服务队", "技能", "服务时间"]


def test_volunteers_join_teams_add_skills_and_are_idempotent(tmp_path, community, li, granny_wang):
    water = VolunteerTeamFactory(community=community, name="送水队")
    repairs = VolunteerTeamFactory(community=community, name="维修队")
    rows = [
        ["李建国", LI, "", "送水队", "送水送物", "周末"],
        ["李建国", LI, "", "维修队", "水暖维修、电工", ""],
    ]
    content = xlsx_bytes(VOLUNTEER_HEADER, rows)
    _out, err, error = run_import(tmp_path, "volunteers", content, "--commit")
    assert error is None, err
    run = last_run()
    assert (run.new_count, run.rejected_count) == (2, 0)
    volunteer = Volunteer.objects.get(person=li)
    assert set(volunteer.teams.all()) == {water, repairs}
    assert set(volunteer.skills.values_list("code", flat=True)) == {"delivery", "plumbing", "electrical"}
    assert volunteer.availability == "周末" and volunteer.home_grid.code == "A"
    joined = RegistryChange.objects.filter(person=li, action="team_join", field="team", source=run.source)
    assert sorted(joined.values_list("new_display", flat=True)) == ["维修队", "送水队"]
    history = RegistryChange.objects.count()
    _out, err, error = run_import(tmp_path, "volunteers", content, "--commit")
    assert error is None, err
    assert (last_run().new_count, last_run().unchanged_count) == (0, 2)
    assert RegistryChange.objects.count() == history


def test_volunteers_bad_rows(tmp_path, community, li):
    VolunteerTeamFactory(community=community, name="送水队")
    rows = [
        ["李建国", LI, "", "送水队", "", ""],
        ["李建国", LI, "", "送水队", "", ""],
        ["李建国", LI, "", "舞蹈队", "", ""],
        ["李建国", LI, "", "送水队", "跳舞", ""],
        ["李建国", LI, "", "", "", ""],
    ]
    _out, _err, error = run_import(tmp_path, "volunteers", xlsx_bytes(VOLUNTEER_HEADER, rows), "--commit")
    assert error is not None and "4 row(s) rejected" in str(error)
    assert not Volunteer.objects.exists()
    assert_problems(
        [
            (3, "姓名", "The same person and team as row 2."),
            (4, "志愿服务队", "no volunteer team 舞蹈队"),
            (5, "技能", "Unknown skill 跳舞"),
            (6, "志愿服务队", "give the name of the branch or team"),
        ]
    )


def test_volunteers_from_a_gb18030_csv(tmp_path, community, li):
    VolunteerTeamFactory(community=community, name="送水队")
    content = csv_bytes(
        ["志愿者姓名", "公民身份号码", "服务队", "特长"],
        [["李建国", LI, "送水队", "理发"]],
        encoding="gb18030",
    )
    _out, err, error = run_import(tmp_path, "volunteers", content, "--commit", name="志愿者.csv")
    assert error is None, err
    assert Volunteer.objects.get(person=li).skills.get().code == "haircut"


# --- member units -------------------------------------------------------------------------------

UNIT_HEADER = ["单位名称", "单位类型", "联系人", "联系电话", "可提供资源", "是否在社区内"]


def test_units_new_changed_and_idempotent(tmp_path, community):
    rows = [
        ["和盛苑物业", "物业", "刘经理", "022-23456789", "维修人员", "是"],
        ["大沽小学", "学校", "", "", "场地", "否"],
    ]
    content = xlsx_bytes(UNIT_HEADER, rows)
    _out, err, error = run_import(tmp_path, "units", content, "--commit")
    assert error is None, err
    assert last_run().new_count == 2
    school = MemberUnit.objects.get(name="大沽小学")
    assert (school.kind, school.inside_community, school.community) == ("school", False, community)
    _out, err, error = run_import(tmp_path, "units", content, "--commit")
    assert error is None, err
    assert (last_run().new_count, last_run().unchanged_count) == (0, 2)
    changed = [["大沽小学", "", "张老师", "", "", ""]]
    _out, err, error = run_import(tmp_path, "units", xlsx_bytes(UNIT_HEADER, changed), "--commit")
    assert error is None, err
    assert last_run().changed_count == 1
    school.refresh_from_db()
    assert (school.contact_name, school.offers, school.kind) == (
        "张老师",
        "场地",
        "school",
    )  # empty cells kept
    assert MemberUnit.objects.count() == 2


def test_units_bad_rows(tmp_path, community):
    rows = [
        ["和盛苑物业", "物业", "", "", "", ""],
        ["和盛苑物业", "物业", "", "", "", ""],
        ["", "物业", "", "", "", ""],
        ["某公司", "工厂", "", "", "", ""],
        ["某医院", "医院", "", "12345", "", ""],
        ["某学校", "学校", "", "", "", "也许"],
    ]
    _out, _err, error = run_import(tmp_path, "units", xlsx_bytes(UNIT_HEADER, rows), "--commit")
    assert error is not None and "5 row(s) rejected" in str(error)
    assert not MemberUnit.objects.exists()
    assert_problems(
        [
            (3, "单位名称", "The same unit as row 2."),
            (4, "单位名称", "unit's name"),
            (5, "单位类型", "Unknown kind of unit"),
            (6, "联系电话", "phone number"),
            (7, "是否在社区内", "是 or 否"),
        ]
    )


def test_a_failure_while_writing_units_leaves_nothing(tmp_path, community, monkeypatch):
    """All or nothing in the database itself: units saved before a later failure go with it."""
    calls = []
    real = ledger_units.org_save

    def fail_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return real(**kwargs)

    monkeypatch.setattr(ledger_units, "org_save", fail_second)
    rows = [["和盛苑物业", "物业", "", "", "", ""], ["大沽小学", "学校", "", "", "", ""]]
    with pytest.raises(RuntimeError):
        run_import(tmp_path, "units", xlsx_bytes(UNIT_HEADER, rows), "--commit")
    assert not MemberUnit.objects.exists() and last_run().status == ImportStatus.FAILED


def test_the_command_help_names_every_kind(capsys):
    with pytest.raises(SystemExit):
        call_command("import", "--help")
    text = capsys.readouterr().out
    for kind in ("residents", "households", "party-members", "volunteers", "units"):
        assert kind in text


# --- the page -----------------------------------------------------------------------------------


@pytest.fixture
def _tasks_now(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("households", "住址 / Address"),
        ("party-members", "党支部 / Party branch"),
        ("volunteers", "志愿服务队 / Volunteer team"),
        ("units", "单位名称 / Unit name"),
    ],
)
def test_each_kind_has_a_template_in_both_languages(socialworker, kind, header):
    import io

    from django.test import Client
    from python_calamine import CalamineWorkbook

    client = Client()
    client.force_login(socialworker)
    response = client.get(f"/ledger/templates/{kind}.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert header in rows[0]


def test_units_through_the_page_preview_then_import(_tasks_now, socialworker, community):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    client = Client()
    client.force_login(socialworker)
    content = xlsx_bytes(UNIT_HEADER, [["和盛苑物业", "物业", "刘经理", "", "维修", "是"]])
    response = client.post(
        "/ledger/",
        {"file": SimpleUploadedFile("单位.xlsx", content), "kind": "units", "community": community.pk},
    )
    run = last_run()
    assert response.status_code == 302 and run.kind == "units"
    assert (run.status, run.new_count) == (ImportStatus.CHECKED, 1) and not MemberUnit.objects.exists()
    client.post(f"/ledger/imports/{run.pk}/start/", {"mode": "all"})
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE
    assert MemberUnit.objects.get().contact_name == "刘经理"
