"""The OpenAPI schema and its documentation pages, served from vendored assets only.

Swagger UI and Redoc come from drf-spectacular-sidecar's static files (no CDN: the
system runs on closed networks), whatever SPECTACULAR_SETTINGS says elsewhere.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.views.decorators.csp import csp_override
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
    _get_sidecar_url,
)
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

from grassroots.api.schema import ApiSchema

DESCRIPTION = """
The REST API of grassroots: the registry (places, people masked as on the pages),
organisations, categories and cases, with every step of the case workflow as its own
POST. Everything you read is scoped to you exactly as the pages are.

**Authentication.** People: `POST /api/v1/auth/token/` with a username and password,
then `Authorization: Bearer <token>`; in the browser the session works too (with the
CSRF token). Integrations: the key an administrator issued, as `Authorization: Bearer
<key>` or `X-Api-Key: <key>`; a key acts as a patroller of its community, limited to its
scopes, and never sees people.

**Errors.** 400 with errors by field; 401 without valid credentials; 403 when a key lacks
the scope; 404 for what does not exist *or* you may not see; 409 when a workflow action is
not possible now or someone changed the case first (send the `version` you saw);
422 when an `Idempotency-Key` is reused for another request; 429 with `Retry-After`.

Open311 GeoReport v2 lives beside this API at `/open311/v2/` (see docs/open311.md).
"""

SPECTACULAR = {
    "TITLE": "grassroots API",
    "DESCRIPTION": DESCRIPTION.strip(),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "grassroots.cases.workflow.Status",
        "ChannelEnum": "grassroots.cases.models.Channel",
        "UrgencyEnum": "grassroots.cases.models.Urgency",
        "SatisfactionEnum": "grassroots.cases.models.Satisfaction",
        "PersonStatusEnum": "grassroots.people.models.PersonStatus",
        # A call's status and the switchboard's event name the same four states.
        "CallStatusEnum": "grassroots.telephony.models.CallStatus",
    },
}


# The site's Content-Security-Policy, relaxed for the two documentation pages only, each by what
# its third-party code needs. Swagger UI: its one inline script and style carry the request's
# nonce (templates/api/swagger_ui.html) and it draws its icons from data: images. Redoc: its
# styled-components inject <style> elements without a nonce (the bundle offers no way to give it
# one), so its page allows inline styles, but no inline script (templates/api/redoc.html has
# none), and it searches in a worker started from a blob: URL. Both pages show only the schema.
SWAGGER_CSP = {
    **settings.SECURE_CSP,
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
}
REDOC_CSP = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "worker-src": [CSP.SELF, "blob:"],
}


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema (YAML by default; JSON with ?format=json or Accept: application/json)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]
    schema = ApiSchema()
    api_exclude = True
    custom_settings = SPECTACULAR
    serve_public = True

    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@method_decorator(csp_override(SWAGGER_CSP), name="dispatch")
class SwaggerView(SpectacularSwaggerView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]
    schema = ApiSchema()
    api_exclude = True
    url_name = "api-schema"
    title = "grassroots API"
    template_name = "api/swagger_ui.html"

    def get(self, request, *args, **kwargs):  # undecorated: kept out of the schema by api_exclude
        return super().get(request, *args, **kwargs)

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return _get_sidecar_url(f"swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return _get_sidecar_url("swagger-ui-dist/favicon-32x32.png")


@method_decorator(csp_override(REDOC_CSP), name="dispatch")
class RedocView(SpectacularRedocView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]
    schema = ApiSchema()
    api_exclude = True
    url_name = "api-schema"
    title = "grassroots API"
    template_name = "api/redoc.html"

    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @staticmethod
    def _redoc_standalone() -> str:
        return _get_sidecar_url("redoc/bundles/redoc.standalone.js")
