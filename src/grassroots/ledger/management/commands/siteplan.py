"""`grassroots siteplan import FILE --community CODE [--commit]` and `grassroots siteplan export`.

The import checks a GeoJSON file of grid outlines and building positions (places.geo) and prints
every problem by feature; without `--commit` it only checks. With problems it writes nothing and
exits 1. The export prints the community's present plan as GeoJSON, to edit and import again.
The command acts as the system actor (an operator's command, recorded in the audit trail).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grassroots.accounts import system_actor
from grassroots.places.geo import PlanFileError, check_plan, plan_geojson, plan_import
from grassroots.places.models import Community


class Command(BaseCommand):
    help = "Import or export the site plan (grid outlines, building positions) of a community as GeoJSON."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="check (and with --commit write) a GeoJSON file")
        importing.add_argument("file")
        importing.add_argument("--community", required=True, help="the community's code")
        importing.add_argument("--commit", action="store_true", help="write it when nothing is wrong")
        exporting = sub.add_parser("export", help="print the present plan as GeoJSON")
        exporting.add_argument("--community", required=True, help="the community's code")

    def handle(self, *args, action, community, **options):
        found = Community.objects.filter(code=community).first()
        if found is None:
            raise CommandError(f"no community with the code {community}")
        if action == "export":
            self.stdout.write(json.dumps(plan_geojson(found), ensure_ascii=False, indent=1))
            return
        try:
            check = check_plan(community=found, content=Path(options["file"]).read_bytes())
        except (OSError, PlanFileError) as error:
            raise CommandError(str(error)) from None
        for problem in check.problems:
            self.stderr.write(problem)
        if not check.ok:
            self.stderr.write(f"{len(check.problems)} problem(s): nothing written")
            sys.exit(1)
        counts = {"grids": len(check.outlines), "buildings": len(check.positions)}
        if options["commit"]:
            plan_import(actor=system_actor(), check=check)
            self.stdout.write(
                f"written: {counts['grids']} grid outline(s), {counts['buildings']} building(s)"
            )
        else:
            self.stdout.write(
                f"checked: {counts['grids']} grid outline(s), {counts['buildings']} building(s); "
                "nothing written (add --commit)"
            )
