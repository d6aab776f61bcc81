"""A follower's photo from the Official Account's media endpoint (/cgi-bin/media/get), bounded in size.

One urllib GET with the notify timeout, the shared access_token (notify.gateways), and a read that
stops past the upload limit (cases.uploads), so a large or endless answer never fills memory.
WeChat answers the file itself, or JSON with an errcode (40007: the media_id is unknown or expired).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from django.core.cache import cache

from grassroots.cases.uploads import max_upload_bytes
from grassroots.notify import conf
from grassroots.notify.channels import DeliveryError
from grassroots.notify.gateways import WECHAT_TOKEN_ERRORS, wechat_access_token, wechat_token_key

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}


def _get(url: str, limit: int) -> tuple[bytes, str]:
    request = urllib.request.Request(url, method="GET")  # noqa: S310 - the base URL is a setting
    try:
        with urllib.request.urlopen(request, timeout=conf.get("GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT")) as answer:  # noqa: S310
            content_type = (answer.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            declared = int(answer.headers.get("Content-Length") or 0)
            if declared > limit:
                raise DeliveryError(f"the photo is too large ({declared // (1024 * 1024) + 1} MB)")
            body = answer.read(limit + 1)
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"WeChat media: HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryError(f"WeChat media unreachable: {type(error).__name__}") from None
    if len(body) > limit:
        raise DeliveryError(f"the photo is larger than {limit // (1024 * 1024)} MB")
    return body, content_type


def fetch_media(media_id: str) -> tuple[bytes, str]:
    """(content, file extension) of a temporary media item; DeliveryError when WeChat refuses it."""
    limit = max_upload_bytes()
    for refresh in (False, True):
        token = wechat_access_token(refresh=refresh)
        query = urllib.parse.urlencode({"access_token": token, "media_id": media_id})
        body, content_type = _get(f"{conf.get('GRASSROOTS_WECHAT_API_URL')}/cgi-bin/media/get?{query}", limit)
        if content_type in {"application/json", "text/plain"} or body[:1] == b"{":
            try:
                answer = json.loads(body)
            except ValueError:
                raise DeliveryError("WeChat media: an answer that is neither a photo nor JSON") from None
            code = answer.get("errcode")
            if code in WECHAT_TOKEN_ERRORS:
                cache.delete(wechat_token_key(conf.get("GRASSROOTS_WECHAT_APP_ID")))
                continue
            raise DeliveryError(f"WeChat media errcode {code}")
        return body, EXTENSIONS.get(content_type, ".jpg")
    raise DeliveryError("WeChat media: the access_token was refused after a refresh")
