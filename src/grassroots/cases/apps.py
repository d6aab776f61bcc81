from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "grassroots.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # The services declare the actions of the registry (and cases.permissions their rules).
        from django.core import checks

        from grassroots.cases import permissions, services  # noqa: F401
        from grassroots.cases.calendar import coverage_messages
        from grassroots.cases.permissions import is_coordinator
        from grassroots.core.audit import register_log_model
        from grassroots.core.keys import register_sealed_column

        register_log_model("cases.PartyLinkUse")  # the one-tap links' uses, pruned with the audit trail

        checks.register(lambda app_configs, **kwargs: coverage_messages(), "grassroots")
        from grassroots.cases import plan_layers

        plan_layers.register()  # what the site plan counts per building

        from grassroots.accounts.home_panels import register_home_panel
        from grassroots.accounts.roles import has_tasks
        from grassroots.cases.selectors import open_tasks_for

        # The hands' home shows their open tasks (the legs' and the mouth's have their own boards).
        register_home_panel(
            name="open_tasks",
            template="cases/_home_tasks.html",
            load=open_tasks_for,
            shown=lambda user: has_tasks(user) and not is_coordinator(user),
        )
        register_sealed_column(
            "cases.Case",
            "reporter_phone_encrypted",
            lambda case, digits: case.set_reporter_phone(digits),
            (
                "reporter_phone_encrypted",
                "reporter_phone_hash",
                "reporter_phone_tail_hash",
                "reporter_phone_masked",
            ),
        )
