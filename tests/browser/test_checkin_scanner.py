"""The check-in scanner with a real camera stream (issue 10.9): the phone reads the QR code at the door.

Chromium is started with a fake camera that plays a video of the activity's QR code (a Y4M file
made here from the same segno QR the door shows), so the page's own code path runs: getUserMedia,
frames drawn on a canvas, the vendored jsQR (Linux Chromium has no BarcodeDetector), and the check-in
link followed. A QR code of another site is refused on the page. The page fits a 360 px screen.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import segno
from django.utils import timezone
from PIL import Image
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.phone import MIN_TARGET_PX, PHONE, PROBE
from tests.factories import TEST_PASSWORD, VolunteerTeamFactory

from grassroots.activities import services
from grassroots.activities.models import CheckinMethod, Signup, Theme

pytestmark = pytest.mark.django_db(transaction=True)

FRAME = (640, 480)


def qr_video(text: str, path: Path) -> Path:
    """A few frames of a QR code on white, as the Y4M (4:2:0) video Chromium's fake camera plays."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=6, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    frame = Image.new("RGB", FRAME, "white")
    frame.paste(code, ((FRAME[0] - code.width) // 2, (FRAME[1] - code.height) // 2))
    luma, blue, red = frame.convert("YCbCr").split()
    half = (FRAME[0] // 2, FRAME[1] // 2)
    planes = luma.tobytes() + blue.resize(half).tobytes() + red.resize(half).tobytes()
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{FRAME[0]} H{FRAME[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _frame in range(5):
            video.write(b"FRAME\n" + planes)
    return path


def _camera_page(playwright, video: Path):
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    context = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
    context.grant_permissions(["camera"])
    return browser, context.new_page()


def _sign_in(page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/login/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(TEST_PASSWORD)
    with page.expect_navigation():
        form.locator("[type=submit]").click()


@pytest.fixture
def activity_now(community, socialworker):
    starts = timezone.now() - timedelta(minutes=5)
    return services.activity_publish(
        actor=socialworker,
        community=community,
        team=VolunteerTeamFactory(community=community, name="助老服务队"),
        details=services.ActivityDetails(
            title="邻里守望·幸福敲门",
            theme=Theme.objects.get(code="red-lighthouse"),
            place="社区活动室",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=8,
            signup_deadline=starts + timedelta(hours=1),
        ),
    )


def test_the_camera_reads_the_door_qr_code_and_checks_in(
    playwright, live_url, tmp_path, volunteer, activity_now
):
    services.signup_add(actor=volunteer, activity=activity_now)
    link = f"{live_url}/activities/{activity_now.pk}/checkin/{services.checkin_token(activity_now)}/"
    browser, phone = _camera_page(playwright, qr_video(link, tmp_path / "door.y4m"))
    try:
        _sign_in(phone, live_url, volunteer.username)
        phone.goto(f"{live_url}/activities/scan/")
        seen = phone.evaluate(PROBE, MIN_TARGET_PX)
        assert seen["width"] <= PHONE["width"] and seen["small"] == []
        with phone.expect_navigation(url=f"**/activities/{activity_now.pk}/checkin/**", timeout=20_000):
            phone.click("#scanner-start")
        assert phone.locator("#checked-in").is_visible()
    finally:
        browser.close()
    signup = Signup.objects.get(activity=activity_now, person=volunteer.person)
    assert signup.checked_in_at is not None and signup.checkin_method == CheckinMethod.QR


def test_a_qr_code_of_another_site_is_not_followed(playwright, live_url, tmp_path, volunteer, activity_now):
    services.signup_add(actor=volunteer, activity=activity_now)
    elsewhere = f"https://example.org/activities/{activity_now.pk}/checkin/x/"
    browser, phone = _camera_page(playwright, qr_video(elsewhere, tmp_path / "foreign.y4m"))
    try:
        _sign_in(phone, live_url, volunteer.username)
        phone.goto(f"{live_url}/activities/scan/")
        phone.click("#scanner-start")
        phone.locator("#scanner-foreign").wait_for(state="visible", timeout=20_000)
        assert phone.url.endswith("/activities/scan/")
    finally:
        browser.close()
    assert Signup.objects.get(activity=activity_now, person=volunteer.person).checked_in_at is None
