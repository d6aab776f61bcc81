from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The resident portal: a surface above cases and care, beside the API and notifications.

    It only reads cases and writes through cases.services, so it sits in the layer that may import
    them; nothing below it imports the portal (the import-linter contract in pyproject.toml).
    """

    name = "grassroots.portal"
    verbose_name = _("Resident portal")
