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

from gunicorn.glogging import Logger

from grassroots.core.pii import redact_numbers

#: Query parameters whose value is what somebody searched for: never logged.
SEARCH_PARAMETERS = frozenset({"q", "phone", "id_number", "tail", "search", "address_string"})
HIDDEN = "[redacted]"


def redact_query(query: str) -> str:
    """A query string with the searched values hidden and numbers taken out of the rest."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    cleaned = [
        (key, HIDDEN if key in SEARCH_PARAMETERS and value else redact_numbers(value)) for key, value in pairs
    ]
    return urlencode(cleaned, safe="[]")


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
