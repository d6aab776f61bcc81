# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""Inputs an attacker tries (issue 13.9, 13.8): each gets a 4xx with a reason, never a 500, and no
answer tells what the reader may not see.

A 100-byte PNG that declares 100000 x 100000 pixels; a 40-digit building on intake; 30 digits in
`?household=`; a NUL byte in an Open311 description; a resident counting who carries a hidden tag.
"""

from __future__ import annotations

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from grassroots.cases.models import Case, Category
from grassroots.core.ids import MAX_ID, parse_id
from tests.factories import TEST_PASSWORD, PersonTagFactory, vulnerability_tag
from tests.test_api_helpers import (  # noqa: F401 (fixtures)
    HOTLINE_KEY,
    _fresh_rate_limits,
    as_user,
    case_in_grid_a,
    hotline,
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares a huge image (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 10))
        + _chunk(b"IEND", b"")
    )


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        (5, 5),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("1" * 30, None),
        (True, None),
        (None, None),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("1e3", None),
    ],
)
def test_what_an_id_can_be(raw, expected):
    assert parse_id(raw) == expected


def test_a_decompression_bomb_on_a_case_note_is_refused(socialworker, case_in_grid_a):
    assert len(bomb_png()) < 120
    response = signed_in(socialworker).post(
        reverse("case-act", args=[case_in_grid_a.number, "note"]),
        {
            "version": case_in_grid_a.version,
            "note": "照片",
            "photos": SimpleUploadedFile("photo.png", bomb_png(), content_type="image/png"),
        },
    )
    assert response.status_code == 422
    assert "photo.png" in response.content.decode()
    assert case_in_grid_a.attachments.count() == 0


def test_a_decompression_bomb_on_a_portal_report_is_refused(resident):
    response = signed_in(resident).post(
        reverse("portal-report"),
        {
            "category": str(Category.objects.get(code="facilities-lighting").pk),
            "description": "楼道灯不亮",
            "place": "home",
            "photo": SimpleUploadedFile("bomb.png", bomb_png(), content_type="image/png"),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200  # the portal answers a form to correct, as for any mistake
    assert "bomb.png" in html and "楼道灯不亮" in html
    assert not Case.objects.exists()


def test_a_forty_digit_building_on_intake_is_a_form_error(socialworker):
    response = signed_in(socialworker).post(
        reverse("case-intake"),
        {
            "reporter_kind": "anonymous",
            "category": Category.objects.get(code="facilities-lighting").pk,
            "urgency": "normal",
            "channel": "phone",
            "description": "楼道灯不亮",
            "building": "1" * 40,
        },
    )
    assert response.status_code == 422
    assert "楼道灯不亮" in response.content.decode()  # what was typed is kept


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/residents/"])
def test_thirty_digits_in_a_filter_is_a_400_with_a_reason(socialworker, path):
    response = as_user(socialworker).get(path, {"household": "1" * 30})
    assert response.status_code == 400
    assert "household" in response.json()


@pytest.mark.parametrize("pk", ["1" * 30, "²"])
def test_an_impossible_case_id_in_the_api_is_a_404(socialworker, pk):
    assert as_user(socialworker).get(f"/api/v1/cases/{pk}/").status_code == 404


def test_a_nul_byte_in_an_open311_description_is_a_400(hotline):
    response = Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": HOTLINE_KEY,
            "service_code": "facilities-lighting",
            "address_string": "4",
            "description": "楼道灯\x00不亮",
        },
    )
    assert response.status_code == 400
    assert "NUL" in response.json()[0]["description"]


def test_a_hidden_tag_cannot_be_counted_by_filtering(resident, socialworker, granny_wang):
    """As a resident, `?tag=disabled` used to count 1 for Granny Wang's hidden disability tag."""
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("disabled"), level=2)
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("living-alone"))
    assert as_user(resident).get("/api/v1/residents/", {"tag": "disabled"}).json()["count"] == 0
    assert as_user(resident).get("/api/v1/residents/", {"tag": "living-alone"}).json()["count"] == 1
    assert as_user(socialworker).get("/api/v1/residents/", {"tag": "disabled"}).json()["count"] == 1
