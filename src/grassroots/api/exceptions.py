"""What the services raise, as the API answers it.

- django ValidationError -> 400 with the errors by field (`non_field_errors` for the rest);
- django PermissionDenied (a case the caller may not see or touch) -> 404, exactly like a
  case that does not exist ("not found" and "not allowed" look the same);
- ActionNotAllowed (not possible in the case's present state) -> 409 {"detail": reason};
- CaseConflict (someone else changed the case first) -> 409 {"detail", "status", "version"}.
Everything else is DRF's own handling (401, 403, 404, 405, 406, 415, 429 with Retry-After).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from grassroots.cases.services import ActionNotAllowed, CaseConflict

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def validation_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as {field: [messages]}."""
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if name == "__all__" else name): [str(message) for message in messages]
            for name, messages in error.message_dict.items()
        }
    return {NON_FIELD: [str(message) for message in error.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(validation_errors(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, CaseConflict):
        return Response(
            {"detail": str(exc), "status": exc.case.status, "version": exc.case.version},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, ActionNotAllowed):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
