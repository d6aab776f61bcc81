"""A social worker brings a ledger in through Chromium: upload, preview, fix, import, export (issue 9.12)."""

from __future__ import annotations

from datetime import date

import pytest
from python_calamine import CalamineWorkbook
from tests.factories import make_id_number
from tests.ledger_files import xlsx_bytes

from grassroots.ledger.models import ImportRun, ImportStatus
from grassroots.people.models import Person

HEADER = ["姓名", "身份证号", "联系电话", "住址"]
LI = make_id_number(date(1960, 5, 4), sex="M", serial=601)


@pytest.fixture(autouse=True)
def _tasks_now(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def _upload(page, tmp_path, rows, name):
    path = tmp_path / name
    path.write_bytes(xlsx_bytes(HEADER, rows))
    page.goto("/ledger/")
    page.set_input_files("input[name=file]", str(path))
    page.click("text=Upload and check")
    page.wait_for_url("**/ledger/imports/*/")


def test_upload_preview_fix_import_and_export(signed_in_page, socialworker, household_a, tmp_path):
    page = signed_in_page(socialworker)
    page.goto("/ledger/")
    page.get_by_role("button", name="English").click()  # the labels below are the English ones
    bad = [["李建国", LI, "13900006001", "4-2-301"], ["赵一", LI[:17] + "0", "", "4-2-301"]]
    _upload(page, tmp_path, bad, "台账.xlsx")
    assert page.locator("table.problems").inner_text().count("身份证号") >= 1
    assert "One bad row stops the whole file" in page.inner_text("main")
    with page.expect_download() as report:
        page.click("text=Download the error report")
    workbook = CalamineWorkbook.from_path(report.value.path())
    assert workbook.get_sheet_by_index(0).to_python()[0][-1] == "错误 / Errors"
    # Fixed: the second row's number corrected (here: the row left out), uploaded again and imported.
    _upload(page, tmp_path, bad[:1], "台账-改.xlsx")
    page.click("button[name=mode][value=all]")
    page.wait_for_selector("text=Result")
    run = ImportRun.objects.order_by("-pk").first()
    assert run.status == ImportStatus.DONE and Person.objects.with_id_number(LI).exists()
    page.goto("/people/?q=李建国")
    with page.expect_download() as export:
        page.click("text=Export these residents (.xlsx)")
    rows = CalamineWorkbook.from_path(export.value.path()).get_sheet_by_index(0).to_python()
    assert rows[2][0] == "李建国" and rows[2][4] == "139****6001"


def test_a_volunteers_ledger_in_and_the_organisations_out(
    signed_in_page, socialworker, granny_wang, tmp_path
):
    """Another kind of ledger through the same page: volunteers linked to their team, then exported."""
    from tests.factories import VolunteerTeamFactory

    from grassroots.orgs.models import Volunteer

    VolunteerTeamFactory(community=socialworker.community, name="助老服务队")
    page = signed_in_page(socialworker)
    page.goto("/ledger/")
    page.get_by_role("button", name="English").click()
    path = tmp_path / "志愿者台账.xlsx"
    path.write_bytes(
        xlsx_bytes(["姓名", "住址", "志愿服务队", "技能"], [["王秀兰", "4-2-301", "助老服务队", "陪伴聊天"]])
    )
    page.goto("/ledger/")
    page.select_option("select[name=kind]", "volunteers")
    page.set_input_files("input[name=file]", str(path))
    page.click("text=Upload and check")
    page.wait_for_url("**/ledger/imports/*/")
    counts = page.locator("table.counts").inner_text()
    assert "New\t1" in counts and "Rejected\t0" in counts
    assert not Volunteer.objects.exists()  # the preview wrote nothing
    page.click("button[name=mode][value=all]")
    page.wait_for_selector("text=Result")
    assert Volunteer.objects.get(person=granny_wang).skills.get().code == "companionship"
    page.goto("/orgs/")
    with page.expect_download() as export:
        page.click("#export-organisations")
    book = CalamineWorkbook.from_path(export.value.path())
    teams = book.get_sheet_by_name("Volunteer teams").to_python()
    assert teams[0][0].startswith("Exported by socialworker")
    assert [row[:3] for row in teams[2:]] == [["助老服务队", "送水、维修", "王秀兰"]]
