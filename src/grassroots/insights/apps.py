from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """The dashboard (the legs' instruments): figures read from the case rollups and the care register."""

    name = "grassroots.insights"
    verbose_name = _("Insights")
