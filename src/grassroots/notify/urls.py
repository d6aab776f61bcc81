"""The notify app's page, mounted at /notifications/."""

from django.urls import path

from grassroots.notify import views

urlpatterns = [
    path("", views.notification_list, name="notification-list"),
    path("<int:pk>/retry/", views.notification_retry, name="notification-retry"),
]
