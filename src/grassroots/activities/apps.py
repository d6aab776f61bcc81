from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "grassroots.activities"
    verbose_name = _("Activities and service hours")

    def ready(self) -> None:
        from grassroots.activities.receivers import care_service_delivered
        from grassroots.care.signals import service_delivered

        # A delivered care service puts its hours in the ledger (care never imports this app).
        service_delivered.connect(care_service_delivered, dispatch_uid="activities.care_hours")
