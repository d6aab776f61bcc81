from django.urls import path

from grassroots.insights import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("handlers/", views.handlers, name="dashboard-handlers"),
]
