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

        user_model = get_user_model()
        pre_save.connect(tokens.note_password_change, sender=user_model, dispatch_uid="api-password-pre")
        post_save.connect(
            tokens.revoke_after_password_change, sender=user_model, dispatch_uid="api-password-post"
        )
