"""The OpenAPI schema says what the server really answers, errors included.

drf-spectacular describes the successful answers from the serializers; this schema
class adds the error answers each operation can give, with their bodies: 400 (field
errors), 401/403 (authentication, key scope), 404 (not found or not visible), 406, 409
(workflow action not possible now, or a concurrent change; Idempotency-Key in use),
415, 422 (Idempotency-Key reused for another request) and 429 (with Retry-After).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from grassroots.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from grassroots.api.idempotency import KEY_PATTERN, MAX_KEY_LENGTH


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.CharField(required=False, help_text="The case's status now (concurrent change).")
    version = serializers.IntegerField(
        required=False, help_text="The case's version now (concurrent change)."
    )


#: Field errors: {"field": ["message", ...], "non_field_errors": [...]} (nested for nested fields).
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Errors by field; `non_field_errors` for the rest, or `detail` for a malformed body.",
    "additionalProperties": {},
}

RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}


def _handler(view, method: str):
    action = getattr(view, "action", None)
    if action:
        return getattr(view, action, None)
    return getattr(view, method.lower(), None)


def document(**doc):
    """Describe one operation: tags, summary, description, operation_id, request, responses,
    parameters, auth (like drf-spectacular's extend_schema, read by ApiSchema itself, so it
    needs no project-wide DEFAULT_SCHEMA_CLASS)."""

    def decorate(handler):
        handler.api_doc = {**getattr(handler, "api_doc", {}), **doc}
        return handler

    return decorate


class ApiSchema(AutoSchema):
    def _doc(self) -> dict:
        return getattr(_handler(self.view, self.method), "api_doc", {})

    def _flag(self, name: str) -> bool:
        handler = _handler(self.view, self.method)
        return bool(getattr(handler, name, False) or getattr(self.view, name, False))

    def is_excluded(self) -> bool:
        return bool(getattr(self.view, "api_exclude", False)) or super().is_excluded()

    def get_tags(self) -> list[str]:
        return self._doc().get("tags") or getattr(self.view, "api_tags", None) or super().get_tags()

    def get_operation_id(self) -> str:
        return self._doc().get("operation_id") or super().get_operation_id()

    def get_summary(self):
        return self._doc().get("summary") or super().get_summary()

    def get_description(self) -> str:
        return self._doc().get("description") or super().get_description()

    def get_request_serializer(self):
        doc = self._doc()
        return doc["request"] if "request" in doc else super().get_request_serializer()

    def get_response_serializers(self):
        doc = self._doc()
        return doc["responses"] if "responses" in doc else super().get_response_serializers()

    def get_auth(self):
        doc = self._doc()
        return doc["auth"] if "auth" in doc else super().get_auth()

    def get_override_parameters(self):
        parameters = [*super().get_override_parameters(), *self._doc().get("parameters", [])]
        if self._flag("idempotent_operation"):
            parameters.append(
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    {"type": "string", "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
                    OpenApiParameter.HEADER,
                    required=False,
                    description=(
                        "Send the same key to repeat a request safely for 24 hours: up to 255 "
                        "printable ASCII characters (a message id or a UUID); blank means none."
                    ),
                )
            )
        return parameters

    def _get_filter_parameters(self):
        """A filter that takes several values takes at least one (StrictFilterSet refuses `?status=`)."""
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            if parameter.get("schema", {}).get("type") == "array":
                parameter["schema"] = {**parameter["schema"], "minItems": 1}
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors: dict[str, object] = {"406": ErrorSerializer}
        if self.get_auth():
            errors["401"] = ErrorSerializer
            errors["403"] = ErrorSerializer
        if self.method in {"POST", "PUT", "PATCH"}:
            errors["400"] = VALIDATION_ERROR_SCHEMA
            errors["415"] = ErrorSerializer
        if self.method == "GET" and (self._is_list_view() or self.get_filter_backends()):
            errors["400"] = VALIDATION_ERROR_SCHEMA
            errors["404"] = ErrorSerializer  # a page beyond the last
        if "{" in self.path:
            errors["404"] = ErrorSerializer
        if self._flag("filtered_read"):  # a read whose query names records (figures): 400, and 404 for none
            errors["400"] = VALIDATION_ERROR_SCHEMA
            errors["404"] = ErrorSerializer
        if self._flag("conflict_operation"):
            errors["409"] = ConflictSerializer
        if self._flag("idempotent_operation"):
            errors["400"] = VALIDATION_ERROR_SCHEMA
            errors.setdefault("409", ErrorSerializer)
            errors["422"] = ErrorSerializer
        throttled = getattr(self.view, "throttled_methods", None)
        if getattr(self.view, "throttle_classes", None) and (throttled is None or self.method in throttled):
            errors["429"] = ErrorSerializer
        for code, body in sorted(errors.items()):
            if code not in responses:
                responses[code] = self._get_response_for_code(body, code, direction=direction)
                if code == "429":
                    responses[code]["headers"] = RETRY_AFTER
        return dict(sorted(responses.items()))
