"""The ledger pages (issue 9.6-9.10): upload, preview, fix, import, export, masked as the screen."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from python_calamine import CalamineWorkbook

from grassroots.core.models import AuditEvent
from grassroots.ledger.models import ImportRun, ImportStatus
from grassroots.people.models import Person, PersonalDataAccess, RegistryChange
from tests.factories import make_id_number
from tests.ledger_files import xlsx_bytes

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
LI = make_id_number(date(1960, 5, 4), sex="M", serial=501)
HEADER = ["名字", "身份证号", "性别", "手机号", "住址"]


@pytest.fixture(autouse=True)
def _tasks_now(settings):
    settings.TASKS = IMMEDIATE


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _upload(client, community, content: bytes, name: str = "台账.xlsx"):
    return client.post(
        "/ledger/",
        {"file": SimpleUploadedFile(name, content), "kind": "residents", "community": community.pk},
    )


def _sheet(response) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()


def test_upload_preview_fix_and_import(socialworker, community, household_a, granny_wang):
    client = _client(socialworker)
    bad = xlsx_bytes(
        HEADER, [["李建国", LI, "", "13900005001", "4-2-301"], ["赵一", "", "男", "123", "4-2-301"]]
    )
    response = _upload(client, community, bad)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ledger/imports/{run.pk}/"
    text = client.get(response["Location"]).content.decode()
    run.refresh_from_db()
    assert (run.status, run.new_count, run.rejected_count) == (ImportStatus.CHECKED, 1, 1)
    assert "One bad row stops the whole file" in text and "手机号" in text  # the file's own header
    assert Person.objects.count() == 1  # the preview wrote nothing
    rows = _sheet(client.get(f"/ledger/imports/{run.pk}/errors/"))
    assert rows[0][-1] == "错误 / Errors" and rows[1][-1] == "" and rows[2][-1].startswith("手机号: ")
    # The office corrects the file and uploads it again: all good, one click imports it.
    fixed = xlsx_bytes(
        HEADER, [["李建国", LI, "", "13900005001", "4-2-301"], ["赵一", "", "男", "13900005002", "4-2-301"]]
    )
    response = _upload(client, community, fixed)
    second = ImportRun.objects.order_by("-pk").first()
    assert (second.new_count, second.rejected_count) == (2, 0)
    response = client.post(f"/ledger/imports/{second.pk}/start/", {"mode": "all"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == ImportStatus.DONE and second.content == ""
    assert RegistryChange.objects.filter(source=f"import #{second.pk}", person__name="赵一").exists()
    page = client.get(f"/ledger/imports/{second.pk}/").content.decode()
    assert "Result" in page and "import-progress" in page


def test_the_good_rows_from_the_page_and_the_rest_to_download(socialworker, community, household_a):
    client = _client(socialworker)
    content = xlsx_bytes(HEADER, [["李建国", LI, "", "", "4-2-301"], ["赵一", "", "", "", "4-2-301"]])
    _upload(client, community, content)
    run = ImportRun.objects.get()
    client.post(f"/ledger/imports/{run.pk}/start/", {"mode": "all"})
    run.refresh_from_db()
    assert run.status == ImportStatus.REFUSED and not Person.objects.filter(name="李建国").exists()
    client.post(f"/ledger/imports/{run.pk}/start/", {"mode": "good"})
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE and Person.objects.filter(name="李建国").exists()
    rows = _sheet(client.get(f"/ledger/imports/{run.pk}/errors/"))
    assert [row[0] for row in rows[1:]] == ["赵一"]


def test_a_header_mapping_corrected_on_the_page(socialworker, community, household_a):
    client = _client(socialworker)
    content = xlsx_bytes(["居民", "性别", "门牌地址"], [["李建国", "男", "4-2-301"]])
    _upload(client, community, content)
    run = ImportRun.objects.get()
    assert run.rejected_count == 1  # neither the name nor the address was recognised
    page = client.get(f"/ledger/imports/{run.pk}/").content.decode()
    assert 'name="name"' in page and 'name="address"' in page
    client.post(f"/ledger/imports/{run.pk}/mapping/", {"name": "0", "sex": "1", "address": "2"})
    run.refresh_from_db()
    assert (run.status, run.new_count, run.rejected_count) == (ImportStatus.CHECKED, 1, 0)
    assert run.header_mapping == {"name": "0", "sex": "1", "address": "2"}


def test_a_file_that_is_not_a_spreadsheet(socialworker, community):
    client = _client(socialworker)
    response = _upload(client, community, b"not a workbook", name="x.pdf")
    assert response.status_code == 422 and b".xlsx" in response.content and not ImportRun.objects.exists()
    _upload(client, community, b"not a workbook", name="x.xlsx")
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.FAILED and "Excel" in run.message and run.content == ""


def test_a_grid_worker_may_not_import(gridworker, community):
    response = _upload(_client(gridworker), community, xlsx_bytes(HEADER, []))
    assert response.status_code == 404 and not ImportRun.objects.exists()


def test_the_template_has_both_languages(socialworker):
    rows = _sheet(_client(socialworker).get("/ledger/templates/residents.xlsx"))
    assert rows[0][0] == "姓名 / Name" and "身份证号 / ID number" in rows[0]


def test_the_residents_export_is_masked_like_the_screen(gridworker, granny_wang):
    response = _client(gridworker).get("/ledger/export/residents.xlsx?q=王")
    rows = _sheet(response)
    assert rows[0][0].startswith("Exported by gridworker")
    assert rows[1][0] == "姓名 / Name"
    granny = next(row for row in rows[2:] if row[0] == "王秀兰")
    assert granny[4] == "138****5678" and "13812345678" not in str(rows)
    assert granny_wang.reveal("id_number") not in str(rows)
    assert AuditEvent.objects.filter(kind="export").exists()
    assert not PersonalDataAccess.objects.exists()


def test_a_grid_worker_exports_only_their_grid(gridworker, granny_wang, household_b):
    from tests.factories import PersonFactory

    PersonFactory(name="王二", household=household_b)
    names = [row[0] for row in _sheet(_client(gridworker).get("/ledger/export/residents.xlsx"))[2:]]
    assert "王秀兰" in names and "王二" not in names


def test_a_full_export_needs_the_capability_and_a_purpose_and_is_logged(secretary, socialworker, granny_wang):
    assert (
        _client(socialworker).post("/ledger/export/residents.xlsx", {"full": "1", "purpose": "x"}).status_code
        == 404
    )
    client = _client(secretary)
    refused = client.post("/ledger/export/residents.xlsx", {"full": "1", "purpose": ""})
    assert refused.status_code == 422 and not PersonalDataAccess.objects.exists()
    response = client.post("/ledger/export/residents.xlsx", {"full": "1", "purpose": "民政核查"})
    rows = _sheet(response)
    assert "民政核查" in rows[0][0] and "secretary" in rows[0][0]
    granny = next(row for row in rows[2:] if row[0] == "王秀兰")
    assert granny[4] == "13812345678" and granny[3] == granny_wang.reveal("id_number")
    logged = set(PersonalDataAccess.objects.filter(person=granny_wang).values_list("field", "purpose"))
    assert logged == {("phone", "民政核查"), ("id_number", "民政核查")}
    event = AuditEvent.objects.filter(kind="export").latest("seq")
    assert event.detail["unmasked"] is True and event.detail["purpose"] == "民政核查"


def test_the_cases_export_masks_the_reporter_phone(secretary, community, granny_wang):
    from grassroots.cases import services as cases
    from grassroots.cases.models import Category, Channel
    from grassroots.cases.services import ReportDetails

    cases.case_report(
        actor=secretary,
        community=community,
        details=ReportDetails(
            category=Category.objects.get(code="repairs"),
            description="水管漏水",
            channel=Channel.PHONE,
            reporter_person=granny_wang,
            household=granny_wang.current_household,
        ),
    )
    rows = _sheet(_client(secretary).get("/ledger/export/cases.xlsx?status=reported"))
    assert rows[1][0] == "编号 / Number" and len(rows) == 3
    assert rows[2][7] == "4-2-301" and "13812345678" not in str(rows)
