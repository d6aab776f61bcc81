from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "grassroots.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # The lower layers ask the permission module through core's port.
        from grassroots.accounts import audit, roles, signins  # noqa: F401 (audit, signins: their receivers)
        from grassroots.core import authority
        from grassroots.core.audit import register_log_model

        authority.install(roles)
        register_log_model("accounts.SignInEvent")  # pruned with the audit trail's retention
