# ruff: noqa: F811 (the month fixture imported from tests.test_dashboard is a parameter here)
"""The monthly report for the street office: its numbers are the dashboard's, its files are private.

The month is tests/test_dashboard.py's hand-counted one (c1–c8, docs/metrics.md's worked example).
The report is made as the background task makes it, read back (the .xlsx with python-calamine, the
PDF's text with pypdf) and compared with what the street office's dashboard shows for the month.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone, translation
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from grassroots.insights import reports
from grassroots.insights.models import MonthlyReport, ReportStatus, ReportSubscription
from grassroots.insights.tasks import generate_monthly_report
from grassroots.notify.models import Message
from tests.test_dashboard import month, month_start  # noqa: F401 (the hand-counted month)

pytestmark = pytest.mark.django_db

IMMEDIATE = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "notifications"],
    }
}


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _make(street, community=None, months_back: int = 1) -> MonthlyReport:
    report = reports.report_request(month=month_start(months_back), street=street, community=community)
    return reports.report_generate(report.pk)


def _sheet(report: MonthlyReport, index: int) -> list[list]:
    with report.xlsx.open("rb") as stored:
        book = CalamineWorkbook.from_filelike(io.BytesIO(stored.read()))
    return book.get_sheet_by_index(index).to_python()


def _dashboard(user, **params):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    b = month_start(1).strftime("%Y-%m")
    query = {"month_from": b, "month_to": b, **params}
    with translation.override("zh-hans"):
        page = client.get("/dashboard/", query, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    return page.context["board"]


def _columns(board):
    return ([board.total] if board.total is not None else []) + board.communities


def test_the_street_reports_numbers_equal_the_street_dashboards(
    month, community, other_community, street_user
):
    report = _make(community.street)
    assert report.status == ReportStatus.READY, report.error
    board = _dashboard(street_user)
    columns = _columns(board)
    rows = _sheet(report, 0)
    header = rows[3]
    with translation.override("zh-hans"):
        assert header[1:] == [translation.gettext("All communities"), community.name, other_community.name]
    by_label = {row[0]: row[1:] for row in rows[4:] if row and row[0]}
    checked = 0
    for key, shown in columns[0].figures.items():
        if key not in by_label.get(shown.label, ()) and shown.label not in by_label:
            continue
        for cell, column in zip(by_label[shown.label], columns, strict=True):
            figure = column.figures[key]
            if isinstance(cell, str):
                assert cell == figure.text, key
            else:
                assert cell == pytest.approx(figure.value), key
            checked += 1
    assert checked >= 3 * 17  # every figure of the dashboard, for the street and each community
    ours = columns[1].figures
    assert by_label[ours["reported"].label][1] == 6  # the street does not count c4 (sensitive)
    assert by_label[ours["satisfaction_rate"].label][1] == pytest.approx(0.9)
    care = columns[0].care
    with translation.override("zh-hans"):
        people = translation.gettext("People on the care register")
    assert by_label[people] == [care.people, columns[1].care.people, columns[2].care.people]
    top = _sheet(report, 3)
    with translation.override("zh-hans"):  # the report is written in the default language
        expected = [(str(category), count) for category, count, _url in board.top_categories]
    assert [(name, count) for name, count in top[1:]] == expected


def test_the_trend_is_the_dashboards_by_month(month, community, street_user):
    report = _make(community.street)
    b, a = month_start(1), month_start(12)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(street_user)
    page = client.get("/dashboard/", {"month_from": a.strftime("%Y-%m"), "month_to": b.strftime("%Y-%m")})
    by_month = {month.strftime("%Y-%m"): count for month, count, _url in page.context["board"].months}
    trend = _sheet(report, 2)[1:]
    assert len(trend) == 12 and trend[-1][0] == b.strftime("%Y-%m")
    assert {row[0]: int(row[1]) for row in trend if row[1]} == by_month
    assert by_month[b.strftime("%Y-%m")] == 3  # c1–c3: c4 is sensitive, c5–c7 were not taken on


def test_the_pdf_says_what_the_dashboard_says(month, community, street_user):
    report = _make(community.street, community)
    with report.pdf.open("rb") as stored:
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(stored.read())).pages)
    (ours,) = _dashboard(street_user, community=community.pk).communities
    # The extractor puts a space (or a NUL) between the glyphs of the embedded font: read past them.
    lines = ["".join(line.replace("\x00", "").split()) for line in text.splitlines()]

    def squeezed(words: str) -> str:
        return "".join(words.split())

    for key, figure in ours.figures.items():
        line = next((line for line in lines if line.startswith(squeezed(figure.label))), None)
        assert line is not None, figure.label
        assert line.removeprefix(squeezed(figure.label)) == squeezed(figure.text), key
    assert squeezed(f"{community.name}") in lines[0] and month_start(1).strftime("%Y-%m") in lines[0]
    assert any(line.startswith(month_start(1).strftime("%Y-%m") + "3") for line in lines)  # the trend's table


def test_the_secretarys_report_is_the_street_offices_view_of_her_community(month, community, secretary):
    report = _make(community.street, community)
    rows = {row[0]: row[1:] for row in _sheet(report, 0)[4:] if row and row[0]}
    (hers,) = _dashboard(secretary).communities
    assert hers.figures["reported"].value == 7  # her own dashboard counts the sensitive c4
    assert rows[hers.figures["reported"].label] == [6]  # the report, read by the street too, does not


# --- who reads a report ----------------------------------------------------------------------------------


def test_each_leg_reads_the_reports_of_its_scope(
    month, community, other_community, secretary, street_user, socialworker, admin_user
):
    street_report = _make(community.street)
    ours = _make(community.street, community)
    theirs = _make(community.street, other_community)
    seen = {
        name: set(MonthlyReport.objects.visible_to(user).values_list("pk", flat=True))
        for name, user in (
            ("secretary", secretary),
            ("street", street_user),
            ("socialworker", socialworker),
            ("admin", admin_user),
        )
    }
    assert seen == {
        "secretary": {ours.pk},
        "street": {street_report.pk, ours.pk, theirs.pk},
        "socialworker": set(),
        "admin": {street_report.pk, ours.pk, theirs.pk},
    }
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(secretary)
    assert client.get(f"/dashboard/reports/{ours.pk}/pdf/").status_code == 200
    assert client.get(f"/dashboard/reports/{street_report.pk}/pdf/").status_code == 404
    assert client.get(f"/dashboard/reports/{theirs.pk}/xlsx/").status_code == 404
    assert client.get(f"/dashboard/reports/{ours.pk}/docx/").status_code == 404
    listed = client.get("/dashboard/reports/")
    assert [r.pk for r in listed.context["page"]] == [ours.pk]
    client.force_login(socialworker)
    assert client.get("/dashboard/reports/").status_code == 404
    assert client.get(f"/dashboard/reports/{ours.pk}/pdf/").status_code == 404


def test_the_files_are_private(month, community, private_media, client):
    report = _make(community.street, community)
    assert report.pdf.path.startswith(str(private_media / "private" / "reports"))
    assert client.get("/media/" + report.pdf.name).status_code == 404


def test_a_download_is_the_stored_file(month, community, street_user):
    report = _make(community.street)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(street_user)
    answer = client.get(f"/dashboard/reports/{report.pk}/xlsx/")
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment")
    with report.xlsx.open("rb") as stored:
        assert b"".join(answer.streaming_content) == stored.read()


# --- made once a month, on demand, mailed ------------------------------------------------------------------


def test_the_sweep_asks_for_last_months_reports_once(
    community, other_community, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        assert reports.reports_due() == 3  # the street, and each of its two communities
    assert reports.reports_due() == 0
    made = MonthlyReport.objects.filter(period=reports.last_month(timezone.now()))
    assert made.count() == 3
    assert set(made.values_list("status", flat=True)) == {ReportStatus.READY}


def test_a_lost_request_is_queued_again(community, settings):
    reports.reports_due()  # the database queue: nobody runs the tasks here
    pending = MonthlyReport.objects.filter(status=ReportStatus.PENDING)
    assert pending.count() == 2
    assert reports.reports_due() == 0
    pending.update(queued_at=timezone.now() - reports.LOST_AFTER * 2)
    assert reports.reports_due() == 2
    generate_monthly_report.call(pending.first().pk)
    assert MonthlyReport.objects.filter(status=ReportStatus.READY).count() == 1


def test_subscribers_are_told_once_with_a_link_never_the_file(
    month, community, street_user, secretary, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    settings.GRASSROOTS_NOTIFY_EMAIL = True
    street_user.email = "street@example.org"
    street_user.save()
    ReportSubscription.objects.create(user=street_user, street=community.street)
    ReportSubscription.objects.create(user=secretary, street=community.street)  # may not read it
    with django_capture_on_commit_callbacks(execute=True):
        report = _make(community.street)
    told = Message.objects.filter(reason="report")
    assert {(m.recipient, m.channel) for m in told} == {(street_user, "inbox"), (street_user, "email")}
    email = told.get(channel="email")
    assert email.status == "sent"  # delivered through notify's own channel (console/e-mail backend)
    assert f"/dashboard/reports/{report.pk}/" in email.body
    with django_capture_on_commit_callbacks(execute=True):
        reports.report_request(month=report.period, street=community.street, requested_by=street_user)
    assert MonthlyReport.objects.get(pk=report.pk).generated_at > report.generated_at
    assert told.count() == 2  # made again on demand: nobody is told twice


def test_asking_on_demand_makes_it_again_and_bad_input_is_shown(
    month, community, street_user, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(street_user)
    b = month_start(1).strftime("%Y-%m")
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/dashboard/reports/ask/", {"month": b, "scope": f"community:{community.pk}"})
    report = MonthlyReport.objects.get(community=community)
    assert answer.status_code == 302 and answer.url == f"/dashboard/reports/{report.pk}/"
    assert report.status == ReportStatus.READY and report.requested_by == street_user
    first = report.generated_at
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/dashboard/reports/ask/", {"month": b, "scope": f"community:{community.pk}"})
    report.refresh_from_db()
    assert report.generated_at > first and MonthlyReport.objects.count() == 1
    with translation.override("en"):
        bad = client.post(
            "/dashboard/reports/ask/",
            {"month": "2026-13", "scope": f"community:{community.pk}"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert bad.status_code == 400
    assert "2026-13" in bad.content.decode()  # what was typed is kept
    assert bad.context["form"].errors["month"]
    future = client.post(
        "/dashboard/reports/ask/", {"month": "2099-01", "scope": f"street:{community.street_id}"}
    )
    assert future.status_code == 400
    elsewhere = client.post("/dashboard/reports/ask/", {"month": b, "scope": "community:999999"})
    assert elsewhere.status_code == 400 and elsewhere.context["form"].errors["scope"]


def test_the_command_makes_a_month(month, community, capsys):
    b = month_start(1).strftime("%Y-%m")
    call_command("report", "monthly", "--period", b, "--community", community.code)
    report = MonthlyReport.objects.get(community=community)
    assert report.status == ReportStatus.READY
    assert report.pdf.path in capsys.readouterr().out
    with pytest.raises(CommandError, match="2026-13"):
        call_command("report", "monthly", "--period", "2026-13")
    with pytest.raises(CommandError, match="NOPE"):
        call_command("report", "monthly", "--period", b, "--street", "NOPE")


def test_the_schedule_can_be_turned_off(community, settings):
    settings.GRASSROOTS_MONTHLY_REPORTS = False
    assert reports.reports_due() == 0
    assert not MonthlyReport.objects.exists()


def test_a_report_being_made_shows_itself_ready_without_a_reload(month, community, street_user):
    """While a report is pending, its page and the list ask for themselves again (htmx polling)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(street_user)
    report = reports.report_request(
        month=month_start(1), street=None, community=community, requested_by=street_user, queue=False
    )
    assert report.status == ReportStatus.PENDING
    detail = client.get(f"/dashboard/reports/{report.pk}/").content.decode()
    listing = client.get("/dashboard/reports/").content.decode()
    assert 'hx-trigger="every 3s"' in detail and "being made" in detail and "download-pdf" not in detail
    assert 'id="report-table" hx-get="/dashboard/reports/"' in listing
    reports.report_generate(report.pk)
    detail = client.get(f"/dashboard/reports/{report.pk}/").content.decode()
    assert 'hx-trigger="every 3s"' not in detail and "download-pdf" in detail
    assert 'hx-trigger="every 3s"' not in client.get("/dashboard/reports/").content.decode()
