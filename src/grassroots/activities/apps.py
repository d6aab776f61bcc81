from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "grassroots.activities"
    verbose_name = _("Activities and service hours")

    def ready(self) -> None:
        from grassroots.accounts.home_panels import register_home_panel
        from grassroots.activities.receivers import care_service_delivered, case_hours_reported
        from grassroots.activities.selectors import hours_by_person, recent_hours_by_person
        from grassroots.care.signals import service_delivered
        from grassroots.cases.signals import case_event_committed
        from grassroots.cases.suggest import register_hours_source
        from grassroots.orgs.serving import register_hours_reader

        # A delivered care service puts its hours in the ledger (care never imports this app);
        # so does a case report that carries hours (after its commit).
        service_delivered.connect(care_service_delivered, dispatch_uid="activities.care_hours")
        case_event_committed.connect(case_hours_reported, dispatch_uid="activities.case_hours")
        # The dispatch ranking spreads the work: recent hours in the ledger count against a candidate.
        register_hours_source("activities.ledger", recent_hours_by_person)
        # The serving members' page (orgs, below) shows their hours against their promise from the ledger.
        register_hours_reader(hours_by_person)
        # A member unit's contact finds their co-building record and their offers on the home page.
        register_home_panel(
            name="unit_record",
            template="activities/lists/_home_unit.html",
            load=lambda *, user: user.member_unit,
            shown=_shows_unit_record,
        )


def _shows_unit_record(user) -> bool:
    from grassroots.accounts.roles import user_can, works_from_tasks

    return bool(
        getattr(user, "member_unit_id", None)
        and works_from_tasks(user)
        and user_can(user, "activities.resource.view")
    )
