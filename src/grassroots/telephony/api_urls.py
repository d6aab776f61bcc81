"""The telephony endpoint of the REST API, mounted at /api/v1/telephony/ before the API's own URLs."""

from django.urls import path

from grassroots.api.urls import without_login_redirect
from grassroots.telephony.api import CallEventView

urlpatterns = without_login_redirect([path("calls/", CallEventView.as_view(), name="api-telephony-calls")])
