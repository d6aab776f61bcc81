"""The notify app's pages, mounted at /notifications/."""

from django.urls import path

from grassroots.notify import receipts, views

urlpatterns = [
    path("", views.notification_list, name="notification-list"),
    path("badge/", views.notification_badge, name="notification-badge"),
    path("read-all/", views.notification_read_all, name="notification-read-all"),
    path("<int:pk>/read/", views.notification_read, name="notification-read"),
    path("<int:pk>/open/", views.notification_open, name="notification-open"),
    path("<int:pk>/retry/", views.notification_retry, name="notification-retry"),
    # The SMS gateways' delivery reports (docs/channels.md): the token is the proof.
    path("receipts/<slug:provider>/<str:token>/", receipts.sms_receipt, name="sms-receipt"),
]
