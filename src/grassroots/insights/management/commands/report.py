"""`grassroots report monthly --period 2026-11 [--community CODE | --street CODE]`: make reports now.

Without a scope: every street's and every community's report of the month. The reports are made
here, not queued (the same `report_generate` as the background task), and kept like those the
schedule makes: listed on /dashboard/reports/, mailed to the subscribers the first time.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from grassroots.accounts import system_actor
from grassroots.cases.figures import parse_month
from grassroots.insights import reports
from grassroots.insights.models import ReportStatus
from grassroots.places.models import Community, Street


class Command(BaseCommand):
    help = "Make the monthly report (Excel and PDF) of a street or a community, or of all of them."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["monthly"])
        parser.add_argument("--period", required=True, help="the month, as 2026-11")
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--community", help="only this community (its code)")
        scope.add_argument("--street", help="only this street's own report (its code)")

    def handle(self, *args, **options):
        month = parse_month(options["period"])
        if month is None:
            raise CommandError(f"--period must be a month such as 2026-11, not {options['period']!r}.")
        scopes: list[tuple[Street, Community | None]]
        if options["community"]:
            community = Community.objects.select_related("street").filter(code=options["community"]).first()
            if community is None:
                raise CommandError(f"No community with the code {options['community']!r}.")
            scopes = [(community.street, community)]
        elif options["street"]:
            street = Street.objects.filter(code=options["street"]).first()
            if street is None:
                raise CommandError(f"No street with the code {options['street']!r}.")
            scopes = [(street, None)]
        else:
            scopes = [(street, None) for street in Street.objects.order_by("code")]
            scopes += [(c.street, c) for c in Community.objects.select_related("street").order_by("code")]
        actor = system_actor()
        failed = 0
        for street, community in scopes:
            asked = reports.report_request(
                month=month, street=street, community=community, requested_by=actor, queue=False
            )
            report = reports.report_generate(asked.pk)
            if report.status != ReportStatus.READY:
                failed += 1
                self.stderr.write(f"{report}: {report.error}")
                continue
            self.stdout.write(f"{report}: {report.xlsx.path}, {report.pdf.path}")
        if failed:
            raise CommandError(f"{failed} of {len(scopes)} reports could not be made.")
