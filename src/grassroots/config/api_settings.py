"""Settings for the REST API and Open311, read from the environment.

Imported into settings.py (`from grassroots.config.api_settings import *`). The API
sets its authentication, permissions, renderers, throttles and schema class on its own
views, so it works without these; they make the project-wide DRF defaults match (for any
other DRF view) and let operators tune rates and key lifetimes.
"""

from __future__ import annotations

import os

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "grassroots.api.authentication.BearerAuthentication",
        "grassroots.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["grassroots.api.permissions.ApiAccess"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "grassroots.api.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "grassroots.api.schema.ApiSchema",
    "EXCEPTION_HANDLER": "grassroots.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# The same settings the schema view passes itself (grassroots.api.docs.SPECTACULAR);
# here for `grassroots spectacular --file schema.yaml` and any other schema tooling.
SPECTACULAR_SETTINGS = {
    "TITLE": "grassroots API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
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

# Rate limits of the public endpoints ("<n>/<s|min|hour|day>"); 429 with Retry-After beyond.
GRASSROOTS_API_THROTTLE_RATES = {
    "token": os.environ.get("GRASSROOTS_API_RATE_TOKEN", "10/min"),
    "open311_post": os.environ.get("GRASSROOTS_API_RATE_OPEN311_POST", "30/min"),
    "inbound": os.environ.get("GRASSROOTS_API_RATE_INBOUND", "60/min"),
}
# Lifetime of a personal API token, in days (0: until revoked).
GRASSROOTS_API_TOKEN_DAYS = int(os.environ.get("GRASSROOTS_API_TOKEN_DAYS", "30"))
# The category of cases created from inbound WeChat/SMS messages (staff recategorise them).
GRASSROOTS_INBOUND_CATEGORY = os.environ.get("GRASSROOTS_INBOUND_CATEGORY", "other")
# What Open311 discovery says.
GRASSROOTS_OPEN311_CONTACT = os.environ.get(
    "GRASSROOTS_OPEN311_CONTACT", "Ask the community office (社区居委会) for help with this API."
)
GRASSROOTS_OPEN311_KEY_SERVICE = os.environ.get(
    "GRASSROOTS_OPEN311_KEY_SERVICE",
    "API keys are issued by the community's administrator (see docs/open311.md).",
)
GRASSROOTS_OPEN311_TYPE = os.environ.get("GRASSROOTS_OPEN311_TYPE", "production")
