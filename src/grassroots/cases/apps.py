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
        from grassroots.core.keys import register_sealed_column

        checks.register(lambda app_configs, **kwargs: coverage_messages(), "grassroots")
        from grassroots.cases import plan_layers

        plan_layers.register()  # what the site plan counts per building
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
