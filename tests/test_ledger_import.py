"""Importing a ledger of residents (issue 9.6-9.8): every row checked, all or nothing, idempotent."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from grassroots.core import pii
from grassroots.ledger import residents as ledger_residents
from grassroots.ledger.models import ImportRun, ImportStatus
from grassroots.people import history
from grassroots.people.models import Person, PhoneKind, RegistryChange, Residency
from grassroots.places.models import Household
from tests.factories import PersonFactory, make_id_number
from tests.ledger_files import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "身份证号", "性别", "出生日期", "联系电话", "住址", "与户主关系", "备注"]
LI = make_id_number(date(1960, 5, 4), sex="M", serial=401)
ZHANG = make_id_number(date(1962, 7, 1), sex="F", serial=402)
CHILD = make_id_number(date(1990, 1, 2), sex="M", serial=403)


def good_rows() -> list[list]:
    return [
        ["李建国", LI, "男", "1960-05-04", "13900004001", "4-1-101", "户主", ""],
        ["张桂英", ZHANG, "女", "", "139 0000 4002", "4号楼1单元101室", "配偶", "腿脚不便"],
        ["李明", CHILD, "", "", "022-23456789", "4-1-101", "儿子", ""],
    ]


def run_import(tmp_path, content: bytes, *args, name: str = "ledger.xlsx"):
    """The command on a file; returns (stdout, stderr, the CommandError or None)."""
    path = tmp_path / name
    path.write_bytes(content)
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        with translation.override("en"):
            call_command("import", str(path), "--community", "HSY", *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


@pytest.fixture
def place(community, household_a, neighbourhood, other_community):
    return community


def test_a_good_file_is_imported_with_households_history_and_a_record(tmp_path, place):
    out, err, error = run_import(tmp_path, xlsx_bytes(HEADER, good_rows()), "--commit")
    assert error is None, err
    run = ImportRun.objects.get()
    assert (run.status, run.new_count, run.rejected_count, run.via) == (ImportStatus.DONE, 3, 0, "cli")
    assert len(run.sha256) == 64 and run.content == ""  # the numbers in clear leave with the run
    li = Person.objects.with_id_number(LI).get()
    assert li.current_household.address == "4-1-101" and li.phone_masked == "139****4001"
    zhang = Person.objects.with_id_number(ZHANG).get()
    assert (zhang.sex, zhang.birth_date, zhang.note) == ("F", date(1962, 7, 1), "腿脚不便")  # from the ID
    child = Person.objects.with_id_number(CHILD).get()
    assert child.phone_kind == PhoneKind.LANDLINE and not child.takes_sms
    assert Residency.objects.get(person=li).relation == "head"
    sources = set(RegistryChange.objects.filter(person=li).values_list("source", flat=True))
    assert sources == {f"import #{run.pk}"}
    registration = RegistryChange.objects.get(person=li)  # one row: every detail registered
    lines = {line.field: line for line in history.entries(registration)}
    assert lines["phone"].new_display == "139****4001" and "13900004001" not in registration.new_display
    assert json.loads(registration.new_sealed) == {"id_number": LI, "phone": "13900004001"}  # sealed, read
    assert (lines["household"].action, lines["household"].new_display) == ("move_in", "4-1-101")
    assert "3 new" in out


def test_re_importing_the_same_file_changes_nothing(tmp_path, place):
    content = xlsx_bytes(HEADER, good_rows())
    run_import(tmp_path, content, "--commit")
    history, people = RegistryChange.objects.count(), Person.objects.count()
    _out, err, error = run_import(tmp_path, content, "--commit")
    assert error is None, err
    second = ImportRun.objects.order_by("-pk").first()
    assert (second.new_count, second.changed_count, second.unchanged_count) == (0, 0, 3)
    assert (RegistryChange.objects.count(), Person.objects.count()) == (history, people)


def test_a_changed_phone_is_a_change_in_the_history_as_the_import(tmp_path, place, granny_wang):
    number = granny_wang.reveal("id_number")
    rows = [["王秀兰", number, "女", "1944-03-08", "13700001111", "4-2-301", "户主", ""]]
    _out, err, error = run_import(tmp_path, xlsx_bytes(HEADER, rows), "--commit")
    assert error is None, err
    run = ImportRun.objects.get()
    assert run.changed_count == 1
    granny_wang.refresh_from_db()
    assert granny_wang.reveal("phone") == "13700001111"
    change = RegistryChange.objects.get(person=granny_wang, field="phone")
    assert change.source == f"import #{run.pk}" and change.old_display == "138****5678"


def test_a_person_without_an_id_is_matched_by_address_and_name(tmp_path, place, granny_wang):
    rows = [["王秀兰", "", "女", "1944-03-08", "", "4-2-301", "户主", "独居"]]
    _out, err, error = run_import(tmp_path, xlsx_bytes(HEADER, rows), "--commit")
    assert error is None, err
    assert Person.objects.filter(name="王秀兰").count() == 1
    granny_wang.refresh_from_db()
    assert granny_wang.note == "独居" and granny_wang.phone_masked == "138****5678"  # empty cell: kept


BAD = [
    # (row, the column named, a piece of the message)
    (
        ["赵一", LI[:17] + ("0" if LI[17] != "0" else "1"), "男", "", "", "4-1-101", "", ""],
        "身份证号",
        "check digit",
    ),
    (["赵二", ZHANG, "女", "1962-07-02", "", "4-1-101", "", ""], "出生日期", "disagrees with the ID"),
    (["赵三", LI, "女", "", "", "4-1-101", "", ""], "性别", "sex disagrees"),
    (["赵四", "", "男", "1970-01-01", "12345", "4-1-101", "", ""], "联系电话", "phone number"),
    (["赵五", "", "男", "1970-01-01", "", "9-1-101", "", ""], "住址", "no building 9"),
    (["赵六", "", "男", "1970-01-01", "", "4-3-999", "", ""], "住址", "no household 4-3-999"),
    (["赵七", "", "男", "1970-01-01", "", "4-9-101", "", ""], "住址", "only 4 entrances"),
    (["赵八", "", "男", "生日", "", "4-1-101", "", ""], "出生日期", "Not a date"),
    (["", "", "男", "1970-01-01", "", "4-1-101", "", ""], "姓名", "enter the name"),
    (["赵九", "", "", "1970-01-01", "", "4-1-101", "", ""], "性别", "choose the sex"),
    (["赵十", "", "男", "1970-01-01", "", "", "", ""], "住址", "give the address"),
    (["赵十一", "", "男", "1970-01-01", "", "4-1-101", "表哥", ""], "与户主关系", "Unknown relation"),
    (["赵十二", "", "男", "2990-01-01", "", "4-1-101", "", ""], "出生日期", "in the future"),
]


def test_every_bad_row_is_named_by_row_and_column_and_nothing_is_written(tmp_path, place):
    rows = [good_rows()[0]] + [row for row, _, _ in BAD]
    people = Person.objects.count()
    _out, err, error = run_import(tmp_path, xlsx_bytes(HEADER, rows), "--commit")
    assert error is not None and "13 row(s) rejected" in str(error)
    assert Person.objects.count() == people and not RegistryChange.objects.exists()
    problems = ImportRun.objects.get().problems
    for offset, (_row, column, piece) in enumerate(BAD):
        number = offset + 3  # the header is row 1, the good row row 2
        found = [p for p in problems if p["row"] == number and p["column"] == column]
        assert found and piece in found[0]["message"], (number, column, piece, problems)
        assert f"row {number}, {column}:" in err
    assert ImportRun.objects.get().status == ImportStatus.REFUSED
    report = (tmp_path / "ledger.errors.xlsx").read_bytes()
    from grassroots.ledger.columns import RESIDENT_COLUMNS
    from grassroots.ledger.reading import read_table

    table = read_table(report, "report.xlsx", RESIDENT_COLUMNS)
    assert table.headers[-1] == "错误 / Errors" and len(table.rows) == 14
    assert table.rows[0][-1] in ("", None) and "身份证号" in table.rows[1][-1]


def test_duplicates_in_the_file_and_in_another_community(tmp_path, place, other_household):
    stranger = PersonFactory(
        household=other_household, id_number=make_id_number(date(1955, 1, 1), serial=450)
    )
    rows = [
        good_rows()[0],
        ["李建国", LI, "男", "", "", "4-1-101", "", ""],
        ["王五", "", "男", "1970-01-01", "", "4-1-101", "", ""],
        ["王五", "", "男", "1971-01-01", "", "4-1-101", "", ""],
        ["外人", stranger.reveal("id_number"), "", "", "", "4-1-101", "", ""],
    ]
    _out, err, error = run_import(tmp_path, xlsx_bytes(HEADER, rows), "--commit")
    assert error is not None
    assert "row 3, 身份证号: The same ID number as row 2." in err
    assert "row 5, 姓名: The same name at the same address as row 4." in err
    assert "row 6, 身份证号: This ID number is registered in another community." in err


def test_an_id_number_that_excel_turned_into_a_number_is_refused(tmp_path, place):
    rows = [["李建国", float(LI[:15] + "000"), "男", "", "", "4-1-101", "", ""]]
    _out, err, error = run_import(tmp_path, xlsx_bytes(HEADER, rows), "--commit")
    assert error is not None and "format the column as text" in err


def test_the_good_rows_are_imported_and_the_rest_given_back(tmp_path, place):
    rows = [*good_rows(), BAD[0][0]]
    _out, err, error = run_import(tmp_path, xlsx_bytes(HEADER, rows), "--commit", "--good-rows")
    assert error is None, err
    run = ImportRun.objects.get()
    assert (run.status, run.new_count, run.rejected_count) == (ImportStatus.DONE, 3, 1)
    assert not Person.objects.filter(name="赵一").exists()
    from grassroots.ledger.columns import RESIDENT_COLUMNS
    from grassroots.ledger.reading import read_table

    rest = read_table((tmp_path / "ledger.errors.xlsx").read_bytes(), "rest.xlsx", RESIDENT_COLUMNS)
    assert [row[0] for row in rest.rows] == ["赵一"]


def test_a_failure_while_writing_leaves_nothing(tmp_path, place, granny_wang, monkeypatch):
    """All or nothing in the database itself: people already written in bulk go when a later row fails."""
    number = granny_wang.reveal("id_number")
    rows = [*good_rows(), ["王秀兰", number, "女", "", "13700001111", "4-2-301", "户主", ""]]

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(ledger_residents.services, "person_update", fail)
    people, history = Person.objects.count(), RegistryChange.objects.count()
    with pytest.raises(RuntimeError):
        run_import(tmp_path, xlsx_bytes(HEADER, rows), "--commit")
    assert (Person.objects.count(), RegistryChange.objects.count()) == (people, history)
    assert ImportRun.objects.get().status == ImportStatus.FAILED


def test_without_commit_only_the_preview(tmp_path, place):
    out, _err, error = run_import(tmp_path, xlsx_bytes(HEADER, good_rows()))
    assert error is None and "3 new" in out
    assert not Person.objects.filter(name="李建国").exists()


def test_a_gb18030_csv_with_other_headers_and_a_title_line(tmp_path, place):
    header = ["名字", "公民身份号码", "手机号", "楼号", "单元", "房号", "人口类型"]
    rows = [
        ["李建国", LI, "13900004001", "4号楼", "1", "101", "流动"],
        ["䶮䶮", ZHANG, "", "4", "1单元", "101", "户籍"],
    ]
    content = csv_bytes(header, rows, encoding="gb18030")
    assert content.decode("gb18030") and not _is_utf8(content)
    _out, err, error = run_import(tmp_path, content, "--commit", name="台账.csv")
    assert error is None, err
    rare = Person.objects.with_id_number(ZHANG).get()
    assert rare.name == "䶮䶮" and rare.residencies.get().residence_type == "registered"
    assert Person.objects.with_id_number(LI).get().residencies.get().residence_type == "migrant"


def test_a_house_number_column_alone_holds_the_whole_address(tmp_path, place):
    """Many ledgers have one 门牌 column with "4-1-101" in it, and no building or entrance."""
    content = csv_bytes(["姓名", "公民身份号码", "门牌"], [["李建国", LI, "4-1-101"]], encoding="gb18030")
    _out, err, error = run_import(tmp_path, content, "--commit", name="台账.csv")
    assert error is None, err
    assert Person.objects.with_id_number(LI).get().current_household.address == "4-1-101"


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_missing_households_are_created_when_asked(tmp_path, place):
    rows = [["李建国", LI, "", "", "", "4-3-202", "户主", ""]]
    _out, err, error = run_import(tmp_path, xlsx_bytes(HEADER, rows), "--commit")
    assert error is not None and "no household 4-3-202" in err
    _out, err, error = run_import(tmp_path, xlsx_bytes(HEADER, rows), "--commit", "--create-households")
    assert error is None, err
    household = Household.objects.get(building__number=4, entrance=3, room="202")
    assert RegistryChange.objects.filter(household=household, action="household_create").exists()


def test_a_title_line_above_the_headers_is_skipped(tmp_path, place):
    content = xlsx_bytes(HEADER, good_rows(), title="和盛苑社区居民台账（2026年）")
    _out, err, error = run_import(tmp_path, content, "--commit")
    assert error is None, err
    assert ImportRun.objects.get().new_count == 3


def test_the_id_check_digit_comes_from_stdnum():
    assert pii.id_check_char("11010519491231002") == "X"


def test_the_progress_bar_shows_rows_per_second():
    from io import StringIO

    from grassroots.ledger.progress import ProgressBar

    stream = StringIO()
    bar = ProgressBar("checking", stream=stream, force=True)
    bar(500, 1000)
    bar(1000, 1000)
    bar.close()
    line = stream.getvalue().split("\r")[-1]
    assert "1,000/1,000" in line and "rows/s" in line and "#" * 30 in line
    quiet = StringIO()
    ProgressBar("checking", stream=quiet)(1, 2)  # not a terminal, not forced: nothing
    assert quiet.getvalue() == ""
