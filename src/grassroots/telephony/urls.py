"""The phone desk's pages, mounted at /telephony/ (the API endpoint: api_urls.py)."""

from django.urls import path

from grassroots.telephony import views

urlpatterns = [
    path("panel/", views.telephony_panel, name="telephony-panel"),
    path("stream/", views.telephony_stream, name="telephony-stream"),
    path("lines/<int:pk>/sign-on/", views.line_sign_on, name="telephony-sign-on"),
    path("lines/<int:pk>/sign-off/", views.line_sign_off, name="telephony-sign-off"),
    path("callbacks/", views.callback_list, name="telephony-callbacks"),
    path("calls/<int:pk>/called-back/", views.call_called_back, name="telephony-called-back"),
]
