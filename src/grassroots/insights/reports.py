"""The monthly report for the street office: what it says, and how it is asked for and made.

What it says is the dashboard's, read through the same `dashboard_for` for the same month: a
street's communities side by side and all of them together (or one community), every figure of
the dashboard, the trend of the twelve months up to it, the top categories, visit coverage, care
services delivered and volunteer hours. So the report and the dashboard cannot disagree
(tests/test_monthly_report.py reads the files back and compares them with the dashboard).

Whose view it counts: the street office's (`street_office_reader`), whoever asks for it and
whoever reads it. It goes up to the street and to every subscriber who may read it, so it never
counts a sensitive category (the street office's dashboard does not either); a secretary's own
dashboard also counts those, docs/metrics.md says so.

How it is made: `report_request` writes (or, asked again on demand, resets) the month's row for a
scope, "being generated", and queues `tasks.generate_monthly_report` after commit; the task calls
`report_generate`, which renders the .xlsx and the PDF (insights.report_files) into private
storage and, the first time, announces `report_ready` so that notify mails the subscribers.
`reports_due` (run by the worker's periodic sweep, notify.worker.run_periodic) asks for last
month's report of every street and community that has none yet, and queues again a request whose
task was lost. One row per month and scope (unique constraints): a second sweep, a second worker
or a second click changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation

from grassroots.accounts.models import User
from grassroots.accounts.roles import street_office_reader
from grassroots.cases import figures as case_figures
from grassroots.cases import metrics
from grassroots.cases.figures import Filters, Period
from grassroots.insights.models import MonthlyReport, ReportStatus
from grassroots.insights.selectors import CommunityFigures, dashboard_for
from grassroots.insights.signals import report_ready
from grassroots.places.models import Community, Street

logger = logging.getLogger("grassroots.insights")

#: The months of the trend: the report's month and the eleven before it.
TREND_MONTHS = 12
#: A request whose task has not finished after this long is queued again by the sweep.
LOST_AFTER = timedelta(hours=1)
#: The most requests the sweep writes or queues again in one round (the rest in the next rounds).
SWEEP_LIMIT = 50


def months_back(first: date, count: int) -> date:
    """The first day of the month `count` months before `first`."""
    index = first.year * 12 + first.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class TrendRow:
    """One month of the trend: cases taken on and the three rates."""

    month: date
    accepted: int
    response: float | None
    resolution: float | None
    satisfaction: float | None


@dataclass
class ReportContent:
    """Everything the two files show, in the report's language (settings.LANGUAGE_CODE)."""

    scope_name: str
    period: Period
    now: datetime
    columns: list[tuple[str, CommunityFigures]]  # (heading, figures): all together first, then each
    case_keys: tuple[str, ...]
    time_keys: tuple[str, ...]
    top_categories: list[tuple[str, int]] = field(default_factory=list)
    trend: list[TrendRow] = field(default_factory=list)

    @property
    def month_text(self) -> str:
        return f"{self.period.first:%Y-%m}"


def _trend(reader: User, community_ids: list[int], month: date) -> list[TrendRow]:
    """The twelve months up to the report's: one grouped read of the rollups, the dashboard's rates."""
    period = Period(months_back(month, TREND_MONTHS - 1), month)
    rows = case_figures.rollup_rows(user=reader, community_ids=community_ids, filters=Filters(period))
    by_month: dict[date, dict[str, int]] = {}
    if rows is not None:
        grouped = (
            rows.order_by()
            .values("month")
            .annotate(**{f"n_{name}": Sum(name) for name in metrics.COUNTER_NAMES})
        )
        for row in grouped:
            by_month[row["month"]] = {name: row[f"n_{name}"] or 0 for name in metrics.COUNTER_NAMES}
    trend = []
    for offset in range(TREND_MONTHS - 1, -1, -1):
        first = months_back(month, offset)
        counts = by_month.get(first, dict.fromkeys(metrics.COUNTER_NAMES, 0))
        shown = case_figures.figures_from(counts)
        trend.append(
            TrendRow(
                first,
                counts["accepted"],
                shown["response_rate"].value,
                shown["resolution_rate"].value,
                shown["satisfaction_rate"].value,
            )
        )
    return trend


def report_content(
    *, street: Street, community: Community | None, month: date, now: datetime, today: date
) -> ReportContent:
    """What the report of a month says: the street office's dashboard of that month (and its trend)."""
    from grassroots.insights.views import CASE_FIGURES, TIME_FIGURES  # the dashboard's own order

    reader = street_office_reader(street.pk)
    if community is not None:
        communities = [community]
    else:
        communities = list(Community.objects.visible_to(reader).filter(street=street).order_by("code"))
    period = Period(month, month)
    board = dashboard_for(user=reader, communities=communities, filters=Filters(period), now=now, today=today)
    columns: list[tuple[str, CommunityFigures]] = []
    if board.total is not None:
        columns.append((translation.gettext("All communities"), board.total))
    columns += [(row.community.name, row) for row in board.communities]
    return ReportContent(
        scope_name=community.name if community is not None else street.name,
        period=period,
        now=now,
        columns=columns,
        case_keys=CASE_FIGURES,
        time_keys=TIME_FIGURES,
        top_categories=[(str(category), count) for category, count, _url in board.top_categories],
        trend=_trend(reader, [c.pk for c in communities], month),
    )


# --- asking for a report, making it ------------------------------------------------------------------


def last_month(now: datetime) -> date:
    """The month a report made now is for: the one that ended before today."""
    return months_back(timezone.localtime(now).date().replace(day=1), 1)


def _queue(report_id: int) -> None:
    """Queue the task that makes the report, after commit. Never raises: the sweep queues it again."""
    from grassroots.insights.tasks import generate_monthly_report

    def enqueue() -> None:
        try:
            generate_monthly_report.enqueue(report_id)
        except Exception:
            logger.exception("could not queue monthly report %s; the sweep will queue it again", report_id)

    transaction.on_commit(enqueue)


def _scope_q(street: Street, community: Community | None) -> Q:
    return Q(community=community) if community is not None else Q(street=street, community__isnull=True)


def report_request(
    *,
    month: date,
    street: Street,
    community: Community | None = None,
    requested_by: User | None = None,
    queue: bool = True,
) -> MonthlyReport:
    """The month's report of a scope, asked for: written "being generated" and queued, once.

    Asked again on demand (`requested_by`), a finished report is made again (the month may have
    moved: its cases are still being worked on); the schedule (no one) leaves an existing one be.
    `queue=False` for a caller that makes it at once (the command).
    """
    if community is not None:
        street = community.street
    month = month.replace(day=1)
    existing = MonthlyReport.objects.filter(_scope_q(street, community), period=month).first()
    if existing is None:
        try:
            with transaction.atomic():
                existing = MonthlyReport.objects.create(
                    street=street, community=community, period=month, requested_by=requested_by
                )
        except IntegrityError:  # asked at the same moment by another worker or click
            return MonthlyReport.objects.get(_scope_q(street, community), period=month)
        if queue:
            _queue(existing.pk)
        return existing
    if requested_by is not None and existing.status != ReportStatus.PENDING:
        MonthlyReport.objects.filter(pk=existing.pk).update(
            status=ReportStatus.PENDING, queued_at=timezone.now(), requested_by=requested_by, error=""
        )
        existing.refresh_from_db()
        if queue:
            _queue(existing.pk)
    return existing


def report_generate(report_id: int, *, now: datetime | None = None) -> MonthlyReport | None:
    """Make the files of a requested report (the task's work); a failure is kept on the row.

    The files are new each time (the old ones are deleted after the new are saved); the first
    time a report is ready its subscribers are told (`report_ready`, heard by notify).
    """
    from grassroots.activities.pdf import FontMissing
    from grassroots.insights.report_files import report_pdf, report_xlsx

    report = MonthlyReport.objects.select_related("street", "community").filter(pk=report_id).first()
    if report is None:
        return None
    now = now or timezone.now()
    try:
        with translation.override(settings.LANGUAGE_CODE):  # one file for all its readers
            content = report_content(
                street=report.street,
                community=report.community,
                month=report.period,
                now=now,
                today=timezone.localtime(now).date(),
            )
            xlsx, pdf = report_xlsx(content), report_pdf(content)
    except FontMissing as error:
        MonthlyReport.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED, error=str(error))
        logger.warning("monthly report %s not made: %s", report.pk, error)
        return MonthlyReport.objects.get(pk=report.pk)
    old = [name for name in (report.xlsx.name, report.pdf.name) if name]
    report.xlsx.save(report.filename("xlsx"), ContentFile(xlsx), save=False)
    report.pdf.save(report.filename("pdf"), ContentFile(pdf), save=False)
    report.status, report.generated_at, report.error = ReportStatus.READY, now, ""
    report.save(update_fields=["xlsx", "pdf", "status", "generated_at", "error"])
    for name in old:
        report.xlsx.storage.delete(name)
    if MonthlyReport.objects.filter(pk=report.pk, mailed_at__isnull=True).update(mailed_at=timezone.now()):
        transaction.on_commit(lambda: report_ready.send(sender=MonthlyReport, report_id=report.pk))
    return report


def report_fail(report_id: int, error: Exception) -> None:
    """A report whose making raised: kept as failed with the reason (no personal data in it)."""
    text = f"{type(error).__name__}: {error}"[:500]
    MonthlyReport.objects.filter(pk=report_id).update(status=ReportStatus.FAILED, error=text)


def reports_due(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Ask for last month's report of every street and community that has none (the first of the
    month, or the first sweep after it), and queue again a request whose task was lost. The number
    of reports asked for or queued again; a second sweep asks for nothing. Nothing at all with
    GRASSROOTS_MONTHLY_REPORTS off."""
    if not getattr(settings, "GRASSROOTS_MONTHLY_REPORTS", True):
        return 0
    now = now or timezone.now()
    month = last_month(now)
    made = MonthlyReport.objects.filter(period=month)
    streets_done = set(made.filter(community__isnull=True).values_list("street_id", flat=True))
    communities_done = set(made.filter(community__isnull=False).values_list("community_id", flat=True))
    asked = 0
    for street in Street.objects.exclude(pk__in=streets_done).order_by("pk")[:limit]:
        report_request(month=month, street=street)
        asked += 1
    missing = Community.objects.exclude(pk__in=communities_done).select_related("street").order_by("pk")
    for community in missing[: max(0, limit - asked)]:
        report_request(month=month, street=community.street, community=community)
        asked += 1
    lost = MonthlyReport.objects.filter(status=ReportStatus.PENDING, queued_at__lt=now - LOST_AFTER)
    for report_id in lost.order_by("pk").values_list("pk", flat=True)[: max(0, limit - asked)]:
        if MonthlyReport.objects.filter(pk=report_id, status=ReportStatus.PENDING).update(queued_at=now):
            _queue(report_id)
            asked += 1
    return asked


def reports_for(user: User):
    """The reports a viewer may read (their street's, their community's), newest month first."""
    return (
        MonthlyReport.objects.visible_to(user)
        .select_related("street", "community")
        .order_by("-period", "community_id", "street_id")
    )


def scopes_for(user: User) -> list[tuple[Street, Community | None]]:
    """The scopes whose reports a viewer may ask for: their street and its communities, or their
    community (administrators: every street and community, bounded)."""
    from grassroots.accounts.roles import user_scope

    scope = user_scope(user)
    if scope.level in ("grid", "household", "none"):
        return []
    communities = Community.objects.visible_to(user).select_related("street").order_by("street_id", "code")
    streets = Street.objects.order_by("code")
    if scope.level == "community":
        streets = streets.none()  # a community's legs: their community's report only
    elif scope.level != "all":
        streets = streets.filter(pk__in=sorted(scope.ids))  # the street office: its street's
    scopes: list[tuple[Street, Community | None]] = [(street, None) for street in streets[:100]]
    scopes += [(community.street, community) for community in communities[:300]]
    return scopes
