"""The bindings, as notify asks for them (notify.followers): is a resident followed, and at which OpenID."""

from __future__ import annotations

from grassroots.wechat.models import Follower

PREFIX = "wechat:"


class WeChatDirectory:
    """A resident's follower (the latest bound, when several WeChat users bound the same phone)."""

    def follower_of(self, person_id: int) -> str | None:
        pk = (
            Follower.objects.filter(person_id=person_id)
            .order_by("-bound_at")
            .values_list("pk", flat=True)
            .first()
        )
        return f"{PREFIX}{pk}" if pk is not None else None

    def address_of(self, key: str) -> str | None:
        pk = key.removeprefix(PREFIX)
        if not pk.isdigit():
            return None
        follower = Follower.objects.filter(pk=int(pk)).only("openid").first()
        return follower.openid if follower is not None else None


WECHAT_DIRECTORY = WeChatDirectory()
