"""The ledger pages: bring a file in (upload, preview, confirm the headers, import), take lists out.

Importing is for the roles that hold `ledger.importrun.add` (administrators, the secretary, social
workers), in their own community; a run is seen by those roles in its community (ImportRun is
scoped like the register). Exports read through the same scoped lists as the pages they copy.
"""

from __future__ import annotations

import io

import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.core.audit import client_ip
from grassroots.core.authority import user_can
from grassroots.ledger import exports, lists, runs, tasks
from grassroots.ledger.columns import COLUMNS_BY_KIND
from grassroots.ledger.forms import MappingForm, UploadForm
from grassroots.ledger.models import ImportRun, ImportStatus
from grassroots.ledger.reading import UnreadableFile
from grassroots.places.models import Community

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROBLEMS_SHOWN = 200


def _require(user, capability: str) -> None:
    if not user_can(user, capability):
        raise Http404


def _download(content: bytes, file_name: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(file_name)}"
    response["Cache-Control"] = "no-store"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def ledger_home(request):
    """Upload a ledger, see recent imports, and find the exports."""
    may_import = user_can(request.user, "ledger.importrun.add")
    if not (may_import or user_can(request.user, exports.MASKED)):
        raise Http404
    communities = Community.objects.visible_to(request.user)
    form = None
    if may_import:
        form = UploadForm(
            request.POST or None,
            request.FILES or None,
            communities=communities,
            initial={"community": request.user.community_id},
        )
        if request.method == "POST" and form.is_valid():
            run = runs.open_run(
                actor=request.user,
                community=form.cleaned_data["community"],
                kind=form.cleaned_data["kind"],
                file_name=form.cleaned_data["file"].name,
                content=form.cleaned_data["file"].read(),
                create_households=form.cleaned_data["create_households"],
            )
            tasks.check_import.enqueue(run.pk)
            return redirect("ledger-import", pk=run.pk)
    elif request.method == "POST":
        raise Http404
    recent = ImportRun.objects.visible_to(request.user).select_related("actor")[:20] if may_import else []
    context = {
        "form": form,
        "recent": recent,
        "may_export_full": user_can(request.user, exports.UNMASKED),
        "status": request.GET.get("status", ""),
    }
    return render(
        request, "ledger/home.html", context, status=422 if form is not None and form.errors else 200
    )


def template_download(request, kind: str):
    """An empty ledger with our headers in both languages, and a sheet that explains each column."""
    _require(request.user, "ledger.importrun.add")
    columns = COLUMNS_BY_KIND.get(kind)
    if columns is None:
        raise Http404
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    text = workbook.add_format({"num_format": "@"})
    bold = workbook.add_format({"bold": True, "bg_color": "#eeeeee"})
    sheet = workbook.add_worksheet(kind)
    for position, column in enumerate(columns):
        sheet.write_string(0, position, column.header, bold)
        sheet.set_column(position, position, 18, text)  # text cells: Excel keeps ID numbers whole
    notes = workbook.add_worksheet("说明 Notes")
    notes.write_row(0, 0, ["列 / Column", "也可写作 / Also recognised", "必填 / Required"], bold)
    for row, column in enumerate(columns, start=1):
        notes.write_row(row, 0, [column.header, "、".join(column.synonyms), "✓" if column.required else ""])
    notes.set_column(0, 1, 40)
    workbook.close()
    return _download(out.getvalue(), f"{kind}-template.xlsx")


def _run_for(request, pk: int) -> ImportRun:
    _require(request.user, "ledger.importrun.add")
    return get_object_or_404(
        ImportRun.objects.visible_to(request.user).select_related("community", "actor"), pk=pk
    )


def _mapping_form(run: ImportRun, data=None) -> MappingForm | None:
    if not run.content or run.status == ImportStatus.DONE:
        return None
    try:
        table = runs.table_of(run)
    except UnreadableFile:
        return None
    return MappingForm(data, columns=runs.columns_of(run), headers=table.headers, mapping=table.mapping)


def import_page(request, pk: int):
    """A run: its progress while busy, then the preview (counts, problems, mapping) and the choices."""
    run = _run_for(request, pk)
    context = {
        "run": run,
        "problems": run.problems[:PROBLEMS_SHOWN],
        "more_problems": max(len(run.problems) - PROBLEMS_SHOWN, 0),
        "mapping_form": _mapping_form(run) if run.status == ImportStatus.CHECKED else None,
    }
    return render(request, "ledger/import.html", context)


def import_progress(request, pk: int):
    """The progress bar, polled by HTMX; once the run has finished a step the page reloads itself."""
    run = _run_for(request, pk)
    response = render(request, "ledger/_progress.html", {"run": run})
    if not run.is_busy and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def import_mapping(request, pk: int):
    """Confirm or correct which header holds which column; the file is checked again with it."""
    run = _run_for(request, pk)
    if run.status != ImportStatus.CHECKED:
        return redirect("ledger-import", pk=run.pk)
    form = _mapping_form(run, request.POST)
    if form is None or not form.is_valid():
        return render(request, "ledger/import.html", {"run": run, "mapping_form": form}, status=422)
    run.header_mapping = {key: str(value) for key, value in form.mapping().items()}
    run.status = ImportStatus.UPLOADED
    run.save(update_fields=["header_mapping", "status"])
    tasks.check_import.enqueue(run.pk)
    return redirect("ledger-import", pk=run.pk)


@require_POST
def import_start(request, pk: int):
    """Import a checked file: all or nothing, or ("good") the good rows with the rest given back."""
    run = _run_for(request, pk)
    if run.status not in (ImportStatus.CHECKED, ImportStatus.REFUSED) or not run.content:
        return redirect("ledger-import", pk=run.pk)
    run.good_rows_only = request.POST.get("mode") == "good"
    run.status = ImportStatus.IMPORTING
    run.rows_done = 0
    run.save(update_fields=["good_rows_only", "status", "rows_done"])
    tasks.import_file.enqueue(run.pk)
    return redirect("ledger-import", pk=run.pk)


def import_errors(request, pk: int):
    """The error report: the file back with an error column (only the rejected rows once imported)."""
    run = _run_for(request, pk)
    if not run.content or not run.rejected_count:
        raise Http404
    stem = run.file_name.rsplit(".", 1)[0]
    if run.status == ImportStatus.DONE:  # the good rows are in: what is kept is the rest, as a report
        content, extension = runs.run_content(run), run.file_name.rsplit(".", 1)[-1]
    else:
        try:
            checked = runs.check_run(run)
        except UnreadableFile:
            raise Http404 from None
        if checked is None:
            raise Http404
        content, extension = runs.error_report_of(run, checked)
    content_type = XLSX if extension == "xlsx" else "text/csv"
    return _download(content, f"{stem}.errors.{extension}", content_type)


def _export(request, export, filters_class, file_name: str):
    """A list with its page's filters as .xlsx; POST with full=1 and a purpose for numbers in full."""
    _require(request.user, exports.MASKED)
    query = request.POST if request.method == "POST" else request.GET
    unmasked = request.method == "POST" and query.get("full") == "1"
    try:
        content = export(
            user=request.user,
            filters=filters_class.from_query(query),
            unmasked=unmasked,
            purpose=query.get("purpose", ""),
            ip_address=client_ip(request),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        context = {
            "form": None,
            "recent": [],
            "may_export_full": True,
            "purpose_errors": [m for messages in error.message_dict.values() for m in messages],
        }
        return render(request, "ledger/home.html", context, status=422)
    return _download(content, file_name + ".xlsx")


def export_residents_view(request):
    """The residents list (the search page's filters)."""
    return _export(request, exports.export_residents, exports.ResidentFilters, _("residents"))


def export_households_view(request):
    """The households (a grid's or a building's, as their pages list them)."""
    return _export(request, lists.export_households, lists.HouseholdFilters, _("households"))


def _plain_export(request, make, file_name: str) -> HttpResponse:
    """A list without a full form (nothing in it is unmasked): 404 for a role that may not make it."""
    _require(request.user, exports.MASKED)
    try:
        content = make()
    except PermissionDenied:
        raise Http404 from None
    return _download(content, file_name + ".xlsx")


def export_organisations_view(request):
    """Branches, teams and member units, as the organisation pages show them."""
    return _plain_export(request, lambda: lists.export_organisations(user=request.user), _("organisations"))


def export_visits_view(request):
    """The care visits of a month (?month=2026-05, ?grid=)."""
    filters = lists.VisitFilters.from_query(request.GET)
    return _plain_export(
        request,
        lambda: lists.export_visits(user=request.user, filters=filters, ip_address=client_ip(request)),
        _("visits"),
    )


def export_care_register_view(request):
    """The care register with its page's filters (?tier=, ?grid=)."""
    from grassroots.care.models import Tier
    from grassroots.core.ids import parse_id

    tier = request.GET.get("tier", "")
    tier = tier if tier in Tier.values else ""
    grid_id = parse_id(request.GET.get("grid"))
    return _plain_export(
        request,
        lambda: lists.export_care_register(user=request.user, tier=tier, grid_id=grid_id),
        _("care register"),
    )


def export_cases_view(request):
    """The case list with the list's own filters, as .xlsx."""
    from grassroots.cases import selectors
    from grassroots.cases.views.common import filter_form
    from grassroots.cases.workflow import Status

    _require(request.user, exports.MASKED)
    if not user_can(request.user, "cases.case.view"):
        raise Http404
    form = filter_form(request, open_only=False, statuses=Status.values)
    listing = selectors.case_list(user=request.user, filters=form.cleaned_data if form.is_bound else {})
    return _download(exports.export_cases(user=request.user, cases=listing.rows), _("cases") + ".xlsx")
