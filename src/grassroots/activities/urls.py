from django.urls import path

from grassroots.activities import views

urlpatterns = [
    path("", views.activity_list, name="activity-list"),
    path("new/", views.activity_new, name="activity-new"),
    path("mine/", views.activity_mine, name="activity-mine"),
    path("scan/", views.activity_scan, name="activity-scan"),
    path("<int:pk>/", views.activity_detail, name="activity-detail"),
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
]
