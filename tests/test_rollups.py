"""The dashboard's rollups move with the timeline and equal a rebuild from it, whatever happened.

Hypothesis plays random sequences of case actions through the services (reports, some back-dated,
registrations, rejections, merges, dispatches, reports for duty, work done, call-backs of every
verdict, closures, reopenings, requests for more time and their decisions, escalations), with the
clock moving between them; after each sequence the facts and rollups kept step by step must be
exactly what `grassroots rollups rebuild` derives from the timeline.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from grassroots.cases import rollups
from grassroots.cases import services as cs
from grassroots.cases.metrics import COUNTER_NAMES
from grassroots.cases.models import Case, CaseFact, CaseMonthRollup, CaseRollup, Category
from grassroots.cases.services import ActionNotAllowed, Party, ReportDetails
from grassroots.cases.workflow import Status
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


# --- kept by delta -----------------------------------------------------------------------------------

MINUTES = (None, 0, 14, 15, 59, 60, 24 * 60 - 1, 24 * 60, 30 * 24 * 60 - 1, 30 * 24 * 60, 100_000)

facts = st.fixed_dictionaries(
    {
        "status": st.sampled_from([s.value for s in Status]),
        "accepted": st.booleans(),
        "responded": st.booleans(),
        "responded_on_time": st.booleans(),
        "response_minutes": st.sampled_from(MINUTES),
        "resolved_ever": st.booleans(),
        "resolved_on_time": st.booleans(),
        "resolve_minutes": st.sampled_from(MINUTES),
        "satisfaction": st.sampled_from(["", "satisfied", "basic", "unsatisfied"]),
        "reworked": st.booleans(),
        "extension_requested": st.booleans(),
        "extended": st.booleans(),
        "escalated": st.booleans(),
        "repeat": st.booleans(),
    }
)


def _report(actor, community, household, code="property", **more) -> Case:
    details = ReportDetails(
        category=Category.objects.get(code=code), description="漏水", channel="phone", household=household
    )
    for name, value in more.items():
        setattr(details, name, value)
    return cs.case_report(actor=actor, community=community, details=details, register=True)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fact=facts)
def test_a_fact_counts_in_python_what_the_database_counts(fact, community, secretary, household_a):
    """The delta of a change is what the fact passes of each counter's filter, answered in Python:
    for any fact (time buckets at their edges, no time at all, not taken on), the database counts
    the same."""
    with transaction.atomic():
        case = _report(secretary, community, household_a)
        CaseFact.objects.filter(case=case).update(**fact)
        (row,) = CaseFact.objects.filter(case=case).values("case_id").annotate(**rollups.counter_aggregates())
        stored = CaseFact.objects.filter(case=case).values(*rollups.FACT_COLUMNS).get()
        assert rollups.fact_counts(stored) == {name: 1 for name, n in rollups.counts(row).items() if n}
        transaction.set_rollback(True)


def test_a_fact_that_changes_group_leaves_its_row_and_an_emptied_row_goes(
    community, secretary, household_a, grid_b, volunteer
):
    """A new lead, a new grid or a new category moves the case's counts from one group's row to
    another's (and between month rows); the row it leaves empty is gone, as a rebuild would not
    write it. A case reported in the last minute of a month stays that month's when acted on in the
    next."""
    end_of_month = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    case = _report(secretary, community, household_a, reported_at=end_of_month - timedelta(minutes=1))
    other = _report(secretary, community, household_a, code="dispute")  # another problem, this month
    assert CaseFact.objects.get(case=case).month.month != CaseFact.objects.get(case=other).month.month
    first = CaseRollup.objects.get(key=rollups.group_key(CaseFact.objects.filter(case=case).values().get()))
    cs.case_dispatch(actor=secretary, case=case, lead=Party("person", volunteer.person_id))
    assert not CaseRollup.objects.filter(pk=first.pk).exists()
    # Neither the grid nor the category is changed by a service today; a fact follows them if they are.
    Case.objects.filter(pk=case.pk).update(grid=grid_b, category=Category.objects.get(code="psychological"))
    cs.case_note(actor=secretary, case=case, note="改派")
    fact = CaseFact.objects.get(case=case)
    assert (fact.grid_id, fact.category.code, fact.lead) == (
        grid_b.pk,
        "psychological",
        f"person:{volunteer.person_id}",
    )
    (row,) = CaseRollup.objects.filter(month=fact.month)
    assert (row.grid_id, row.reported, row.status_dispatched) == (grid_b.pk, 1, 1)
    (month,) = CaseMonthRollup.objects.filter(month=fact.month)
    assert (month.sensitive, month.reported) == (True, 1)
    kept = snapshot()
    rollups.rebuild()
    assert snapshot() == kept


def test_a_change_no_counter_sees_writes_no_rollup_row(community, secretary, household_a):
    case = _report(secretary, community, household_a)
    with CaptureQueriesContext(connection) as queries:
        cs.case_note(actor=secretary, case=case, note="已联系物业")
    written = [
        q["sql"] for q in queries if "caserollup" in q["sql"].lower() or "casefact" in q["sql"].lower()
    ]
    assert [sql.split()[0] for sql in written] == ["SELECT"]  # the fact read, locked; nothing written


def test_a_missing_row_is_counted_from_the_facts(community, secretary, household_a):
    """Rows written around the services, before a rebuild: a fact whose group row is missing is
    counted again from the facts, not added to nothing."""
    case = _report(secretary, community, household_a)
    _report(secretary, community, household_a)
    CaseRollup.objects.all().delete()
    CaseMonthRollup.objects.all().delete()
    cs.case_dispatch(actor=secretary, case=case, lead=Party("user", secretary.pk))
    left, joined = CaseRollup.objects.order_by("lead")
    assert (left.lead, left.reported, left.status_registered) == ("", 1, 1)  # the other case, counted
    assert (joined.lead, joined.reported, joined.status_dispatched) == (f"user:{secretary.pk}", 1, 1)
    (month,) = CaseMonthRollup.objects.all()
    assert (month.reported, month.status_registered, month.status_dispatched) == (2, 1, 1)
    kept = snapshot()
    rollups.rebuild()
    assert snapshot() == kept


@pytest.mark.django_db(transaction=True)
def test_eight_cases_of_one_group_moved_at_once_are_all_counted(community, secretary, household_a, volunteer):
    """Real concurrent connections: eight registered cases of one group are given to one lead at the
    same moment. Each adds to the row of the new group (the first inserts it, the others add to it)
    and takes from the old one until it is gone; no count is lost."""
    cases = [_report(secretary, community, household_a) for _ in range(8)]
    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def dispatch(case):
        try:
            barrier.wait(timeout=20)
            cs.case_dispatch(actor=secretary, case=case.pk, lead=Party("person", volunteer.person_id))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    (row,) = CaseRollup.objects.all()
    assert (row.lead, row.reported, row.status_dispatched, row.status_registered) == (
        f"person:{volunteer.person_id}",
        8,
        8,
        0,
    )
    kept = snapshot()
    rollups.rebuild()
    assert snapshot() == kept
