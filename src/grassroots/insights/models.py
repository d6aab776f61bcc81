"""The monthly report for the street office, and who has it mailed to them.

A report is one month of one scope: a street (its communities side by side, and all of them
together) or one community. It is generated once per month and scope (the unique constraints say
so) by a background task on the first of the month, or on demand, as an .xlsx and a PDF with the
dashboard's figures (insights.reports). The files are private: they live in the default storage
under `private/reports/` (MEDIA_ROOT, which is never served) and leave only through the scoped
download view. Who reads a report is a scope policy: the street office its street's reports (the
street's and each community's), a secretary their community's, administrators all.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.core.scoping import ScopedQuerySet, ScopePolicy


class ReportScope(ScopePolicy):
    """A street report reaches the street office of its street; a community report, the community's
    legs and the street office above it. A grid worker's grids reach no report: a report counts
    more than their grids."""

    def condition(self, model, user, action: str):
        from grassroots.accounts.roles import user_scope

        scope = user_scope(user)
        if scope.level == "all":
            return Q()
        if scope.level in ("grid", "household", "none") or not scope.ids:
            return None
        if scope.level == "community":
            return Q(community_id__in=sorted(scope.ids))
        return Q(street_id__in=sorted(scope.ids))  # a street's office: its own report and its communities'


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("being generated")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


def report_path(instance: MonthlyReport, filename: str) -> str:
    """Under private/ (never served): the month, the scope, and when it was made (a new file each time)."""
    suffix = filename.rsplit(".", 1)[-1].lower()
    return (
        f"private/reports/{instance.period:%Y-%m}/{instance.scope_code}-"
        f"{timezone.now():%Y%m%d%H%M%S%f}.{suffix}"
    )


class MonthlyReport(models.Model):
    """One month's report of one street or community: its two files and when they were made."""

    street = models.ForeignKey(
        "places.Street", on_delete=models.PROTECT, related_name="monthly_reports", verbose_name=_("street")
    )
    # None: the street's report (its communities side by side); else one community's.
    community = models.ForeignKey(
        "places.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="monthly_reports",
        verbose_name=_("community"),
    )
    period = models.DateField(_("month"))  # the first day of the month
    status = models.CharField(
        _("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    xlsx = models.FileField(_("Excel file"), upload_to=report_path, max_length=200, blank=True)
    pdf = models.FileField(_("PDF file"), upload_to=report_path, max_length=200, blank=True)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asked for by"),
    )  # None: the schedule on the first of the month
    error = models.TextField(_("error"), blank=True)
    mailed_at = models.DateTimeField(_("subscribers told at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_policy = ReportScope()

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-period", "street_id", "community_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "period"],
                condition=Q(community__isnull=True),
                name="monthlyreport_once_per_street_month",
            ),
            models.UniqueConstraint(
                fields=["community", "period"],
                condition=Q(community__isnull=False),
                name="monthlyreport_once_per_community_month",
            ),
        ]
        indexes = [models.Index(fields=["street", "period"], name="monthlyreport_street_idx")]

    def __str__(self) -> str:
        return f"{self.scope_name} {self.period:%Y-%m}"

    @property
    def scope_name(self) -> str:
        return self.community.name if self.community_id else self.street.name

    @property
    def scope_code(self) -> str:
        return self.community.code if self.community_id else self.street.code

    def filename(self, kind: str) -> str:
        """What the download is called: 月报-<scope>-<month>.<kind>."""
        return f"月报-{self.scope_name}-{self.period:%Y-%m}.{kind}"


class ReportSubscription(models.Model):
    """Someone who has each new monthly report of a scope mailed to them (a link: sign-in to read).

    Only a scope whose reports they may read (the list page offers those); a report is mailed to
    the subscribers who may still read it when it is made.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
        verbose_name=_("subscriber"),
    )
    street = models.ForeignKey(
        "places.Street", on_delete=models.CASCADE, related_name="+", verbose_name=_("street")
    )
    community = models.ForeignKey(
        "places.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("monthly report subscription")
        verbose_name_plural = _("monthly report subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "street"],
                condition=Q(community__isnull=True),
                name="reportsubscription_once_per_street",
            ),
            models.UniqueConstraint(
                fields=["user", "community"],
                condition=Q(community__isnull=False),
                name="reportsubscription_once_per_community",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.community or self.street}"
