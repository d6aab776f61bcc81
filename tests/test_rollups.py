"""The dashboard's rollups move with the timeline and equal a rebuild from it, whatever happened.

Hypothesis plays random sequences of case actions through the services (reports, some back-dated,
registrations, rejections, merges, dispatches, reports for duty, work done, call-backs of every
verdict, closures, reopenings, requests for more time and their decisions, escalations), with the
clock moving between them; after each sequence the facts and rollups kept step by step must be
exactly what `grassroots rollups rebuild` derives from the timeline.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from grassroots.cases import rollups
from grassroots.cases import services as cs
from grassroots.cases.metrics import COUNTER_NAMES
from grassroots.cases.models import Case, CaseFact, CaseMonthRollup, CaseRollup, Category
from grassroots.cases.services import ActionNotAllowed, Party, ReportDetails
from grassroots.demo.clock import demo_clock
from tests.factories import VolunteerTeamFactory

pytestmark = pytest.mark.django_db

CATEGORIES = ("dispute", "property", "psychological")  # household, building, sensitive

steps = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "report",
                "report",
                "register",
                "reject",
                "merge",
                "dispatch",
                "ack",
                "resolve",
                "verify",
                "close",
                "reopen",
                "extend",
                "decide",
                "escalate",
            ]
        ),
        st.integers(min_value=0, max_value=5),  # which case (or category, place)
        st.integers(min_value=0, max_value=5),  # a second choice (another case, a verdict, a lead)
        st.integers(min_value=0, max_value=1500),  # minutes that pass before the step
    ),
    min_size=1,
    max_size=25,
)


def snapshot() -> tuple[list, list, list]:
    fields = [f.name for f in CaseFact._meta.fields if f.name != "case"]
    facts = sorted(
        CaseFact.objects.values_list(
            "case_id", *[f + "_id" if f in {"community", "grid", "category"} else f for f in fields]
        )
    )
    rows = sorted(CaseRollup.objects.values_list("key", *COUNTER_NAMES))
    months = sorted(CaseMonthRollup.objects.values_list("key", *COUNTER_NAMES))
    return facts, rows, months


def _play(step, *, actor, community, places, leads, cases) -> None:
    kind, first, second, _wait = step
    case = cases[first % len(cases)] if cases else None
    try:
        if kind == "report":
            category = Category.objects.get(code=CATEGORIES[first % len(CATEGORIES)])
            details = ReportDetails(
                category=category,
                description="楼道水管漏水",
                channel=("phone", "patrol", "web")[second % 3],
                household=places[second % len(places)],
                reported_at=timezone.now() - timedelta(minutes=60 * (second % 3)),
            )
            cases.append(
                cs.case_report(actor=actor, community=community, details=details, register=first % 2 == 0)
            )
        elif case is None:
            return
        elif kind == "register":
            cs.case_register(actor=actor, case=case)
        elif kind == "reject":
            cs.case_reject(actor=actor, case=case, reason="不属于社区职责")
        elif kind == "merge":
            cs.case_merge(actor=actor, case=case, into=cases[second % len(cases)])
        elif kind == "dispatch":
            cs.case_dispatch(actor=actor, case=case, lead=leads[second % len(leads)])
        elif kind == "ack":
            lead = Case.objects.get(pk=case.pk).lead
            if lead is not None:
                cs.case_acknowledge(actor=actor, case=case, party=Party(lead.party_kind, lead.party.pk))
        elif kind == "resolve":
            cs.case_resolve(actor=actor, case=case, report="已修好")
        elif kind == "verify":
            cs.case_verify(
                actor=actor, case=case, satisfaction=("satisfied", "basic", "unsatisfied")[second % 3]
            )
        elif kind == "close":
            cs.case_close(actor=actor, case=case)
        elif kind == "reopen":
            cs.case_reopen(actor=actor, case=case, reason="又漏了")
        elif kind == "extend":
            cs.case_extend(actor=actor, case=case, minutes=24 * 60, reason="等配件")
        elif kind == "decide":
            cs.case_decide_extension(actor=actor, case=case, approve=second % 2 == 0)
        elif kind == "escalate":
            cs.case_escalate(actor=actor, case=case, reason="需要街道协调")
    except (ActionNotAllowed, ValidationError, PermissionDenied):
        pass


#: One sequence that takes every action at least once (hypothesis adds its random ones).
EVERY_ACTION = [
    ("report", 0, 0, 10),  # c0: a dispute at 4-2-301, registered
    ("report", 2, 1, 10),  # c1: psychological support at 7-1-502 (sensitive), registered, an hour back
    ("report", 1, 2, 10),  # c2: property at 4-2-301, only reported, two hours back
    ("dispatch", 0, 0, 5),
    ("ack", 0, 0, 5),
    ("extend", 0, 0, 5),
    ("decide", 0, 0, 5),  # approved
    ("escalate", 0, 0, 5),
    ("resolve", 0, 0, 60),
    ("verify", 0, 2, 5),  # unsatisfied: rework
    ("ack", 0, 0, 5),
    ("resolve", 0, 0, 5),
    ("verify", 0, 0, 5),  # satisfied
    ("close", 0, 0, 5),
    ("reopen", 0, 0, 5),
    ("merge", 2, 1, 5),  # c2 into c1
    ("report", 1, 0, 5),  # c3: property at 4-2-301, only reported
    ("reject", 3, 0, 5),
    ("report", 0, 0, 5),  # c4: a dispute at 4-2-301 again: a repeat of c0
]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(sequence=EVERY_ACTION)
@given(sequence=steps)
def test_incremental_rollups_equal_a_rebuild_after_any_sequence(
    sequence, community, secretary, household_a, household_b, volunteer
):
    team = VolunteerTeamFactory(community=community, name="维修服务队")
    leads = [Party("person", volunteer.person_id), Party("team", team.pk), Party("user", secretary.pk)]
    with transaction.atomic():
        moment = timezone.now() - timedelta(days=40)
        cases: list[Case] = []
        for step in sequence:
            moment += timedelta(minutes=step[3])
            with demo_clock(moment):
                _play(
                    step,
                    actor=secretary,
                    community=community,
                    places=[household_a, household_b],
                    leads=leads,
                    cases=cases,
                )
        kept = snapshot()
        assert len(kept[0]) == len(cases)
        if sequence == EVERY_ACTION:
            facts = [CaseFact.objects.get(case=case) for case in cases]
            assert facts[0].reworked and facts[0].extended and facts[0].escalated
            assert (facts[0].status, facts[0].satisfaction, facts[0].resolved_on_time) == (
                "dispatched",
                "satisfied",
                True,
            )
            assert (facts[2].status, facts[3].status) == ("merged", "rejected")
            assert facts[4].repeat and not facts[0].repeat
        rollups.rebuild()
        assert snapshot() == kept
        transaction.set_rollback(True)


def test_the_rebuild_command_counts_rows_written_around_the_services(community, secretary, household_a):
    case = cs.case_report(
        actor=secretary,
        community=community,
        details=ReportDetails(
            category=Category.objects.get(code="property"),
            description="漏水",
            channel="phone",
            household=household_a,
        ),
        register=True,
    )
    CaseFact.objects.all().delete()
    CaseRollup.objects.all().delete()
    output = StringIO()
    call_command("rollups", "rebuild", stdout=output)
    assert "1 cases" in output.getvalue()
    fact = CaseFact.objects.get(case=case)
    assert fact.accepted and fact.status == "registered"
    (row,) = CaseRollup.objects.all()
    assert (row.reported, row.accepted, row.status_registered) == (1, 1, 1)
    (month,) = CaseMonthRollup.objects.all()
    assert (month.top_category.code, month.sensitive, month.accepted) == ("property", False, 1)


def test_the_counts_compiled_once_are_the_orm_s_for_every_shape_of_group(community, secretary, household_a):
    """The group counts and month sums run as SQL compiled once (core.compiled): for a group with a
    grid and one without (IS NULL), a lead or none, they are what the ORM counts."""
    placed = ReportDetails(
        category=Category.objects.get(code="property"), description="漏水", channel="phone"
    )
    cs.case_report(actor=secretary, community=community, details=placed)  # no place: no grid
    placed.household = household_a
    case = cs.case_report(actor=secretary, community=community, details=placed, register=True)
    cs.case_dispatch(actor=secretary, case=case, lead=Party("user", secretary.pk))
    groups = list(CaseRollup.objects.values(*rollups.DIMENSIONS))
    assert {g["grid_id"] is None for g in groups} == {True, False} and {g["lead"] for g in groups} > {""}
    for dims in groups:
        (compiled,) = rollups._GROUP_COUNTS.rows(**dims)
        orm = CaseFact.objects.filter(**dims).aggregate(**rollups.counter_aggregates())
        assert rollups.counts(compiled) == rollups.counts(orm) and rollups.counts(orm)["reported"] >= 1
    for month in CaseMonthRollup.objects.all():
        only = {"month": month.month, "top": month.top_category_id, "sensitive": month.sensitive}
        (compiled,) = rollups._MONTH_SUMS.rows(community_id=community.pk, **only)
        (orm,) = rollups._month_rows(community.pk, **only)
        assert rollups.counts(compiled) == rollups.counts(orm)
    # A value the SQL does not hold as a parameter cannot be placed: the queryset runs as usual.
    from grassroots.core.compiled import QueryTemplate

    unplaced = QueryTemplate(lambda *, code: Category.objects.filter(code="property").values("code"))
    assert unplaced.rows(code="anything") == [{"code": "property"}]
