from django.urls import path

from grassroots.insights import report_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("handlers/", views.handlers, name="dashboard-handlers"),
    path("reports/", report_views.report_list, name="monthly-reports"),
    path("reports/ask/", report_views.report_ask, name="monthly-report-ask"),
    path("reports/subscriptions/", report_views.report_subscribe, name="monthly-report-subscribe"),
    path("reports/<int:pk>/", report_views.report_detail, name="monthly-report"),
    path("reports/<int:pk>/<str:kind>/", report_views.report_download, name="monthly-report-file"),
]
