from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class WechatConfig(AppConfig):
    name = "grassroots.wechat"
    label = "wechat"
    verbose_name = _("WeChat Official Account")

    def ready(self) -> None:
        from grassroots.core.keys import register_sealed_fields
        from grassroots.core.retention import RetentionRule, delete_rows, register_retention
        from grassroots.notify import followers
        from grassroots.wechat.directory import WECHAT_DIRECTORY

        checks.register(check_wechat_settings, checks.Tags.compatibility)
        register_sealed_fields("wechat.Follower", "openid")
        followers.register("wechat", WECHAT_DIRECTORY)
        register_retention(
            RetentionRule(
                kind="wechat-followers",
                description=_("WeChat followers bound to a resident, silent for this long: unbound"),
                default_days=730,
                minimum_days=180,
                expired=_idle_followers,
                end=delete_rows,
            )
        )
        register_retention(
            RetentionRule(
                kind="wechat-inbound",
                description=_("WeChat messages' keys and replies (to answer WeChat's retries once): deleted"),
                default_days=7,
                minimum_days=1,
                expired=_old_inbound,
                end=delete_rows,
            )
        )
        register_retention(
            RetentionRule(
                kind="wechat-binding-requests",
                description=_("requests to bind a WeChat follower (hashed codes): deleted"),
                default_days=1,
                minimum_days=1,
                expired=_old_requests,
                end=delete_rows,
            )
        )


def _idle_followers(cutoff):
    from django.db.models import Q

    from grassroots.wechat.models import Follower

    idle = Q(last_message_at__lt=cutoff) | Q(last_message_at__isnull=True, bound_at__lt=cutoff)
    return Follower.objects.filter(idle).order_by("bound_at")


def _old_inbound(cutoff):
    from grassroots.wechat.models import Inbound

    return Inbound.objects.filter(received_at__lt=cutoff).order_by("received_at")


def _old_requests(cutoff):
    from grassroots.wechat.models import BindingRequest

    return BindingRequest.objects.filter(created_at__lt=cutoff).order_by("created_at")


def check_wechat_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Name what a configured Official Account lacks (docs/channels.md), before a follower finds out."""
    from grassroots.notify import conf
    from grassroots.notify.gateways import wechat_templates

    problems: list[checks.CheckMessage] = []
    token, key = conf.get("GRASSROOTS_WECHAT_TOKEN"), conf.get("GRASSROOTS_WECHAT_ENCODING_AES_KEY")
    if not token and not wechat_templates():
        return problems
    if key and len(key) != 43:
        problems.append(
            checks.Warning(
                "GRASSROOTS_WECHAT_ENCODING_AES_KEY must be the console's 43 characters.",
                id="grassroots.wechat.W001",
            )
        )
    missing = [
        name
        for name in (
            "GRASSROOTS_WECHAT_APP_ID",
            "GRASSROOTS_WECHAT_APP_SECRET",
            "GRASSROOTS_WECHAT_COMMUNITY",
        )
        if not conf.get(name)
    ]
    if missing:
        problems.append(
            checks.Warning(
                f"The WeChat Official Account is configured without {', '.join(missing)}: "
                "its callback or its template messages will not work.",
                id="grassroots.wechat.W002",
            )
        )
    return problems
