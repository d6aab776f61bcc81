"""`grassroots care_refresh`: recompute the care register and plan services ahead (run it every morning).

The register follows the registry (new tags, birthdays crossing 80, someone left
alone after a move) and the planned services reach to the end of next month. Both
are idempotent: running twice changes nothing the second time.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from grassroots.care.services import plan_ahead, register_refresh
from grassroots.places.models import Community


class Command(BaseCommand):
    help = "Recompute the care register of every community and plan care services to the end of next month."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--community", help="Only this community (its code).")

    def handle(self, *args, **options) -> None:
        communities = Community.objects.order_by("code")
        if options["community"]:
            communities = communities.filter(code=options["community"])
        for community in communities:
            result = register_refresh(community=community)
            planned = plan_ahead(community=community)
            tiers = ", ".join(f"{tier} {count}" for tier, count in sorted(result.by_tier.items()))
            self.stdout.write(
                f"{community.code}: {result.on_register} on the care register ({tiers}); "
                f"{planned} services planned."
            )
