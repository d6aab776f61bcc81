from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "grassroots.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # django-tasks-db names its app in plain English ("Tasks Database Backend"), untranslatable;
        # the admin's index shows our words instead. The library's other strings are in our
        # catalogue (core/third_party_strings.py).
        from django.apps import apps

        if apps.is_installed("django_tasks_db"):  # its label is django_tasks_database
            apps.get_app_config("django_tasks_database").verbose_name = _("Background tasks")
        if apps.is_installed("axes"):
            apps.get_app_config("axes").verbose_name = _("Sign-in protection")
