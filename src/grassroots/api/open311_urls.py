"""Open311 GeoReport v2 under /open311/v2/: each resource as .json and .xml."""

from __future__ import annotations

from django.urls import re_path

from grassroots.api import open311

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, open311.discovery, name="open311-discovery"),
    re_path(r"^services" + FMT, open311.service_list, name="open311-services"),
    re_path(r"^services/(?P<code>[^/]+?)" + FMT, open311.service_definition, name="open311-service"),
    re_path(r"^requests" + FMT, open311.service_requests, name="open311-requests"),
    re_path(r"^requests/(?P<request_id>[^/]+?)" + FMT, open311.service_request, name="open311-request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, open311.token, name="open311-token"),
]
