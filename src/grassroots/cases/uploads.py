"""Checks on uploaded photos and files before anything is stored."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
#: The most pixels a photo may declare: a phone's camera makes 50 million at most; a file that
#: declares more (a 100-byte "100000 x 100000" PNG) is a decompression bomb, not a photo.
MAX_PIXELS = 60_000_000
DOCUMENT_TYPES = {".pdf": "application/pdf"}


def max_upload_bytes() -> int:
    return getattr(settings, "GRASSROOTS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)


def check_upload(upload) -> str:
    """Return the real content type of a photo (or PDF), or raise a clear ValidationError.

    The type is read from the content, never from the name or the browser's claim,
    so a renamed file is refused.
    """
    limit = max_upload_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is too large (%(size)d MB; at most %(limit)d MB).")
            % {"name": upload.name, "size": upload.size // (1024 * 1024) + 1, "limit": limit // (1024 * 1024)}
        )
    name = (upload.name or "").lower()
    for suffix, content_type in DOCUMENT_TYPES.items():
        if name.endswith(suffix):
            upload.seek(0)
            head = upload.read(5)
            upload.seek(0)
            if head == b"%PDF-":
                return content_type
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _("“%(name)s” declares %(width)d × %(height)d pixels: that is not a photo we accept.")
                    % {"name": upload.name, "width": width, "height": height}
                )
            image.verify()
    except Image.DecompressionBombError:
        raise ValidationError(
            _("“%(name)s” is not a photo we can read (JPEG, PNG, WebP or GIF).") % {"name": upload.name}
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("“%(name)s” is not a photo we can read (JPEG, PNG, WebP or GIF).") % {"name": upload.name}
        ) from None
    finally:
        upload.seek(0)
    if kind not in IMAGE_TYPES:
        raise ValidationError(
            _("“%(name)s” is not a photo we can read (JPEG, PNG, WebP or GIF).") % {"name": upload.name}
        )
    return IMAGE_TYPES[kind]
