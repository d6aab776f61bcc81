from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "grassroots.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # The services declare the actions of the registry (and cases.permissions their rules).
        from grassroots.cases import permissions, services  # noqa: F401
