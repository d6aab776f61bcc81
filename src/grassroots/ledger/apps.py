from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "grassroots.ledger"
    verbose_name = _("Ledgers (import and export)")

    def ready(self) -> None:
        from grassroots.core.keys import register_sealed_fields

        # An uploaded file holds ID and phone numbers in clear: kept sealed until the import ends.
        register_sealed_fields("ledger.ImportRun", "content")
