"""Capped counts (core.counting): bounded, several in one query, and 0 for a filter that matches nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grassroots.core.counting import capped_count, capped_counts
from grassroots.places.models import Grid

pytestmark = pytest.mark.django_db


def test_counts_stop_at_the_cap_and_say_so(community, grid_a, grid_b):
    grids = Grid.objects.filter(community=community)
    assert capped_count(grids, cap=5).value == 2 and not capped_count(grids, cap=5).more
    assert capped_count(grids, cap=1).value == 1 and capped_count(grids, cap=1).more


def test_a_filter_that_matches_nothing_counts_zero_without_sql(community, grid_a):
    with CaptureQueriesContext(connection) as queries:
        counts = capped_counts(
            {"none": Grid.objects.filter(pk__in=[]), "ours": Grid.objects.filter(pk=grid_a.pk)}
        )
    assert (counts["none"].value, counts["ours"].value) == (0, 1)
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert capped_counts({"none": Grid.objects.none()})["none"].value == 0
    assert len(queries) == 0
