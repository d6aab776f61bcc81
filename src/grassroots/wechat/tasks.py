"""Background work of the WeChat app: a follower's photo, fetched after the reply has gone.

WeChat waits five seconds for the reply; the photo is fetched afterwards, from the API's temporary
media endpoint (kept there three days), through the project's upload checks and size limit, and
attached to the case with a note. A photo that cannot be fetched or is refused leaves a note saying
so, so that staff ask for it again: never silently lost.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.tasks import task

from grassroots.accounts import system_actor
from grassroots.cases import services as cases
from grassroots.cases.models import Case
from grassroots.notify.channels import DeliveryError
from grassroots.wechat.media import fetch_media

logger = logging.getLogger("grassroots.wechat")

PHOTO_NOTE = "居民通过微信发来的图片"
PHOTO_LOST = "居民通过微信发来的图片未能取回（{why}），请联系居民重新发送。"


@task(queue_name="default")
def fetch_photo(case_id: int, media_id: str) -> str:
    """Fetch one photo of a follower's message and attach it to the case."""
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return "gone"
    actor = system_actor()
    try:
        content, extension = fetch_media(media_id)
        upload = SimpleUploadedFile(f"wechat-{case.number}{extension}", content)
        cases.case_note(actor=actor, case=case, note=PHOTO_NOTE, photos=[upload])
        return "attached"
    except (DeliveryError, ValidationError, cases.ActionNotAllowed) as error:
        why = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error) or "—"
        logger.warning("the photo of a WeChat message for case %s was not attached: %s", case_id, why)
        try:
            cases.case_note(actor=actor, case=case, note=PHOTO_LOST.format(why=why[:200]), public=False)
        except Exception:
            logger.exception("could not note the lost photo on case %s", case_id)
        return "failed"
