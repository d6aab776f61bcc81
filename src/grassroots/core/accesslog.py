"""Access logs without the numbers workers search for (issue 13.6).

A worker types a caller's phone into the search box (`/people/?q=13900001111`,
`/cases/intake/lookup/?q=...`, `/api/v1/residents/?q=...`), so the query string, and the
referer that repeats it, would write a resident's phone number in clear into every access
log line. gunicorn formats its lines from "atoms"; this logger class redacts them first: the
values of search parameters are dropped whole, and phone and ID numbers anywhere in the line
are taken out by the same rule as public text (core.pii.redact_numbers).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter
from gunicorn.glogging import Logger

from grassroots.core.pii import redact_numbers

#: Query parameters whose value is what somebody searched for: never logged.
SEARCH_PARAMETERS = frozenset({"q", "phone", "id_number", "tail", "search", "address_string"})
HIDDEN = "[redacted]"


def redact_value(key: str, value) -> str:
    """One parameter's value as a log or report may show it: searched values hidden, numbers out."""
    value = str(value)
    return HIDDEN if key in SEARCH_PARAMETERS and value else redact_numbers(value)


def redact_query(query: str) -> str:
    """A query string with the searched values hidden and numbers taken out of the rest."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(key, redact_value(key, value)) for key, value in pairs], safe="[]")


def redact_url(url: str) -> str:
    """A path or URL with its query string redacted (redact_query)."""
    if not url or "?" not in url:
        return redact_numbers(url or "")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=redact_query(parts.query)))


class RedactingLogger(Logger):
    """gunicorn's logger, with the request line, query string and referer redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        method, protocol = environ.get("REQUEST_METHOD", ""), environ.get("SERVER_PROTOCOL", "")
        atoms["r"] = f"{method} {redact_url(environ.get('RAW_URI', ''))} {protocol}"
        atoms["q"] = redact_query(environ.get("QUERY_STRING", ""))
        atoms["f"] = redact_url(environ.get("HTTP_REFERER", "-"))
        for key in [key for key in atoms if key.startswith("{") and key.endswith("}i")]:
            if key == "{referer}i":
                atoms[key] = atoms["f"]
        return atoms


# --- error reports --------------------------------------------------------------------------------
# A server error's report (the e-mail Django sends to ADMINS, or a page with DEBUG on) lists the
# request's query, form fields, headers and each frame's local variables: a phone searched for or
# typed into a form would be in it. The same rule redacts them there.


class RedactingReporterFilter(SafeExceptionReporterFilter):
    """Django's filter (passwords, keys, cookies), plus searched values and numbers everywhere."""

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        for key, value in meta.items():
            if key == "QUERY_STRING" and isinstance(value, str):
                meta[key] = redact_query(value)
            elif key in {"HTTP_REFERER", "RAW_URI", "REQUEST_URI"} and isinstance(value, str):
                meta[key] = redact_url(value)
            elif isinstance(value, str):
                meta[key] = redact_numbers(value)
        return meta

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)  # {} without a request, else a QueryDict
        if not parameters:
            return parameters
        cleaned = parameters.copy()
        for key, values in parameters.lists():
            cleaned.setlist(key, [redact_value(key, value) for value in values])
        return cleaned


class RedactingExceptionReporter(ExceptionReporter):
    """The report with the query, the address, the exception text and frame variables redacted."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if "request_GET_items" in data:
            data["request_GET_items"] = [
                (key, redact_value(key, value)) for key, value in data["request_GET_items"]
            ]
        if data.get("request_insecure_uri"):
            data["request_insecure_uri"] = redact_url(data["request_insecure_uri"])
        if data.get("exception_value"):
            data["exception_value"] = redact_numbers(str(data["exception_value"]))
        for frame in data.get("frames", []):
            frame["vars"] = [(name, redact_numbers(str(value))) for name, value in frame.get("vars", [])]
            if frame.get("exc_cause"):
                frame["exc_cause"] = redact_numbers(str(frame["exc_cause"]))
        return data
