from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "grassroots.activities"
    verbose_name = _("Activities and service hours")

    def ready(self) -> None:
        from grassroots.activities.receivers import care_service_delivered, case_hours_reported
        from grassroots.activities.selectors import recent_hours_by_person
        from grassroots.care.signals import service_delivered
        from grassroots.cases.signals import case_event_committed
        from grassroots.cases.suggest import register_hours_source

        # A delivered care service puts its hours in the ledger (care never imports this app);
        # so does a case report that carries hours (after its commit).
        service_delivered.connect(care_service_delivered, dispatch_uid="activities.care_hours")
        case_event_committed.connect(case_hours_reported, dispatch_uid="activities.case_hours")
        # The dispatch ranking spreads the work: recent hours in the ledger count against a candidate.
        register_hours_source("activities.ledger", recent_hours_by_person)
