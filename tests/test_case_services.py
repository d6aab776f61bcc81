"""The case services, story by story: one write path, a timeline entry per action.

Aunt Liu has no drinking water (urgent, volunteers bring it); a corridor tile is
broken (the whistle); a resident is unhappy (rework); two coordinators click at
the same moment (exactly one wins).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from grassroots.cases.models import Case, CaseEvent, Category, Urgency
from grassroots.cases.services import (
    ActionNotAllowed,
    CaseConflict,
    Party,
    ReportDetails,
    actions_for,
    case_acknowledge,
    case_close,
    case_decide_extension,
    case_dispatch,
    case_extend,
    case_merge,
    case_plan,
    case_register,
    case_reject,
    case_report,
    case_resolve,
    case_urge,
    case_verify,
    case_whistle,
)
from grassroots.cases.workflow import Status
from tests.factories import MemberUnitFactory, PersonFactory, VolunteerFactory, user_for


def water(**overrides) -> ReportDetails:
    details = {
        "category": Category.objects.get(code="utilities-water"),
        "description": "刘阿姨行动不便，家中没有饮用水",
        "channel": "phone",
        "urgency": Urgency.URGENT,
        "answers": {"has_drinking_water": "no", "can_move": "no"},
    }
    details.update(overrides)
    return ReportDetails(**details)


@pytest.fixture
def reported(community, socialworker, household_a):
    return case_report(actor=socialworker, community=community, details=water(household=household_a))


@pytest.fixture
def dispatched_to_volunteer(reported, socialworker, volunteer):
    case = case_register(actor=socialworker, case=reported)
    return case_dispatch(actor=socialworker, case=case, lead=Party("person", volunteer.person_id))


def events(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))


def test_a_call_becomes_a_registered_case_with_its_clocks(community, socialworker, household_a):
    before = timezone.now()
    case = case_report(
        actor=socialworker, community=community, details=water(household=household_a), register=True
    )
    assert case.status == Status.REGISTERED
    assert case.grid == household_a.grid and case.building == household_a.building
    # Urgent water: respond within 15 minutes, solve within 2 hours (the category's limits).
    assert before + timedelta(minutes=15) <= case.response_due <= timezone.now() + timedelta(minutes=15)
    assert case.resolution_due - case.registered_at == timedelta(hours=2)
    assert events(case) == ["report", "register"]
    assert case.number.startswith(f"{community.code}-")


def test_case_numbers_count_up_per_day(community, socialworker):
    first = case_report(actor=socialworker, community=community, details=water())
    second = case_report(actor=socialworker, community=community, details=water())
    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1


def test_a_missing_required_answer_is_refused_and_nothing_is_saved(community, socialworker):
    with pytest.raises(ValidationError) as error:
        case_report(actor=socialworker, community=community, details=water(answers={"can_move": "no"}))
    assert "answers" in error.value.message_dict
    assert Case.objects.count() == 0


def test_aunt_liu_gets_water_from_a_volunteer(dispatched_to_volunteer, volunteer, socialworker):
    case = case_acknowledge(actor=volunteer, case=dispatched_to_volunteer)
    assert case.status == Status.ACKNOWLEDGED and case.responded_at is not None
    case = case_resolve(actor=volunteer, case=case, report="已送两桶水上门")
    case = case_verify(actor=socialworker, case=case, satisfaction="satisfied", note="刘阿姨很满意")
    case = case_close(actor=socialworker, case=case)
    assert case.status == Status.CLOSED and case.satisfaction == "satisfied"
    assert events(case) == ["report", "register", "dispatch", "acknowledge", "resolve", "verify", "close"]
    assert [e.to_status for e in case.events.all()][-1] == Status.CLOSED


def test_unsatisfied_sends_the_case_back_as_rework(dispatched_to_volunteer, volunteer, socialworker):
    case = case_acknowledge(actor=volunteer, case=dispatched_to_volunteer)
    case = case_resolve(actor=volunteer, case=case, report="送了水")
    case = case_verify(actor=socialworker, case=case, satisfaction="unsatisfied", note="水没送到")
    assert case.status == Status.DISPATCHED and case.rework_count == 1
    # The lead must sign for the rework again.
    assert case.assignments.get(is_lead=True).acknowledged_at is None
    case = case_acknowledge(actor=volunteer, case=case)
    assert case.status == Status.ACKNOWLEDGED


def test_the_whistle_summons_four_parties_and_each_reports_for_duty(community, secretary, household_a):
    party_member = PersonFactory(name="李建国", household=household_a)
    building_head = PersonFactory(name="张桂芳", household=household_a)
    owners = MemberUnitFactory(community=community, name="业主委员会", kind="owners")
    property_company = MemberUnitFactory(community=community, name="物业公司", kind="property")
    head_account = user_for("volunteer", community=community, person=building_head, username="head")
    property_account = user_for(
        "unitcontact", community=community, member_unit=property_company, username="property"
    )
    case = case_report(
        actor=secretary,
        community=community,
        register=True,
        details=ReportDetails(
            category=Category.objects.get(code="facilities-hazard"),
            channel="visit",
            description="4号楼2单元门口楼道地砖破损",
            building=household_a.building,
            answers={"injured": "no"},
        ),
    )
    case = case_whistle(
        actor=secretary,
        case=case,
        lead=Party("unit", property_company.id),
        parties=[
            Party("person", party_member.id),
            Party("person", building_head.id),
            Party("unit", owners.id),
        ],
        role_notes={f"person:{building_head.id}": "楼长"},
    )
    assert case.status == Status.DISPATCHED
    assert case.assignments.filter(active=True).count() == 4
    case = case_acknowledge(actor=head_account, case=case)
    assert case.status == Status.DISPATCHED  # a supporter signed; the lead has not yet
    waiting = case.assignments.filter(active=True, acknowledged_at__isnull=True)
    assert waiting.count() == 3
    case = case_acknowledge(actor=property_account, case=case)
    assert case.status == Status.ACKNOWLEDGED
    case = case_plan(actor=property_account, case=case, plan="物业更换地砖，楼长看护现场")
    with pytest.raises(PermissionDenied):  # a supporter cannot declare the whole case done
        case_resolve(actor=head_account, case=case, report="好了")
    case = case_resolve(actor=property_account, case=case, report="地砖已更换")
    assert case.status == Status.RESOLVED and case.plan.startswith("物业")


def test_a_stale_screen_gets_someone_else_just_did_this(reported, socialworker, secretary):
    seen_version = reported.version
    case_register(actor=secretary, case=reported, expected_version=seen_version)
    with translation.override("en"), pytest.raises(CaseConflict) as error:
        case_register(actor=socialworker, case=reported, expected_version=seen_version)
    assert "Someone else just changed this case" in str(error.value)
    assert events(reported).count("register") == 1


def test_an_action_not_allowed_now_says_why(reported, socialworker):
    with pytest.raises(ActionNotAllowed):
        case_close(actor=socialworker, case=reported)
    assert Case.objects.get(pk=reported.pk).status == Status.REPORTED


def test_reject_needs_a_reason(reported, socialworker):
    with pytest.raises(ValidationError):
        case_reject(actor=socialworker, case=reported, reason="  ")
    case = case_reject(actor=socialworker, case=reported, reason="不属于社区职责，已告知居民拨打12345")
    assert case.status == Status.REJECTED and case.rejection_reason


def test_a_duplicate_is_merged_into_the_open_case(reported, socialworker, community):
    duplicate = case_report(actor=socialworker, community=community, details=water())
    merged = case_merge(actor=socialworker, case=duplicate, into=reported)
    assert merged.status == Status.MERGED and merged.merged_into == reported
    assert events(reported)[-1] == "note"


def test_extension_moves_the_due_time_only_when_approved(dispatched_to_volunteer, volunteer, secretary):
    case = case_acknowledge(actor=volunteer, case=dispatched_to_volunteer)
    due = case.resolution_due
    case = case_extend(actor=volunteer, case=case, minutes=60, reason="需要购买配件")
    assert case.resolution_due == due
    case = case_decide_extension(actor=secretary, case=case, approve=True)
    assert case.resolution_due == due + timedelta(minutes=60)
    assert case.events.last().changes["resolution_due"]["new"] == case.resolution_due.isoformat()


def test_only_the_legs_urge(dispatched_to_volunteer, secretary, socialworker):
    case = case_urge(actor=secretary, case=dispatched_to_volunteer, note="请尽快")
    assert case.urge_count == 1
    with pytest.raises(PermissionDenied):
        case_urge(actor=socialworker, case=case)


def test_outsiders_cannot_act_or_even_see(reported, outsider, volunteer):
    with pytest.raises(PermissionDenied):
        case_register(actor=outsider, case=reported)
    with pytest.raises(PermissionDenied):  # not assigned yet: the volunteer cannot see it
        case_register(actor=volunteer, case=reported)


def test_the_grid_worker_coordinates_only_in_their_grid(community, socialworker, gridworker, household_b):
    elsewhere = case_report(actor=socialworker, community=community, details=water(household=household_b))
    with pytest.raises(PermissionDenied):
        case_register(actor=gridworker, case=elsewhere)


def test_sensitive_cases_are_hidden_from_roles_that_do_not_handle_them(
    community, socialworker, gridworker, secretary, household_a
):
    case = case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=Category.objects.get(code="psychological"),
            channel="phone",
            description="居民情绪低落，需要心理疏导",
            household=household_a,
        ),
    )
    assert Case.objects.visible_to(socialworker).filter(pk=case.pk).exists()
    assert Case.objects.visible_to(secretary).filter(pk=case.pk).exists()
    assert not Case.objects.visible_to(gridworker).filter(pk=case.pk).exists()


def test_actions_offered_match_the_table(dispatched_to_volunteer, volunteer, secretary):
    assert "acknowledge" in actions_for(volunteer, dispatched_to_volunteer)
    assert "urge" not in actions_for(volunteer, dispatched_to_volunteer)
    assert "urge" in actions_for(secretary, dispatched_to_volunteer)


def test_a_volunteer_team_member_acts_for_the_team(community, socialworker, reported, household_a):
    from tests.factories import VolunteerTeamFactory

    team = VolunteerTeamFactory(community=community, name="助老服务队")
    member = PersonFactory(name="孙丽", household=household_a)
    VolunteerFactory(person=member).teams.add(team)
    account = user_for("volunteer", community=community, person=member, username="sunli")
    case = case_register(actor=socialworker, case=reported)
    case = case_dispatch(actor=socialworker, case=case, lead=Party("team", team.id))
    case = case_acknowledge(actor=account, case=case)
    assert case.status == Status.ACKNOWLEDGED


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_clicking_at_once_exactly_one_wins(community, socialworker, secretary, household_a):
    """Real concurrent connections: both read version N, both try to register."""
    case = case_report(actor=socialworker, community=community, details=water(household=household_a))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(actor):
        try:
            barrier.wait(timeout=10)
            case_register(actor=actor, case=case.pk, expected_version=case.version)
            outcomes.append("won")
        except (CaseConflict, ActionNotAllowed):
            outcomes.append("told")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in (socialworker, secretary)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["told", "won"]
    assert events(case).count("register") == 1
    assert Case.objects.get(pk=case.pk).version == case.version + 1


def test_a_coordinator_records_reporting_for_duty_for_a_party_without_an_account(
    community, secretary, volunteer, reported, socialworker
):
    owners = MemberUnitFactory(community=community, name="业主委员会", kind="owners")
    case = case_register(actor=socialworker, case=reported)
    case = case_whistle(
        actor=secretary,
        case=case,
        lead=Party("unit", owners.id),
        parties=[Party("person", volunteer.person_id)],
    )
    with pytest.raises(PermissionDenied):  # a volunteer cannot sign for someone else
        case_acknowledge(actor=volunteer, case=case, party=Party("unit", owners.id))
    case = case_acknowledge(actor=secretary, case=case, party=Party("unit", owners.id), note="主任电话确认")
    assert case.status == Status.ACKNOWLEDGED  # the lead's confirmation starts the work
    assert case.events.last().changes["on_behalf"] == f"unit:{owners.id}"
    assert case.assignments.get(unit=owners).acknowledged_by == secretary
    with pytest.raises(ActionNotAllowed):
        case_acknowledge(actor=secretary, case=case, party=Party("unit", owners.id))


def test_urging_again_within_the_cooldown_is_refused_and_says_when(
    secretary, dispatched_to_volunteer, settings
):
    """13.12: fifty urges sent fifty messages; now one per cooldown, and the refusal says when."""
    case = case_urge(actor=secretary, case=dispatched_to_volunteer, note="请尽快")
    with translation.override("en"), pytest.raises(ValidationError) as again:
        case_urge(actor=secretary, case=case)
    assert "Urge again in" in " ".join(again.value.message_dict["note"])
    case.refresh_from_db()
    assert case.urge_count == 1
    Case.objects.filter(pk=case.pk).update(
        last_urged_at=timezone.now() - timedelta(minutes=settings.GRASSROOTS_URGE_COOLDOWN_MINUTES + 1)
    )
    assert case_urge(actor=secretary, case=case).urge_count == 2


# --- simultaneous reports ------------------------------------------------------------------------------


def _numbered(case: Case) -> int:
    return int(case.number.rsplit("-", 1)[1])


@pytest.mark.django_db(transaction=True)
def test_a_report_still_being_written_does_not_hold_back_another(
    community, socialworker, secretary, household_a, household_b, monkeypatch
):
    """Real concurrent connections. A report is paused after writing its case and its timeline; another
    report of the community goes through meanwhile on PostgreSQL (the day's counter is locked only from
    the moment a report takes its number, late in its transaction); SQLite lets one writer at a time."""
    from grassroots.cases import services

    paused, go_on = threading.Event(), threading.Event()
    real_record = services._record

    def record(case, **kwargs):
        event = real_record(case, **kwargs)
        if threading.current_thread().name == "slow" and not go_on.is_set():
            paused.set()
            go_on.wait(timeout=30)
        return event

    monkeypatch.setattr(services, "_record", record)
    done: dict[str, Case] = {}
    errors: list[Exception] = []

    def report(name, actor, household):
        try:
            done[name] = case_report(
                actor=actor, community=community, details=water(household=household), register=True
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    slow = threading.Thread(target=report, args=("slow", socialworker, household_a), name="slow")
    quick = threading.Thread(target=report, args=("quick", secretary, household_b), name="quick")
    slow.start()
    assert paused.wait(timeout=30)
    quick.start()
    quick.join(timeout=5)
    went_through = not quick.is_alive()
    go_on.set()
    slow.join(timeout=30)
    quick.join(timeout=30)
    assert errors == []
    if connection.vendor == "postgresql":
        assert went_through
        assert (_numbered(done["quick"]), _numbered(done["slow"])) == (1, 2)
    else:
        assert not went_through
        assert (_numbered(done["slow"]), _numbered(done["quick"])) == (1, 2)
    assert sorted(Case.objects.values_list("status", flat=True)) == ["registered", "registered"]


@pytest.mark.django_db(transaction=True)
def test_eight_reports_of_one_problem_at_once_are_numbered_flagged_and_counted_as_one_after_another(
    community, socialworker, household_a
):
    """Real concurrent connections: eight callers report the same burst pipe at the same moment. Each
    takes the day's next number; each sees the reports numbered before it (the duplicate flag), each
    after the first reported is a repeat; the rollups equal a rebuild from the timelines."""
    from grassroots.cases import rollups
    from grassroots.cases.models import CaseFact
    from tests.test_rollups import snapshot

    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def report():
        try:
            barrier.wait(timeout=20)
            case_report(actor=socialworker, community=community, details=water(household=household_a))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=report) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    cases = sorted(Case.objects.all(), key=_numbered)
    assert [_numbered(case) for case in cases] == list(range(1, 9))
    for place, case in enumerate(cases):
        before = [c for c in cases[:place] if c.reported_at <= case.reported_at]
        assert (case.suspected_duplicate in before) if before else case.suspected_duplicate is None
    first = min(cases, key=lambda c: (c.reported_at, c.pk))
    repeats = dict(CaseFact.objects.values_list("case_id", "repeat"))
    assert repeats == {case.pk: case.pk != first.pk for case in cases}
    kept = snapshot()
    rollups.rebuild()
    assert snapshot() == kept
