"""`grassroots stats [--json]`: the headline figures of each community, read from the database.

These are the numbers the article opens with (households, residents, party members
in branches, volunteer teams, member units), so an operator can check an import or
the demo at a glance, and scripts can read them as JSON. The command reads whatever
database is configured; to read the demo database, run it as
`GRASSROOTS_DEMO=1 grassroots stats` (only `grassroots demo` switches to it by itself).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from django.core.management.base import BaseCommand
from django.db.models import Count, QuerySet

from grassroots.orgs.models import (
    MemberUnit,
    PartyBranch,
    PartyMember,
    PartyMemberKind,
    Volunteer,
    VolunteerTeam,
)
from grassroots.people.models import Residency
from grassroots.places.models import Building, Community, Grid, Household

# (key, label, the rows to count, path from a row to its community id). One grouped query per figure,
# so the command stays fast for a whole district.
FIGURES: tuple[tuple[str, str, Callable[[], QuerySet], str], ...] = (
    ("grids", "grids", lambda: Grid.objects.all(), "community_id"),
    ("buildings", "buildings", lambda: Building.objects.all(), "community_id"),
    ("households", "households", lambda: Household.objects.all(), "building__community_id"),
    (
        "residents",
        "residents (current residency)",
        lambda: Residency.objects.filter(moved_out__isnull=True),
        "household__building__community_id",
    ),
    (
        "party_members",
        "resident party members",
        lambda: PartyMember.objects.filter(kind=PartyMemberKind.RESIDENT),
        "branch__community_id",
    ),
    (
        "serving_party_members",
        "serving party members registered",
        lambda: PartyMember.objects.filter(kind=PartyMemberKind.SERVING),
        "branch__community_id",
    ),
    ("party_branches", "party branches", lambda: PartyBranch.objects.all(), "community_id"),
    ("volunteer_teams", "volunteer teams", lambda: VolunteerTeam.objects.all(), "community_id"),
    (
        "volunteers",
        "volunteers (active)",
        lambda: Volunteer.objects.filter(active=True),
        "person__community_id",
    ),
    ("member_units", "member units", lambda: MemberUnit.objects.all(), "community_id"),
)


def _counts_by_community(queryset: QuerySet, path: str) -> dict[int, int]:
    rows = queryset.order_by().values(path).annotate(n=Count("pk")).values_list(path, "n")
    return dict(rows)


def community_figures(communities: Iterable[Community] | None = None) -> list[dict]:
    """One dict per community: its code and name, then every figure in FIGURES (0 when none)."""
    communities = list(communities if communities is not None else Community.objects.order_by("code"))
    counted = {key: _counts_by_community(make(), path) for key, _label, make, path in FIGURES}
    return [
        {"code": community.code, "name": community.name}
        | {key: counted[key].get(community.id, 0) for key, _label, _make, _path in FIGURES}
        for community in communities
    ]


class Command(BaseCommand):
    help = (
        "Print each community's figures (households, residents, party members, volunteers, "
        "member units ...). Reads the configured database; set GRASSROOTS_DEMO=1 to read the demo database."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON for scripts instead of a table.")

    def handle(self, *args, **options) -> None:
        figures = community_figures()
        if options["json"]:
            self.stdout.write(json.dumps({"communities": figures}, ensure_ascii=False, indent=2))
            return
        if not figures:
            self.stdout.write("No communities in this database.")
            return
        self.stdout.write(self._table(figures))

    def _table(self, figures: list[dict]) -> str:
        """One column per community, one line per figure: readable in a terminal even for a street."""
        label_width = max(len(label) for _key, label, _make, _path in FIGURES)
        header = ["".ljust(label_width)] + [f"{row['name']} ({row['code']})" for row in figures]
        lines = ["  ".join(header)]
        for key, label, _make, _path in FIGURES:
            cells = [label.ljust(label_width)] + [
                str(row[key]).rjust(len(cell)) for row, cell in zip(figures, header[1:], strict=True)
            ]
            lines.append("  ".join(cells))
        return "\n".join(lines)
