import logging

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "grassroots.notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from grassroots.cases.signals import case_became_overdue, case_event_committed
        from grassroots.core.keys import register_sealed_column
        from grassroots.core.retention import RetentionRule, delete_rows, register_retention

        register_sealed_column(
            "notify.Message",
            "address_encrypted",
            lambda message, digits: message.set_phone(digits),
            ("address", "address_encrypted", "address_masked"),
        )

        register_retention(
            RetentionRule(
                kind="messages",
                description=_("messages sent, failed for good or passed on to call: deleted"),
                default_days=365,
                minimum_days=30,
                expired=_old_messages,
                end=delete_rows,
            )
        )

        checks.register(check_notify_settings, checks.Tags.compatibility)
        checks.register(check_public_url, checks.Tags.compatibility, deploy=True)
        # Notifications subscribe to what cases announce; cases never import this app.
        case_event_committed.connect(_on_case_event, dispatch_uid="notify.case_event")
        case_became_overdue.connect(_on_case_overdue, dispatch_uid="notify.case_overdue")
        from grassroots.insights.signals import report_ready

        report_ready.connect(_on_report_ready, dispatch_uid="notify.report_ready")

        # ... and to what activities announce: a cancelled or changed activity, a place from the waiting list.
        from grassroots.activities.signals import activity_announced, signup_promoted

        activity_announced.connect(_on_activity, dispatch_uid="notify.activity")
        signup_promoted.connect(_on_promoted, dispatch_uid="notify.promoted")


def _old_messages(cutoff):
    """Messages whose story is over (nothing left to send or retry), older than the cutoff."""
    from grassroots.notify.models import Message, MessageStatus

    finished = [MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.REROUTED]
    return Message.objects.filter(created_at__lt=cutoff, status__in=finished).order_by("created_at")


def _on_case_event(sender, *, event_id: int, **kwargs) -> None:
    from grassroots.notify.api import case_event_recorded

    case_event_recorded(event_id)


def _on_activity(sender, *, activity_id: int, kind: str, person_ids, note: str = "", **kwargs) -> None:
    from grassroots.notify.api import activity_announced

    activity_announced(activity_id=activity_id, kind=f"activity_{kind}", person_ids=person_ids, note=note)


def _on_promoted(sender, *, signup_id: int, **kwargs) -> None:
    from grassroots.activities.models import Signup
    from grassroots.notify.api import activity_announced

    row = Signup.objects.filter(pk=signup_id).values_list("activity_id", "person_id").first()
    if row is not None:
        activity_announced(activity_id=row[0], kind="activity_place", person_ids=[row[1]])


def _on_case_overdue(sender, *, case_id: int, **kwargs) -> None:
    from grassroots.notify.api import case_overdue

    case_overdue(case_id)


def _on_report_ready(sender, *, report_id: int, **kwargs) -> None:
    from grassroots.notify.services import notify_report_ready

    try:
        notify_report_ready(report_id)
    except Exception:  # the report is made; the subscribers can still open the list
        logging.getLogger("grassroots.notify").exception(
            "could not tell the subscribers of report %s", report_id
        )


def check_notify_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when SMS is set to go through a webhook that is not configured."""
    from grassroots.notify import conf

    problems: list[checks.CheckMessage] = []
    transport = conf.get("GRASSROOTS_NOTIFY_SMS")
    if transport not in {"console", "webhook", "aliyun", "tencent"}:
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
    problems += _gateway_problems(transport)
    return problems


#: The settings each SMS gateway cannot work without (docs/channels.md).
GATEWAY_SETTINGS = {
    "aliyun": ("GRASSROOTS_ALIYUN_ACCESS_KEY_ID", "GRASSROOTS_ALIYUN_ACCESS_KEY_SECRET"),
    "tencent": (
        "GRASSROOTS_TENCENT_SECRET_ID",
        "GRASSROOTS_TENCENT_SECRET_KEY",
        "GRASSROOTS_TENCENT_SMS_APP_ID",
    ),
}


def _gateway_problems(transport: str) -> list[checks.CheckMessage]:
    """An SMS gateway without its keys, signature or templates: every SMS would fail."""
    from grassroots.notify import conf, gateways

    if transport not in GATEWAY_SETTINGS:
        return []
    missing = [
        name for name in (*GATEWAY_SETTINGS[transport], "GRASSROOTS_SMS_SIGN_NAME") if not conf.get(name)
    ]
    problems = []
    if missing:
        problems.append(
            checks.Warning(
                f"GRASSROOTS_NOTIFY_SMS is {transport!r} but {', '.join(missing)} not set; "
                "SMS will fail and be retried.",
                id="grassroots.notify.W004",
            )
        )
    if not gateways.templates():
        problems.append(
            checks.Warning(
                "GRASSROOTS_SMS_TEMPLATES names no approved template: "
                "every SMS will fail and be passed on to call.",
                hint="See docs/channels.md, 'Templates: the approval model'.",
                id="grassroots.notify.W005",
            )
        )
    return problems


def check_public_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Deploy check: links in messages must lead somewhere a resident's phone can reach.

    GRASSROOTS_PUBLIC_URL defaults to the demo's local address, which works on this machine
    only; a production deployment that leaves it (or any local address) sends dead links.
    """
    from urllib.parse import urlsplit

    from grassroots.notify import conf

    url = conf.get("GRASSROOTS_PUBLIC_URL")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return [
            checks.Warning(
                f"GRASSROOTS_PUBLIC_URL={url!r} is not an http(s) address; links in messages will not work.",
                id="grassroots.notify.W003",
            )
        ]
    if parts.hostname in {"127.0.0.1", "localhost", "::1", "0.0.0.0"}:  # noqa: S104 - compared, not bound
        return [
            checks.Warning(
                f"GRASSROOTS_PUBLIC_URL is {url!r}, this machine only: links in SMS and e-mail will not open "
                "on a resident's phone.",
                hint="Set GRASSROOTS_PUBLIC_URL to the address people reach grassroots at, "
                "e.g. https://grassroots.example.org.",
                id="grassroots.notify.W003",
            )
        ]
    return []
