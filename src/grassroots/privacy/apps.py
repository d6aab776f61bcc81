from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "grassroots.privacy"
    verbose_name = _("Personal information")

    def ready(self) -> None:
        from grassroots.core.keys import register_sealed_fields
        from grassroots.core.retention import RetentionRule, register_retention
        from grassroots.privacy import services

        register_sealed_fields("privacy.DataRequest", "details", "decision")
        register_retention(
            RetentionRule(
                kind="former_residents",
                description=_("people who moved out or died: personal data erased (the row stays, nameless)"),
                default_days=3 * 365,
                minimum_days=365,
                expired=services.former_residents_past,
                end=services.erase_for_retention,
            )
        )
