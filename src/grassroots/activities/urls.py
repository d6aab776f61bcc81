from django.urls import path

from grassroots.activities import list_views, views

urlpatterns = [
    path("", views.activity_list, name="activity-list"),
    path("new/", views.activity_new, name="activity-new"),
    path("mine/", views.activity_mine, name="activity-mine"),
    path("scan/", views.activity_scan, name="activity-scan"),
    path("<int:pk>/", views.activity_detail, name="activity-detail"),
    path("<int:pk>/edit/", views.activity_edit, name="activity-edit"),
    path("<int:pk>/signup/", views.activity_signup, name="activity-signup"),
    path("<int:pk>/cancel/", views.activity_cancel, name="activity-cancel"),
    path("<int:pk>/checkout/", views.activity_checkout, name="activity-checkout"),
    path("<int:pk>/roll/", views.activity_roll, name="activity-roll"),
    path("<int:pk>/roll/act/", views.activity_roll_act, name="activity-roll-act"),
    path("<int:pk>/qr/", views.activity_qr, name="activity-qr"),
    path("<int:pk>/checkin/<str:token>/", views.activity_checkin, name="activity-checkin"),
    path("hours/", views.hours_mine, name="hours-mine"),
    path("hours/totals/", views.hours_totals, name="hours-totals"),
    path("hours/people/<int:person_pk>/", views.hours_statement, name="hours-statement"),
    path("hours/people/<int:person_pk>/pdf/", views.hours_statement_pdf, name="hours-statement-pdf"),
    path("hours/people/<int:person_pk>/redeem/", views.hours_redeem, name="hours-redeem"),
    path("hours/entries/<int:pk>/correct/", views.hours_correct, name="hours-correct"),
    # The three lists (需求清单、资源清单、项目清单) and a member unit's co-building record.
    path("lists/", list_views.lists_home, name="lists-home"),
    path("lists/needs/", list_views.need_list, name="need-list"),
    path("lists/needs/new/", list_views.need_new, name="need-new"),
    path("lists/needs/<int:pk>/", list_views.need_detail, name="need-detail"),
    path("lists/needs/<int:need_pk>/project/", list_views.project_new, name="project-new"),
    path("lists/resources/", list_views.resource_list, name="resource-list"),
    path("lists/resources/new/", list_views.resource_new, name="resource-new"),
    path("lists/resources/<int:pk>/", list_views.resource_detail, name="resource-detail"),
    path("lists/projects/", list_views.project_list, name="project-list"),
    path("lists/projects/<int:pk>/", list_views.project_detail, name="project-detail"),
    path("lists/units/<int:pk>/", list_views.unit_record, name="unit-record"),
]
