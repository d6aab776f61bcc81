from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "grassroots.api"
    verbose_name = _("API and Open311")

    def ready(self) -> None:
        # A password change ends every API token of the account (sessions end by Django's own
        # session hash); a disabled account's tokens stop working at once (ApiToken.usable).
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save, pre_save

        from grassroots.api import tokens
        from grassroots.core.retention import RetentionRule, delete_rows, register_retention

        register_retention(
            RetentionRule(
                kind="idempotency",
                description=_("idempotency keys of API requests, with the answer kept for a retry: deleted"),
                default_days=1,
                minimum_days=1,
                expired=_old_idempotency_records,
                end=delete_rows,
            )
        )

        user_model = get_user_model()
        pre_save.connect(tokens.note_password_change, sender=user_model, dispatch_uid="api-password-pre")
        post_save.connect(
            tokens.revoke_after_password_change, sender=user_model, dispatch_uid="api-password-post"
        )


def _old_idempotency_records(cutoff):
    from grassroots.api.models import IdempotencyRecord

    return IdempotencyRecord.objects.filter(created_at__lt=cutoff).order_by("created_at")
