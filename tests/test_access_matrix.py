"""Every page of grassroots, as every role (issue 13.11): who may open it, and nothing else may.

The matrix below names, for each URL pattern of the site (the admin, the API and Open311 are
tested by their own suites: tests/test_api_scoping.py, tests/test_open311.py), the roles that
open it. Every pattern is tried as every role, anonymous included, over one scene: Granny Wang's
household in grid A with a visit, an enrolment, a campaign and a case dispatched to the
volunteer. A role not named must be refused (403 or 404; anonymous: sent to sign in), no page
may answer 500, and the outsider (a social worker of another community) never opens a page
about our residents. A new URL pattern with no entry here fails the test, so every new page
comes with its answer to "who can read this, and should they?".
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from grassroots.activities import hours as hours_ledger
from grassroots.activities import lists as three_lists
from grassroots.activities import services as activities
from grassroots.activities.models import Theme
from grassroots.care import services as care
from grassroots.care.defaults import install_default_rules
from grassroots.care.models import PlannedService, Programme, ProgrammeService
from grassroots.cases import links as party_links
from grassroots.cases import services as cases
from grassroots.cases.models import Category, Channel
from grassroots.cases.services import Party, ReportDetails
from grassroots.insights.models import MonthlyReport, ReportStatus
from grassroots.ledger import runs as ledger_runs
from grassroots.notify.models import Message
from grassroots.orgs.serving import serving_report_submit
from grassroots.privacy import services as privacy
from grassroots.telephony.models import Call, Line
from tests.factories import (
    MemberUnitFactory,
    PartyBranchFactory,
    PersonTagFactory,
    VolunteerTeamFactory,
    vulnerability_tag,
)
from tests.ledger_files import xlsx_bytes

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "secretary",
    "socialworker",
    "gridworker",
    "street_user",
    "admin_user",
    "volunteer",
    "unitcontact",
    "patroller",
    "resident",
    "outsider",
)
COORDINATORS = {"secretary", "socialworker", "gridworker", "street_user", "admin_user"}
MOUTH_AND_LEGS = {"secretary", "socialworker", "gridworker"}  # who works with our residents' data
SIGNED_IN = set(ROLES) - {"anonymous"}
EVERYONE = set(ROLES)
NOBODY: set[str] = set()
LEDGER_IMPORTERS = {"secretary", "socialworker", "admin_user"}

#: Patterns not tried here: the admin (Django's own permissions), the API and Open311 (their suites),
#: and endpoints that only answer POST (tried with POST below).
ELSEWHERE = ("admin/", "api/", "open311/")

#: route name -> (the roles that open it with GET, path or None for POST-only endpoints).
MATRIX: dict[str, tuple[set[str], str | None]] = {
    "healthz": (EVERYONE, "/healthz"),
    "favicon": (EVERYONE, "/favicon.ico"),
    "set_language": (NOBODY, None),  # POST only
    "home": (SIGNED_IN, "/"),
    "login": (EVERYONE, "/login/"),
    "logout": (NOBODY, None),
    "second-factor": (SIGNED_IN, "/login/code/"),
    "second-factor-setup": (SIGNED_IN, "/account/authenticator/"),
    # The grid list opens for every account and lists the grids in its scope: none for the hands and
    # residents. Patrollers (the eyes) see the places they report at (addresses, no residents).
    "grid-list": (SIGNED_IN, "/grids/"),
    "grid-detail": (COORDINATORS | {"patroller"}, "/grids/{grid}/"),
    "building-detail": (COORDINATORS | {"patroller"}, "/buildings/{building}/"),
    "community-plan": (COORDINATORS | {"patroller", "outsider"}, "/plan/"),  # the outsider: their own
    "ledger-plan": ({"admin_user"}, "/ledger/plan/"),
    "ledger-plan-export": ({"admin_user"}, "/ledger/plan/export/?community={community_id}"),
    "household-detail": (COORDINATORS | {"resident", "patroller"}, "/households/{household}/"),
    "person-search": (COORDINATORS | {"outsider", "resident"}, "/people/"),  # a resident finds their own
    "person-detail": (COORDINATORS | {"resident"}, "/people/{person}/"),
    "person-reveal": (NOBODY, None),
    # The register's screens: those who edit the register (not the street office, which reads it).
    "person-new": (MOUTH_AND_LEGS | {"admin_user", "outsider"}, "/people/new/"),  # a blank form
    "person-edit": (MOUTH_AND_LEGS | {"admin_user"}, "/people/{person}/edit/"),
    "person-move-in": (MOUTH_AND_LEGS | {"admin_user"}, "/people/{person}/move-in/"),
    "person-move-out": (MOUTH_AND_LEGS | {"admin_user"}, "/people/{person}/move-out/"),
    "person-tags": (MOUTH_AND_LEGS | {"admin_user"}, "/people/{person}/tags/"),
    "person-untag": (NOBODY, None),
    "person-relation": (NOBODY, None),
    "household-head": (MOUTH_AND_LEGS | {"admin_user"}, "/people/households/{household}/head/"),
    "building-head": (MOUTH_AND_LEGS | {"admin_user"}, "/people/buildings/{building}/head/"),
    "household-split": (MOUTH_AND_LEGS | {"admin_user"}, "/people/households/{household}/split/"),
    "household-merge": (MOUTH_AND_LEGS | {"admin_user"}, "/people/households/{household}/merge/"),
    # Organisations: the registry roles and the hands (their teams); members only for the registry roles.
    # A grid worker's scope is their grids, and the organisations have no grid: deny by default.
    "org-home": (COORDINATORS | {"outsider", "volunteer", "unitcontact"}, "/orgs/"),
    "org-branch": (COORDINATORS - {"gridworker"} | {"volunteer", "unitcontact"}, "/orgs/branches/{branch}/"),
    "org-team": (COORDINATORS - {"gridworker"} | {"volunteer", "unitcontact"}, "/orgs/teams/{team}/"),
    "org-team-member": (NOBODY, None),
    "org-unit": (COORDINATORS - {"gridworker"} | {"volunteer", "unitcontact"}, "/orgs/units/{unit}/"),
    "org-new": ({"secretary", "socialworker", "admin_user", "outsider"}, "/orgs/units/new/"),  # a blank form
    "org-edit": ({"secretary", "socialworker", "admin_user"}, "/orgs/units/{unit}/edit/"),
    "org-serving": ({"secretary", "socialworker", "admin_user", "outsider"}, "/orgs/serving/"),  # their own
    "org-serving-report": ({"secretary", "socialworker", "admin_user"}, "/orgs/serving/{serving_report}/"),
    "portal-serving": (EVERYONE, "/portal/serving/{community_code}/"),
    "person-party": ({"secretary", "socialworker", "admin_user"}, "/orgs/people/{person}/party/"),
    "person-volunteering": (
        {"secretary", "socialworker", "admin_user"},
        "/orgs/people/{person}/volunteering/",
    ),
    "case-list": (COORDINATORS | {"outsider"}, "/cases/"),
    "case-intake": (COORDINATORS | {"outsider"}, "/cases/intake/"),
    "case-intake-lookup": (COORDINATORS | {"outsider"}, "/cases/intake/lookup/?q=王"),
    "case-intake-caller": (COORDINATORS, "/cases/intake/caller/?person={person}"),
    "case-intake-new-resident": (NOBODY, None),
    "case-place-picker": (COORDINATORS, "/cases/intake/place/?household={household}"),
    "case-intake-duplicates": (COORDINATORS | {"outsider"}, "/cases/intake/duplicates/"),
    "case-report": (SIGNED_IN - {"street_user", "admin_user"}, "/cases/report/"),
    "case-questions": (SIGNED_IN, "/cases/questions/?category={category}"),
    "case-place-households": (SIGNED_IN, "/cases/places/households/?building={building}"),
    "case-board": (COORDINATORS | {"outsider"}, "/cases/board/"),
    # The dashboard: the legs and the mouth (who open the case lists its numbers link to); the
    # outsider opens their own community's, which counts nothing of ours (tests/test_dashboard.py).
    "dashboard": (COORDINATORS | {"outsider"}, "/dashboard/"),
    # The monthly reports: the legs only, each its scope's (our community's report: the secretary,
    # the street office, administrators; tests/test_monthly_report.py tries the street's own).
    "monthly-reports": ({"secretary", "street_user", "admin_user"}, "/dashboard/reports/"),
    "monthly-report": ({"secretary", "street_user", "admin_user"}, "/dashboard/reports/{report}/"),
    "monthly-report-file": ({"secretary", "street_user", "admin_user"}, "/dashboard/reports/{report}/pdf/"),
    "monthly-report-ask": (NOBODY, None),
    "monthly-report-subscribe": (NOBODY, None),
    # The handlers' evaluation: the legs only (insights.evaluation.view), not the mouth.
    "dashboard-handlers": ({"secretary", "street_user", "admin_user"}, "/dashboard/handlers/"),
    # Raising a hotspot's proactive case: POST only (tests/test_hotspots.py).
    "case-hotspot-raise": (NOBODY, None),
    "case-board-act": (NOBODY, None),
    "case-tasks": (SIGNED_IN - {"resident"}, "/cases/tasks/"),
    "case-detail": (COORDINATORS | {"volunteer", "resident"}, "/cases/{case}/"),
    "case-dispatch": (COORDINATORS, "/cases/{case}/dispatch/"),
    "case-verify": (COORDINATORS, "/cases/{case}/verify/"),
    "case-act": (NOBODY, None),
    "case-link-revoke": (NOBODY, None),
    "case-attachment": (NOBODY, "/cases/{case}/attachments/999999/"),  # none there: 404 for all
    "portal-home": (EVERYONE, "/portal/"),
    "portal-report": (EVERYONE, "/portal/report/"),
    "portal-questions": (EVERYONE, "/portal/report/questions/?category={category}"),
    "portal-follow": (EVERYONE, "/portal/follow/"),
    "portal-track": (EVERYONE, "/portal/track/"),
    "portal-mine": ({"resident"}, "/portal/mine/"),
    "portal-case": ({"resident"}, "/portal/cases/{case}/"),
    "portal-rate": (NOBODY, None),
    "portal-photo": (NOBODY, "/portal/cases/{case}/photos/999999/"),
    "care-home": (COORDINATORS | {"volunteer", "outsider"}, "/care/"),
    "care-worklist": (COORDINATORS | {"outsider"}, "/care/worklist/"),
    "care-tasks": ({"volunteer", "admin_user"}, "/care/tasks/"),  # a volunteer's own planned services
    "care-register": (COORDINATORS | {"outsider"}, "/care/register/"),
    "care-flags": ({"secretary", "street_user", "admin_user"}, "/care/flags/"),
    # The planned services due in a period (the dashboard's "delivered against due" links here):
    # whoever reads the care plans; the outsider reads their own community's (none of ours).
    "care-services": (COORDINATORS | {"outsider"}, "/care/services/"),
    "care-rate": (COORDINATORS | {"outsider"}, "/care/rate/"),
    "care-access": ({"secretary", "street_user", "admin_user"}, "/care/access/"),
    "care-campaigns": (COORDINATORS | {"outsider"}, "/care/campaigns/"),
    "care-campaign-new": ({"secretary", "socialworker", "outsider"}, "/care/campaigns/new/"),
    "care-campaign": (COORDINATORS, "/care/campaigns/{campaign}/"),
    "care-campaign-assign": (NOBODY, None),
    "care-visit-new": (MOUTH_AND_LEGS | {"volunteer", "admin_user"}, "/care/households/{household}/visit/"),
    "care-enrol": (MOUTH_AND_LEGS | {"admin_user"}, "/care/households/{household}/enrol/"),
    "care-visit": (COORDINATORS, "/care/visits/{visit}/"),
    "care-visit-case": (NOBODY, None),
    "care-person-take": (NOBODY, None),
    "care-person-tier": (NOBODY, None),
    "care-person-situation": (NOBODY, None),
    "care-programmes": (COORDINATORS | {"outsider"}, "/care/programmes/"),
    "care-programme": (COORDINATORS, "/care/programmes/{programme}/"),
    "care-enrolment": (COORDINATORS | {"volunteer"}, "/care/enrolments/{enrolment}/"),  # of its team
    "care-service-record": ({"volunteer", "admin_user"} | MOUTH_AND_LEGS, "/care/services/{service}/record/"),
    "care-service-done": (NOBODY, None),
    "care-service-missed": (NOBODY, None),
    "notification-list": (SIGNED_IN, "/notifications/"),
    "notification-badge": (SIGNED_IN, "/notifications/badge/"),
    "notification-read-all": (NOBODY, None),  # POST only: one's own inbox
    "notification-read": (NOBODY, None),
    # Only one's own message: the scene's failed SMS is nobody's inbox row, so nobody opens it.
    "notification-open": (NOBODY, "/notifications/{message}/open/"),
    # Ledgers: the office imports (administrators, the secretary, social workers: an outsider only into
    # their own community, so never our run); everyone who works with the register exports, in scope.
    "ledger-home": (COORDINATORS | {"outsider"}, "/ledger/"),
    "ledger-template": (LEDGER_IMPORTERS | {"outsider"}, "/ledger/templates/party-members.xlsx"),
    "ledger-import": (LEDGER_IMPORTERS, "/ledger/imports/{import_run}/"),
    "ledger-import-progress": (LEDGER_IMPORTERS, "/ledger/imports/{import_run}/progress/"),
    "ledger-import-errors": (LEDGER_IMPORTERS, "/ledger/imports/{import_run}/errors/"),
    "ledger-import-mapping": (NOBODY, None),
    "ledger-import-start": (NOBODY, None),
    "ledger-export-residents": (COORDINATORS | {"outsider"}, "/ledger/export/residents.xlsx"),
    "ledger-export-cases": (COORDINATORS | {"outsider"}, "/ledger/export/cases.xlsx"),
    # The other lists as their pages: every coordinator (the outsider gets their own, empty, scope).
    "ledger-export-households": (COORDINATORS | {"outsider"}, "/ledger/export/households.xlsx?grid={grid}"),
    "ledger-export-organisations": (COORDINATORS | {"outsider"}, "/ledger/export/organisations.xlsx"),
    "ledger-export-visits": (COORDINATORS | {"outsider"}, "/ledger/export/visits.xlsx"),
    "ledger-export-care-register": (COORDINATORS | {"outsider"}, "/ledger/export/care-register.xlsx"),
    "notification-retry": (NOBODY, None),
    # An SMS gateway's delivery report: POST only, the secret token in the address is the proof.
    "sms-receipt": (NOBODY, None),
    # The WeChat Official Account's callback: WeChat's signature is the proof (unconfigured here: 404).
    "wechat-callback": (NOBODY, "/wechat/callback/"),
    "privacy-mine": ({"resident"}, "/privacy/mine/"),
    "privacy-mine-file": ({"resident"}, "/privacy/mine/file/"),
    "privacy-requests": (
        {"secretary", "socialworker", "street_user", "admin_user", "outsider"},
        "/privacy/requests/",
    ),
    "privacy-request": (
        {"secretary", "socialworker", "street_user", "admin_user"},
        "/privacy/requests/{datarequest}/",
    ),
    "privacy-person": ({"secretary", "socialworker", "admin_user"}, "/privacy/people/{person}/"),
    "privacy-person-file": ({"secretary", "socialworker", "admin_user"}, "/privacy/people/{person}/file/"),
    "privacy-consent": (NOBODY, None),
    # Activities: everyone of the community reads them (residents too: through their person's community);
    # the office and the team's leader (the volunteer) publish, call the roll and show the QR code.
    "activity-list": (SIGNED_IN - {"patroller"}, "/activities/"),
    "activity-new": (
        {"secretary", "socialworker", "outsider", "volunteer"},
        "/activities/new/",
    ),  # a blank form
    "activity-mine": (SIGNED_IN - {"patroller", "street_user"}, "/activities/mine/"),
    "activity-scan": (SIGNED_IN - {"patroller", "street_user"}, "/activities/scan/"),
    "activity-detail": (COORDINATORS | {"volunteer", "unitcontact", "resident"}, "/activities/{activity}/"),
    "activity-edit": (
        {"secretary", "socialworker", "admin_user", "volunteer"},
        "/activities/{activity}/edit/",
    ),
    "activity-signup": (NOBODY, None),
    "activity-cancel": (NOBODY, None),
    "activity-checkout": (NOBODY, None),
    "activity-roll": (
        {"secretary", "socialworker", "admin_user", "volunteer"},
        "/activities/{activity}/roll/",
    ),
    "activity-roll-act": (NOBODY, None),
    "activity-qr": ({"secretary", "socialworker", "admin_user", "volunteer"}, "/activities/{activity}/qr/"),
    # The QR code's link checks in who has a place (the volunteer and Granny Wang); others are told why not.
    "activity-checkin": ({"volunteer", "resident"}, "/activities/{activity}/checkin/{checkin}/"),
    # Hours: one's own statement; a person's and the totals for the office and the street.
    "hours-mine": ({"volunteer", "resident"}, "/activities/hours/"),
    "hours-totals": (
        {"secretary", "socialworker", "street_user", "admin_user", "outsider"},
        "/activities/hours/totals/",
    ),
    "hours-statement": (
        {"secretary", "socialworker", "street_user", "admin_user", "volunteer"},
        "/activities/hours/people/{volunteer_person}/",
    ),
    "hours-statement-pdf": (
        {"secretary", "socialworker", "street_user", "admin_user", "volunteer"},
        "/activities/hours/people/{volunteer_person}/pdf/",
    ),
    "hours-redeem": (NOBODY, None),
    "hours-correct": (NOBODY, None),
    # The phone desk (telephony): who takes calls on a line; the outsider reads their own (none).
    "telephony-panel": (MOUTH_AND_LEGS | {"admin_user", "outsider"}, "/telephony/panel/"),
    "telephony-stream": (MOUTH_AND_LEGS | {"admin_user", "outsider"}, "/telephony/stream/"),
    "telephony-callbacks": (COORDINATORS | {"outsider"}, "/telephony/callbacks/"),
    "telephony-sign-on": (NOBODY, None),
    "telephony-sign-off": (NOBODY, None),
    "telephony-called-back": (NOBODY, None),
    # The three lists: the office keeps them, the street reads them, a grid worker reads its grids'
    # needs, a unit contact their unit's offers and projects; the outsider opens only its own lists.
    "lists-home": (COORDINATORS | {"unitcontact", "outsider"}, "/activities/lists/"),
    "need-list": (COORDINATORS | {"outsider"}, "/activities/lists/needs/"),
    "need-new": ({"secretary", "socialworker", "outsider"}, "/activities/lists/needs/new/"),
    "need-detail": (COORDINATORS, "/activities/lists/needs/{need}/"),
    "project-new": ({"secretary", "socialworker", "admin_user"}, "/activities/lists/needs/{need}/project/"),
    "resource-list": (
        COORDINATORS - {"gridworker"} | {"unitcontact", "outsider"},
        "/activities/lists/resources/",
    ),
    "resource-new": (
        {"secretary", "socialworker", "admin_user", "unitcontact"},
        "/activities/lists/resources/new/",
    ),
    "resource-detail": (
        COORDINATORS - {"gridworker"} | {"unitcontact"},
        "/activities/lists/resources/{resource}/",
    ),
    "project-list": (
        COORDINATORS - {"gridworker"} | {"unitcontact", "outsider"},
        "/activities/lists/projects/",
    ),
    "project-detail": (
        COORDINATORS - {"gridworker"} | {"unitcontact"},
        "/activities/lists/projects/{project}/",
    ),
    "unit-record": (COORDINATORS - {"gridworker"} | {"unitcontact"}, "/activities/lists/units/{list_unit}/"),
    # Last: the token is the proof, and opening it lets this session see the case in the portal.
    "portal-follow-link": (EVERYONE, "/portal/follow/{token}/"),
    # A summoned party's one-tap link: the secret is the proof, signed in or not (cases.links).
    "portal-task": (EVERYONE, "{task}"),
}

#: POST-only endpoints that act on nobody's data: signing out and choosing a language.
HARMLESS_POSTS = {"logout", "set_language", "notification-read-all"}
#: POST-only endpoints: nobody outside our community may act on our residents through them.
POSTS = {
    "org-team-member": "/orgs/teams/{team}/members/add/",
    "person-reveal": "/people/{person}/reveal/",
    "person-untag": "/people/{person}/tags/{tag}/remove/",
    "person-relation": "/people/{person}/relation/",
    "case-board-act": "/cases/board/{case}/urge/",
    "case-hotspot-raise": "/cases/hotspots/raise/",
    "case-intake-new-resident": "/cases/intake/new-resident/",
    "case-act": "/cases/{case}/act/urge/",
    "case-link-revoke": "/cases/{case}/links/{link}/revoke/",
    "care-campaign-assign": "/care/campaigns/{campaign}/assign/",
    "care-visit-case": "/care/visits/{visit}/case/",
    "care-person-take": "/care/people/{person}/take/",
    "care-person-tier": "/care/people/{person}/tier/",
    "care-person-situation": "/care/people/{person}/situation/",
    "care-service-done": "/care/services/{service}/done/",
    "care-service-missed": "/care/services/{service}/missed/",
    "portal-rate": "/portal/cases/{case}/rate/",
    "notification-retry": "/notifications/{message}/retry/",
    "notification-read": "/notifications/{message}/read/",
    "sms-receipt": "/notifications/receipts/aliyun/guessed-token/",
    "wechat-callback": "/wechat/callback/",
    "privacy-consent": "/privacy/people/{person}/consent/",
    "ledger-import-mapping": "/ledger/imports/{import_run}/mapping/",
    "ledger-import-start": "/ledger/imports/{import_run}/start/",
    "activity-signup": "/activities/{activity}/signup/",
    "activity-cancel": "/activities/{activity}/cancel/",
    "activity-checkout": "/activities/{activity}/checkout/",
    "activity-roll-act": "/activities/{activity}/roll/act/",
    "hours-redeem": "/activities/hours/people/{volunteer_person}/redeem/",
    "hours-correct": "/activities/hours/entries/{entry}/correct/",
    "telephony-sign-on": "/telephony/lines/{line}/sign-on/",
    "telephony-sign-off": "/telephony/lines/{line}/sign-off/",
    "telephony-called-back": "/telephony/calls/{call}/called-back/",
    "monthly-report-ask": "/dashboard/reports/ask/",
    "monthly-report-subscribe": "/dashboard/reports/subscriptions/",
}


def page_patterns() -> dict[str, str]:
    """Every named URL pattern outside the admin, the API and Open311: name -> route."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str = "") -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if not route.startswith(ELSEWHERE):
                    found[pattern.name] = route

    walk(get_resolver().url_patterns)
    return found


def test_every_page_has_an_entry_in_the_matrix():
    patterns = page_patterns()
    assert set(patterns) - set(MATRIX) == set(), "new pages: say who may open them"
    assert set(MATRIX) - set(patterns) == set(), "entries for pages that no longer exist"
    assert {name for name, (_, path) in MATRIX.items() if path is None} <= set(POSTS) | HARMLESS_POSTS


@pytest.fixture
def scene(community, household_a, granny_wang, socialworker, volunteer, resident, unitcontact):
    """Granny Wang's household: a visit, a campaign, a programme with a planned service, a case."""
    install_default_rules()
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("disabled"), level=1)
    care.register_refresh(community=community)
    visit, _ = care.visit_record(
        actor=socialworker,
        household=household_a,
        details=care.VisitDetails(person=granny_wang, health="卧床"),
    )
    today = timezone.localdate()
    campaign = care.campaign_create(
        actor=socialworker,
        community=community,
        name="敲门行动",
        starts_on=today,
        ends_on=today + timedelta(days=30),
        household_ids=[household_a.pk],
    )
    team = VolunteerTeamFactory(community=community, name="助老服务队")
    volunteer.person.volunteer.teams.add(team)
    programme = Programme.objects.create(community=community, name="银发互助", team=team)
    ProgrammeService.objects.create(
        programme=programme, kind="haircut", name="上门理发", times=1, period="month"
    )
    enrolment = care.enrol(
        actor=socialworker,
        programme=programme,
        household=household_a,
        person=granny_wang,
        reason="家庭困难",
        starts_on=today - timedelta(days=10),
    )
    category = Category.objects.get(code="repairs")
    case = cases.case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=category,
            description="水管漏水",
            channel=Channel.PHONE,
            reporter_person=granny_wang,
            household=household_a,
        ),
        register=True,
    )
    case = cases.case_dispatch(actor=socialworker, case=case, lead=Party("person", volunteer.person_id))
    failed = Message.objects.create(
        case=case,
        reason="registered",
        recipient_key="test:sms",
        recipient_name="王秀兰",
        channel="sms",
        body="【和盛苑社区】您反映的问题已登记",
        status="failed",
    )
    link = party_links.party_link_for(assignment=case.assignments.get(), holder_name="志愿者")
    data_request = privacy.request_file(actor=socialworker, person=granny_wang, kind="access")
    run = ledger_runs.open_run(
        actor=socialworker,
        community=community,
        kind="residents",
        file_name="台账.xlsx",
        content=xlsx_bytes(["姓名", "住址"], [["王秀兰", "4-2-301"], ["", "9-9-999"]]),
    )
    ledger_runs.check_run(run)
    serving_report = serving_report_submit(
        community=community,
        name="赵志强",
        sex="M",
        phone="13900001111",
        workplace="区卫健委",
        origin_branch="区卫健委机关党支部",
        commitment_hours=20,
    )
    # An activity of the team going on now, led by the volunteer; the volunteer and Granny Wang have places.
    team.leader = volunteer.person
    team.save(update_fields=["leader"])
    starts = timezone.now() - timedelta(minutes=10)
    activity = activities.activity_publish(
        actor=socialworker,
        community=community,
        team=team,
        details=activities.ActivityDetails(
            title="红色灯塔·楼道清扫",
            theme=Theme.objects.get(code="red-lighthouse"),
            place="4号楼前",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=5,
            signup_deadline=starts + timedelta(hours=1),
        ),
    )
    activities.signup_add(actor=volunteer, activity=activity)
    activities.signup_add(actor=resident, activity=activity)
    entry = hours_ledger.case_hours_record(
        actor=socialworker,
        case_id=case.pk,
        community_id=community.pk,
        person=volunteer.person,
        hours=Decimal(2),
        at=timezone.now(),
    )
    line = Line.objects.create(community=community, code="office", name="社区服务热线")
    call = Call(community=community, line=line, call_id="c-1", status="missed", callback="due")
    call.rang_at = call.updated_at = timezone.now()
    call.set_caller("13812345678")
    call.save()
    report = MonthlyReport.objects.create(
        street=community.street, community=community, period=date(2026, 11, 1), status=ReportStatus.READY
    )
    report.pdf.save("report.pdf", ContentFile(b"%PDF-1.4 a test"), save=True)
    # The three lists: a need from the visit (grid A), the unit contact's unit's offer, a project using it.
    need = three_lists.need_raise(actor=socialworker, community=community, title="需要生活物资", visit=visit)
    resource = three_lists.resource_offer(
        actor=unitcontact,
        unit=unitcontact.member_unit,
        offer=three_lists.Offer(
            title="维修服务", capacity=10, capacity_unit="次", available_from=timezone.localdate()
        ),
    )
    project = three_lists.project_start(
        actor=socialworker, need=need, title="送物资上门", starts_on=timezone.localdate()
    )
    three_lists.project_take_resource(actor=socialworker, project=project, resource=resource, committed=2)
    return {
        "line": line.pk,
        "call": call.pk,
        "report": report.pk,
        "need": need.pk,
        "resource": resource.pk,
        "project": project.pk,
        "list_unit": unitcontact.member_unit_id,
        "serving_report": serving_report.pk,
        "community_code": community.code,
        "community_id": community.pk,
        "activity": activity.pk,
        "checkin": activities.checkin_token(activity),
        "entry": entry.pk,
        "volunteer_person": volunteer.person_id,
        "datarequest": data_request.pk,
        "import_run": run.pk,
        "message": failed.pk,
        "grid": household_a.grid_id,
        "building": household_a.building_id,
        "household": household_a.pk,
        "person": granny_wang.pk,
        "tag": vulnerability_tag("disabled").pk,
        "team": team.pk,
        "branch": PartyBranchFactory(community=community).pk,
        "unit": MemberUnitFactory(community=community).pk,
        "case": case.number,
        "token": case.public_token,
        "task": party_links.link_path(link),
        "link": link.pk,
        "category": category.pk,
        "visit": visit.pk,
        "campaign": campaign.pk,
        "programme": programme.pk,
        "enrolment": enrolment.pk,
        "service": PlannedService.objects.filter(enrolment=enrolment).values_list("pk", flat=True).first(),
    }


def _client(request, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def _opened(response) -> bool:
    """A page that opened: 200, or a redirect that is not to the sign-in page."""
    if response.status_code == 200:
        return True
    return response.status_code in (301, 302) and "/login/" not in response.get("Location", "")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_the_pages_the_matrix_gives_it(request, role, scene):
    client = _client(request, role)
    wrong: dict[str, int] = {}
    for name, (allowed, path) in MATRIX.items():
        if path is None:
            continue
        response = client.get(path.format(**scene))
        if response.status_code >= 500 or _opened(response) != (role in allowed):
            wrong[name] = response.status_code
    assert wrong == {}, f"{role}: these answered otherwise than the matrix says: {wrong}"


@pytest.mark.parametrize("role", ["anonymous", "outsider", "patroller", "unitcontact"])
def test_no_post_endpoint_acts_on_our_residents_for_a_stranger(request, role, scene):
    client = _client(request, role)
    acted = {}
    for name, path in POSTS.items():
        response = client.post(path.format(**scene), {"purpose": "test", "field": "phone", "reason": "x"})
        if response.status_code >= 500 or _opened(response) or response.status_code in (201, 204):
            acted[name] = response.status_code
    assert acted == {}
