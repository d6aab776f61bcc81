from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """The dashboard (the legs' instruments): figures read from the case rollups and the care register."""

    name = "grassroots.insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from grassroots.accounts.home_panels import register_home_panel
        from grassroots.insights.home import headline_for, headline_shown

        # The legs' home opens on this month's headline figures, with the dashboard and the board.
        register_home_panel(
            name="headline", template="insights/_home_headline.html", load=headline_for, shown=headline_shown
        )
