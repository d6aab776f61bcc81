from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "grassroots.notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        checks.register(check_notify_settings, checks.Tags.compatibility)


def check_notify_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when SMS is set to go through a webhook that is not configured."""
    from grassroots.notify import conf

    problems: list[checks.CheckMessage] = []
    transport = conf.get("GRASSROOTS_NOTIFY_SMS")
    if transport not in {"console", "webhook"}:
        problems.append(
            checks.Warning(
                f"GRASSROOTS_NOTIFY_SMS={transport!r} is unknown; the console channel is used.",
                id="grassroots.notify.W001",
            )
        )
    url = conf.get("GRASSROOTS_NOTIFY_WEBHOOK_URL")
    if transport == "webhook" and not url.startswith(("http://", "https://")):
        problems.append(
            checks.Warning(
                "GRASSROOTS_NOTIFY_SMS is 'webhook' but GRASSROOTS_NOTIFY_WEBHOOK_URL is not an http(s) URL; "
                "SMS messages will fail and be retried.",
                id="grassroots.notify.W002",
            )
        )
    return problems
