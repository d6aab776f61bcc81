"""The district generator (bench/district.py) on a small district: what the dashboard reads is written.

The district benchmark's dashboard figures are only as true as the rollups the generator leaves: its
month rollups once came out empty (summed before the fine rollups were written), and the street's
dashboard was timed reading nothing. Generated with COPY, so on PostgreSQL; elsewhere it refuses.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import district

SMALL = ["--communities", "1", "--residents", "300", "--cases", "1200", "--years", "1", "--jobs", "1"]


@pytest.mark.django_db(transaction=True)
def test_a_generated_districts_month_rollups_sum_its_fine_rollups(capsys):
    if connection.vendor != "postgresql":
        assert district.main(SMALL) == 2
        assert "PostgreSQL" in capsys.readouterr().err
        return
    from grassroots.cases import rollups
    from grassroots.cases.models import Case, CaseMonthRollup, CaseRollup
    from grassroots.places.models import Community

    assert district.main([*SMALL, "--keep-indexes"]) == 0
    community = Community.objects.get()
    assert Case.objects.count() == 1200 and CaseRollup.objects.exists()
    written = {
        row.key: {name: getattr(row, name) for name in rollups.COUNTERS}
        for row in CaseMonthRollup.objects.filter(community=community)
    }
    summed = {
        rollups.month_key(community.pk, row["month"], row["top"], row["sensitive"]): rollups.counts(row)
        for row in rollups._month_rows(community.pk)
    }
    assert written and written == summed
    assert sum(counts["reported"] for counts in written.values()) == 1200
