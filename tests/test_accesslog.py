"""Searched phone numbers never reach the access log (issue 13.6)."""

from __future__ import annotations

import datetime
import logging

import pytest
from gunicorn.config import Config

from grassroots.core.accesslog import RedactingLogger, redact_query, redact_url

PHONE, ID_NUMBER = "13900001111", "120101195001011234"


class Response:
    status = "200 OK"
    sent = 512
    headers = ()


def line_for(path: str, query: str, referer: str = "-") -> str:
    """The access log line gunicorn writes for one request, through the project's logger."""
    config = Config()
    config.set("accesslog", "-")
    logger = RedactingLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}" if query else path,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": referer,
    }
    atoms = logger.atoms(
        Response(), [("Referer", referer)], environ, datetime.timedelta(seconds=0, microseconds=1500)
    )
    return logger.cfg.access_log_format % atoms


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/people/", f"q={PHONE}"),
        ("/cases/intake/lookup/", f"q={PHONE[-4:]}"),
        ("/api/v1/residents/", f"q={PHONE}&page=2"),
        ("/people/", f"q=%E7%8E%8B&tail={PHONE[-4:]}"),
        ("/api/v1/residents/", f"id_number={ID_NUMBER}"),
        ("/somewhere/", f"note=call+{PHONE}"),  # a number in any parameter is taken out too
    ],
)
def test_no_searched_number_in_an_access_log_line(path, query):
    line = line_for(path, query, referer=f"http://example.org{path}?{query}")
    assert PHONE not in line and PHONE[-4:] not in line and ID_NUMBER not in line
    assert path in line and "GET" in line and "200" in line


def test_what_is_not_searched_stays_readable():
    assert redact_query("page=2&status=open") == "page=2&status=open"
    assert redact_url("/cases/HSY-20261202-0001/") == "/cases/HSY-20261202-0001/"
    assert redact_query(f"q={PHONE}&page=2") == "q=[redacted]&page=2"


def test_the_server_uses_the_redacting_logger(monkeypatch):
    """`grassroots serve` configures gunicorn with it (checked without starting a server)."""
    from gunicorn.app.base import BaseApplication

    from grassroots.core.management.commands import serve

    seen = {}
    monkeypatch.setattr(BaseApplication, "run", lambda self: seen.update(logger=self.cfg.logger_class))
    serve.run_gunicorn(host="127.0.0.1", port=8999, workers=1, threads=1)
    assert seen["logger"] is RedactingLogger
    logging.getLogger("gunicorn.error").handlers.clear()


def test_an_error_report_holds_no_searched_or_typed_number(rf):
    """The report Django mails to ADMINS on a server error: query, form, frames, message, address."""
    import sys
    from datetime import date

    from django.views.debug import get_exception_reporter_class, get_exception_reporter_filter

    from tests.factories import make_id_number, make_phone

    # Made, not written here: the report quotes this file's source lines around each frame.
    phone, id_number = make_phone(12345678), make_id_number(date(1949, 12, 31), serial=1)
    request = rf.post(f"/people/?q={phone}&page=2", {"phone": phone, "note": f"身份证 {id_number}"})
    request.META["HTTP_REFERER"] = f"https://example.org/cases/intake/lookup/?q={phone}"

    def failing_view(caller_phone: str) -> None:
        raise ValueError(f"no household for {caller_phone}")

    try:
        failing_view(phone)
    except ValueError:
        reporter = get_exception_reporter_class(request)(request, *sys.exc_info())
        assert isinstance(reporter.filter, type(get_exception_reporter_filter(request)))
        text, html = reporter.get_traceback_text(), reporter.get_traceback_html()
    for report in (text, html):
        assert phone not in report and id_number not in report
        assert phone[:7] not in report
    assert "page" in text and "failing_view" in text  # the report still says where it failed
