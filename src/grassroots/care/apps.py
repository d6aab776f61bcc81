from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "grassroots.care"
    verbose_name = _("Care")

    def ready(self) -> None:
        from grassroots.care.selectors import recent_visits_for
        from grassroots.cases.intake_panels import register_caller_panel
        from grassroots.core.audit import register_log_model

        register_log_model("care.CareRecordAccess")  # pruned with the audit trail's retention

        # The intake screen shows the caller's recent care visits; cases never import this app.
        register_caller_panel(
            name="recent_visits", template="care/_caller_visits.html", load=recent_visits_for
        )
