from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    """The phone line's screen pop: lines, duty, calls from the switchboard (docs/telephony.md)."""

    name = "grassroots.telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        from grassroots.cases.intake_panels import register_intake_desk, register_intake_prefill
        from grassroots.core.keys import register_sealed_column
        from grassroots.core.retention import RetentionRule, delete_rows, register_retention
        from grassroots.telephony import desk

        register_sealed_column(
            "telephony.Call",
            "caller_encrypted",
            lambda call, digits: call.set_caller(digits),
            ("caller_encrypted", "caller_hash", "caller_masked"),
        )
        register_retention(
            RetentionRule(
                kind="calls",
                description=_("calls on the phone lines, with the caller's sealed number: deleted"),
                default_days=365,
                minimum_days=30,
                expired=_old_calls,
                end=delete_rows,
            )
        )
        # The intake screen is the phone desk: sign on to a line there, and the call pops there.
        register_intake_desk(name="phone_desk", template="telephony/_desk.html", load=desk.desk_for)
        register_intake_prefill(name="call", load=desk.intake_initial_for)


def _old_calls(cutoff):
    from grassroots.telephony.models import Call

    return Call.objects.filter(rang_at__lt=cutoff).order_by("rang_at")
