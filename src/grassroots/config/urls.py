from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from grassroots.core.views import favicon, healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    # Anyone may choose a language, including on the sign-in page.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("grassroots.accounts.urls")),
    path("", include("grassroots.places.urls")),
    path("", include("grassroots.people.urls")),
    path("orgs/", include("grassroots.orgs.urls")),
    path("cases/", include("grassroots.cases.urls")),
    path("portal/", include("grassroots.portal.urls")),
    path("care/", include("grassroots.care.urls")),
    path("dashboard/", include("grassroots.insights.urls")),
    path("activities/", include("grassroots.activities.urls")),
    path("privacy/", include("grassroots.privacy.urls")),
    path("notifications/", include("grassroots.notify.urls")),
    path("ledger/", include("grassroots.ledger.urls")),
    path("wechat/", include("grassroots.wechat.urls")),
    path("telephony/", include("grassroots.telephony.urls")),
    # Before the API's own URLs, whose last pattern answers 404 for anything else under /api/v1/.
    path("api/v1/telephony/", include("grassroots.telephony.api_urls")),
    path("api/v1/", include("grassroots.api.urls")),
    path("open311/v2/", include("grassroots.api.open311_urls")),
]
