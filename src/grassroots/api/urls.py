"""The REST API under /api/v1/. DRF authenticates here, so the site's sign-in redirect is off."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path
from rest_framework.routers import SimpleRouter

from grassroots.api import activities, care, figures, views
from grassroots.api.docs import RedocView, SchemaView, SwaggerView

router = SimpleRouter()
router.register("communities", views.CommunityViewSet, basename="api-community")
router.register("grids", views.GridViewSet, basename="api-grid")
router.register("buildings", views.BuildingViewSet, basename="api-building")
router.register("households", views.HouseholdViewSet, basename="api-household")
router.register("residents", views.ResidentViewSet, basename="api-resident")
router.register("party-branches", views.PartyBranchViewSet, basename="api-partybranch")
router.register("volunteer-teams", views.VolunteerTeamViewSet, basename="api-volunteerteam")
router.register("member-units", views.MemberUnitViewSet, basename="api-memberunit")
router.register("categories", views.CategoryViewSet, basename="api-category")
router.register("cases", views.CaseViewSet, basename="api-case")
router.register("care/register", care.CareProfileViewSet, basename="api-care-register")
router.register("care/campaigns", care.CampaignViewSet, basename="api-care-campaign")
router.register("care/visits", care.VisitViewSet, basename="api-care-visit")
router.register("care/programmes", care.ProgrammeViewSet, basename="api-care-programme")
router.register("care/planned-services", care.PlannedServiceViewSet, basename="api-care-plannedservice")
router.register("activities", activities.ActivityViewSet, basename="api-activity")
router.register("signups", activities.SignupViewSet, basename="api-signup")
router.register("hours", activities.HoursEntryViewSet, basename="api-hours")
router.register("needs", activities.NeedViewSet, basename="api-need")
router.register("resources", activities.ResourceViewSet, basename="api-resource")
router.register("projects", activities.ProjectViewSet, basename="api-project")


def without_login_redirect(patterns: list) -> list:
    """Mark every view as handling its own authentication (LoginRequiredMiddleware lets it through)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            without_login_redirect(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback.login_required = False
    return patterns


urlpatterns = without_login_redirect(
    [
        path("auth/token/", views.TokenView.as_view(), name="api-token"),
        path("me/", views.MeView.as_view(), name="api-me"),
        path("figures/", figures.FiguresView.as_view(), name="api-figures"),
        path("inbound/messages/", views.InboundMessageView.as_view(), name="api-inbound-messages"),
        path("schema/", SchemaView.as_view(), name="api-schema"),
        path("docs/", SwaggerView.as_view(), name="api-docs"),
        path("redoc/", RedocView.as_view(), name="api-redoc"),
        *router.urls,
        re_path(r"^.*$", views.not_found, name="api-not-found"),
    ]
)
