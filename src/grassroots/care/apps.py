from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "grassroots.care"
    verbose_name = _("Care")

    def ready(self) -> None:
        from grassroots.care.selectors import recent_visits_for
        from grassroots.cases.intake_panels import register_caller_panel
        from grassroots.core.audit import register_log_model
        from grassroots.core.keys import register_sealed_fields

        register_log_model("care.CareRecordAccess")  # pruned with the audit trail's retention
        from grassroots.care import plan_layers

        plan_layers.register()  # what the site plan counts per building
        # Care findings are sealed at rest (core.fields.SealedTextField); rotation re-seals them.
        register_sealed_fields(
            "care.Visit", "health", "mood_note", "family", "difficulties", "hazard_note", "needs"
        )
        register_sealed_fields("care.SituationNote", "note")
        register_sealed_fields("care.CareProfile", "override_reason")
        register_sealed_fields("care.TierChange", "reason")

        # The intake screen shows the caller's recent care visits; cases never import this app.
        register_caller_panel(
            name="recent_visits", template="care/_caller_visits.html", load=recent_visits_for
        )
