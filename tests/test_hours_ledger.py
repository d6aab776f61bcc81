"""The service-hours ledger: append-only, corrected by compensating rows, points by rules, a time bank
that never goes below zero, care's delivered services counted, and the yearly statement (page, PDF)."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from grassroots.activities import hours as ledger
from grassroots.activities import selectors
from grassroots.activities.hours import Work
from grassroots.activities.models import HoursEntry, LedgerIsAppendOnly, PointsBalance, PointsRule, SourceKind
from grassroots.activities.pdf import statement_pdf
from grassroots.care import services as care
from grassroots.care.models import CareProfile, Enrolment, PlannedService, Programme, ProgrammeService, Tier
from tests.factories import MemberUnitFactory, PartyBranchFactory, PartyMemberFactory, VolunteerTeamFactory

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"


def work(person, community, hours="2", source_id=1, kind=SourceKind.ACTIVITY, facts=frozenset()):
    return Work(
        person=person,
        community_id=community.pk,
        source_kind=kind,
        source_id=source_id,
        hours=Decimal(hours),
        worked_at=timezone.now(),
        note="楼道清扫",
        facts=facts,
    )


@pytest.fixture
def entry(volunteer, community, secretary):
    return ledger.hours_record(actor=secretary, work=work(volunteer.person, community))


def balance(person) -> Decimal:
    return PointsBalance.objects.get(person=person).points


def test_a_row_is_never_changed_or_deleted_through_django(entry):
    entry.hours = Decimal(9)
    with pytest.raises(LedgerIsAppendOnly):
        entry.save()
    with pytest.raises(LedgerIsAppendOnly):
        entry.delete()
    with pytest.raises(LedgerIsAppendOnly):
        HoursEntry.objects.filter(pk=entry.pk).update(hours=9)
    with pytest.raises(LedgerIsAppendOnly):
        HoursEntry.objects.all().delete()
    assert HoursEntry.objects.get(pk=entry.pk).hours == Decimal(2)


def test_on_postgresql_the_database_refuses_an_update_or_delete_in_raw_sql(entry):
    """The trigger holds whoever asks: raw SQL on PostgreSQL fails; SQLite has only Django's refusal."""
    statements = (
        "UPDATE activities_hoursentry SET hours = 9 WHERE id = %s",
        "DELETE FROM activities_hoursentry WHERE id = %s",
    )
    for sql in statements:
        if ON_POSTGRES:
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [entry.pk])
        else:  # SQLite: the model and its manager refuse (above); raw SQL is not the application's path
            assert "hours_entry_no_update" in {t.name for t in HoursEntry._meta.triggers}
    assert HoursEntry.objects.get(pk=entry.pk).hours == Decimal(2)


def test_recording_the_same_work_twice_counts_it_once(entry, volunteer, community, secretary):
    again = ledger.hours_record(actor=secretary, work=work(volunteer.person, community))
    assert again.pk == entry.pk and HoursEntry.objects.count() == 1
    assert balance(volunteer.person) == Decimal(2)


def test_a_correction_is_a_compensating_entry_never_an_edit(entry, volunteer, secretary):
    reversal = ledger.hours_correct(actor=secretary, entry=entry, reason="多记了一小时", hours=Decimal("1.0"))
    assert (reversal.corrects_id, reversal.hours, reversal.points) == (
        entry.pk,
        Decimal("-2.0"),
        Decimal("-2.0"),
    )
    assert HoursEntry.objects.get(pk=entry.pk).hours == Decimal(2)  # the original stays as it was
    rows = list(
        HoursEntry.objects.filter(person=volunteer.person).order_by("id").values_list("hours", flat=True)
    )
    assert rows == [Decimal("2.0"), Decimal("1.0"), Decimal("-2.0")]  # the restated row, then the reversal
    assert balance(volunteer.person) == Decimal(1)
    with pytest.raises(ValidationError):  # reversed once
        ledger.hours_correct(actor=secretary, entry=entry, reason="再改")
    with pytest.raises(ValidationError):  # a correction is not corrected itself
        ledger.hours_correct(actor=secretary, entry=reversal, reason="再改")


def test_only_the_office_corrects(entry, volunteer, gridworker):
    for actor in (volunteer, gridworker):
        with pytest.raises(PermissionDenied):
            ledger.hours_correct(actor=actor, entry=entry, reason="改一下")


def test_points_follow_the_rules_as_data(volunteer, community, secretary):
    high = frozenset({"high_risk_household"})
    assert ledger.points_for(community_id=community.pk, source_kind="care", hours=Decimal(3)) == Decimal(3)
    assert ledger.points_for(
        community_id=community.pk, source_kind="care", hours=Decimal(3), facts=high
    ) == Decimal(6)
    # The community's own rate for activities wins over the default, and only for activities.
    PointsRule.objects.create(community=community, source_kind="activity", points_per_hour=Decimal("1.5"))
    assert ledger.points_for(community_id=community.pk, source_kind="activity", hours=Decimal(2)) == Decimal(
        3
    )
    assert ledger.points_for(community_id=community.pk, source_kind="case", hours=Decimal(2)) == Decimal(2)
    PointsRule.objects.update(active=False)
    assert ledger.points_for(community_id=community.pk, source_kind="case", hours=Decimal(2)) == Decimal(0)


# --- care's delivered services ----------------------------------------------------------------------


@pytest.fixture
def planned(community, household_a, granny_wang, volunteer):
    team = VolunteerTeamFactory(community=community, name="银发互助队")
    volunteer.person.volunteer.teams.add(team)
    programme = Programme.objects.create(community=community, name="幸福归巢·银发互助", team=team)
    service = ProgrammeService.objects.create(
        programme=programme, kind="home_chat", name="上门聊天", hours=Decimal("1.5")
    )
    place = {"community": community, "household": household_a, "grid": household_a.grid}
    enrolment = Enrolment.objects.create(
        programme=programme, person=granny_wang, reason="独居", starts_on=date.today(), team=team, **place
    )
    return PlannedService.objects.create(
        enrolment=enrolment, service=service, window_start=date.today(), due_on=date.today(), **place
    )


def test_a_delivered_care_service_puts_its_hours_in_the_ledger(planned, volunteer):
    care.service_done(actor=volunteer, planned=planned, notes="聊了一小时")
    entry = HoursEntry.objects.get(source_kind=SourceKind.CARE, source_id=planned.pk)
    assert (entry.person_id, entry.hours, entry.points) == (
        volunteer.person_id,
        Decimal("1.5"),
        Decimal("1.5"),
    )


def test_care_for_a_high_risk_household_counts_double(planned, volunteer, granny_wang, household_a):
    CareProfile.objects.create(
        person=granny_wang,
        community=household_a.grid.community,
        household=household_a,
        grid=household_a.grid,
        on_register=True,
        tier=Tier.HIGH,
    )
    care.service_done(actor=volunteer, planned=planned, hours=Decimal(2))
    entry = HoursEntry.objects.get(source_kind=SourceKind.CARE)
    assert (entry.hours, entry.points, entry.conditions) == (Decimal(2), Decimal(4), "high_risk_household")


def test_case_hours_have_their_entry_point(volunteer, community, secretary):
    entry = ledger.case_hours_record(
        actor=secretary,
        case_id=42,
        community_id=community.pk,
        person=volunteer.person,
        hours=Decimal(1),
        at=timezone.now(),
        high_risk=True,
    )
    assert (entry.source_kind, entry.source_id, entry.points) == ("case", 42, Decimal(2))


def test_hours_on_a_case_report_go_into_the_ledger_once_committed(
    volunteer, socialworker, community, household_a, django_capture_on_commit_callbacks
):
    from grassroots.cases import services as cases
    from grassroots.cases.models import Category, Channel
    from grassroots.cases.services import Party, ReportDetails

    case = cases.case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=Category.objects.get(code="repairs"),
            description="水管漏水",
            channel=Channel.PHONE,
            household=household_a,
        ),
        register=True,
    )
    case = cases.case_dispatch(actor=socialworker, case=case, lead=Party("person", volunteer.person_id))
    with django_capture_on_commit_callbacks(execute=True):
        cases.case_note(actor=volunteer, case=case, note="换了阀门", hours="1.5")
    entry = HoursEntry.objects.get(person=volunteer.person, source_kind=SourceKind.CASE)
    assert (entry.source_id, entry.hours) == (case.pk, Decimal("1.5"))
    with django_capture_on_commit_callbacks(execute=True):
        cases.case_note(actor=socialworker, case=case, note="已电话确认")  # no hours: nothing more
    assert HoursEntry.objects.filter(source_kind=SourceKind.CASE).count() == 1


# --- the time bank -----------------------------------------------------------------------------------


def test_redeeming_spends_points_and_never_below_zero(entry, volunteer, secretary):
    ledger.points_redeem(actor=secretary, person=volunteer.person, points=Decimal("1.5"), note="理发一次")
    assert balance(volunteer.person) == Decimal("0.5")
    with pytest.raises(ValidationError) as refused:
        ledger.points_redeem(actor=secretary, person=volunteer.person, points=Decimal(1), note="理发一次")
    assert "points" in refused.value.message_dict
    assert balance(volunteer.person) == Decimal("0.5")
    with pytest.raises(PermissionDenied):
        ledger.points_redeem(actor=volunteer, person=volunteer.person, points=Decimal("0.1"), note="自己兑换")


def test_a_correction_that_would_overdraw_a_spent_balance_is_refused(entry, volunteer, secretary):
    ledger.points_redeem(actor=secretary, person=volunteer.person, points=Decimal(2), note="换米面油")
    with pytest.raises(ValidationError):
        ledger.hours_correct(actor=secretary, entry=entry, reason="记错了")
    assert balance(volunteer.person) == Decimal(0)


def test_the_balance_row_itself_refuses_to_go_negative(entry, volunteer):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        PointsBalance.objects.filter(person=volunteer.person).update(points=Decimal(-1))


@pytest.mark.django_db(transaction=True)
def test_simultaneous_redemptions_cannot_overdraw(volunteer, community, secretary, socialworker):
    """Eight redemptions of 1 point at once against a balance of 3: exactly three go through."""
    ledger.hours_record(actor=secretary, work=work(volunteer.person, community, hours="3"))
    staff = [secretary, socialworker] * 4
    barrier = threading.Barrier(len(staff))
    outcomes: list[str] = []

    def attempt(actor):
        try:
            barrier.wait(timeout=20)
            ledger.points_redeem(actor=actor, person=volunteer.person, points=Decimal(1), note="理发一次")
            outcomes.append("spent")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(actor,)) for actor in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused"] * 5 + ["spent"] * 3
    assert balance(volunteer.person) == Decimal(0)
    assert HoursEntry.objects.filter(source_kind=SourceKind.REDEMPTION).count() == 3


# --- statement and totals ----------------------------------------------------------------------------


def test_the_yearly_statement_and_its_pdf_carry_the_chinese_text(entry, volunteer, secretary):
    from pypdf import PdfReader

    ledger.points_redeem(actor=secretary, person=volunteer.person, points=Decimal(1), note="理发一次")
    statement = selectors.statement_for(volunteer.person, timezone.now().year)
    assert (statement.hours, statement.points, statement.redeemed, statement.balance) == (
        Decimal(2),
        Decimal(2),
        Decimal(1),
        Decimal(1),
    )
    data = statement_pdf(statement)
    reader = PdfReader(io.BytesIO(data))
    text = "".join("".join(page.extract_text().split()) for page in reader.pages).replace("\x00", "")
    assert volunteer.person.name in text and "楼道清扫" in text and "理发一次" in text
    font = next(iter(reader.pages[0]["/Resources"]["/Font"].values())).get_object()
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    assert "/FontFile2" in descriptor or "/FontFile3" in descriptor  # the font is embedded, not referred to


def test_totals_by_team_branch_and_member_unit(entry, volunteer, community, secretary):
    team = VolunteerTeamFactory(community=community, name="助老服务队")
    volunteer.person.volunteer.teams.add(team)
    branch = PartyBranchFactory(community=community, name="第一党支部")
    PartyMemberFactory(branch=branch, person=volunteer.person)
    unit = MemberUnitFactory(community=community, name="和盛苑物业")
    volunteer.member_unit = unit
    volunteer.save(update_fields=["member_unit"])
    totals = selectors.totals_for(secretary, timezone.now().year)
    assert (totals.hours, totals.people) == (Decimal(2), 1)
    assert totals.teams == [(team, Decimal(2))]
    assert totals.branches == [(branch, Decimal(2))]
    assert totals.units == [(unit, Decimal(2))]
    last_year = selectors.totals_for(secretary, (timezone.now() - timedelta(days=366)).year)
    assert last_year.hours == 0


def test_without_a_chinese_font_the_pdf_says_what_to_install(
    monkeypatch, entry, volunteer, client, secretary
):
    from grassroots.activities import pdf

    monkeypatch.setattr(pdf, "FONT_CANDIDATES", (("/nowhere/font.ttc", 0),))
    monkeypatch.delenv("GRASSROOTS_CJK_FONT", raising=False)
    pdf.cjk_font.cache_clear()
    try:
        with pytest.raises(pdf.FontMissing, match="fonts-noto-cjk"):
            pdf.cjk_font()
        client.force_login(secretary)
        response = client.get(f"/activities/hours/people/{volunteer.person_id}/pdf/")
        assert response.status_code == 503 and b"fonts-noto-cjk" in response.content
    finally:
        pdf.cjk_font.cache_clear()
