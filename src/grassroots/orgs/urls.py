from django.urls import path

from grassroots.orgs import screens, serving_views, views

urlpatterns = [
    path("", views.org_home, name="org-home"),
    path("branches/<int:pk>/", views.branch_detail, name="org-branch"),
    path("teams/<int:pk>/", views.team_detail, name="org-team"),
    path("teams/<int:pk>/members/<str:action>/", views.team_member, name="org-team-member"),
    path("units/<int:pk>/", views.unit_detail, name="org-unit"),
    path("serving/", serving_views.serving_home, name="org-serving"),
    path("serving/<int:pk>/", serving_views.serving_report_detail, name="org-serving-report"),
    path("people/<int:pk>/party/", screens.person_party, name="person-party"),
    path("people/<int:pk>/volunteering/", screens.person_volunteering, name="person-volunteering"),
    path("<str:kind>/new/", views.org_edit, name="org-new"),
    path("<str:kind>/<int:pk>/edit/", views.org_edit, name="org-edit"),
]
