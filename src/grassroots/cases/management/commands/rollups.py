"""`grassroots rollups rebuild [--community CODE]`: derive the dashboard's facts and rollups again.

The rollups are kept in step with every timeline entry (cases.rollups); a rebuild derives them
from the timeline alone, one community per transaction. Run it after rows were written around the
services (a bulk import of history, the demo) or after the counters of cases.metrics changed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from grassroots.cases import rollups
from grassroots.places.models import Community


class Command(BaseCommand):
    help = "Rebuild the dashboard's case facts and rollups from the case timelines."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["rebuild"])
        parser.add_argument("--community", help="only this community (its code)")

    def handle(self, *args, **options):
        ids = None
        if options["community"]:
            ids = list(Community.objects.filter(code=options["community"]).values_list("pk", flat=True))
            if not ids:
                raise CommandError(f"No community with the code {options['community']!r}.")
        totals = rollups.rebuild(community_ids=ids)
        self.stdout.write(
            f"Rebuilt {totals['communities']} communities: "
            f"{totals['cases']} cases in {totals['groups']} groups."
        )
