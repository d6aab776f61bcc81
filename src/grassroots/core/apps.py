from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "grassroots.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate

        checks.register(check_the_data_key, checks.Tags.database)
        checks.register(check_the_audit_retention)
        post_migrate.connect(_record_the_data_key, sender=self, dispatch_uid="core.record_data_key")
        # django-tasks-db names its app in plain English ("Tasks Database Backend"), untranslatable;
        # the admin's index shows our words instead. The library's other strings are in our
        # catalogue (core/third_party_strings.py).
        from django.apps import apps

        if apps.is_installed("django_tasks_db"):  # its label is django_tasks_database
            apps.get_app_config("django_tasks_database").verbose_name = _("Background tasks")
        if apps.is_installed("axes"):
            apps.get_app_config("axes").verbose_name = _("Sign-in protection")
        _name_the_second_factor_in_our_words()


def check_the_data_key(app_configs=None, databases=None, **kwargs) -> list:
    """`migrate` (and `check --database default`) refuse a data key that cannot read the data."""
    from django.core import checks

    from grassroots.core.keys import check_data_key

    if not databases:
        return []
    verdict = check_data_key()
    return [] if verdict.ok else [checks.Critical(verdict.reason, id="grassroots.core.E001")]


def check_the_audit_retention(app_configs=None, **kwargs) -> list:
    """Every command (`serve` and `check --deploy` included) refuses a retention under six months."""
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured

    from grassroots.core.audit import retention_days

    try:
        retention_days()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="grassroots.core.E002")]
    return []


def _record_the_data_key(**kwargs) -> None:
    """A new database records the fingerprint of the key its personal data will be sealed with."""
    from grassroots.core.keys import check_data_key

    check_data_key(record=True)


def _name_the_second_factor_in_our_words() -> None:
    """django-otp names its models in plain English strings (no gettext): the admin shows ours."""
    from django.apps import apps

    names = {
        ("otp_totp", "TOTPDevice"): (_("authenticator app"), _("authenticator apps")),
        ("otp_static", "StaticDevice"): (_("set of recovery codes"), _("recovery codes")),
        ("otp_static", "StaticToken"): (_("recovery code"), _("recovery codes (each)")),
    }
    for (label, model_name), (singular, plural) in names.items():
        if apps.is_installed(f"django_otp.plugins.{label}"):
            meta = apps.get_model(label, model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural
    for label, name in (
        ("otp_totp", _("Second factor: authenticator apps")),
        ("otp_static", _("Second factor: recovery codes")),
    ):
        if apps.is_installed(f"django_otp.plugins.{label}"):
            apps.get_app_config(label).verbose_name = name
