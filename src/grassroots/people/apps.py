from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "grassroots.people"
    verbose_name = _("People")

    def ready(self) -> None:
        from grassroots.core.audit import register_log_model
        from grassroots.core.keys import register_sealed_column, register_sealed_fields

        register_log_model("people.PersonalDataAccess")  # pruned with the audit trail's retention
        from grassroots.people import plan_layers

        plan_layers.register()  # what the site plan counts per building

        # ID and phone numbers are sealed with the data key (`grassroots keys rotate` re-seals them).
        register_sealed_column(
            "people.Person",
            "phone_encrypted",
            lambda person, digits: person.set_phone(digits),
            ("phone_encrypted", "phone_hash", "phone_tail_hash", "phone_masked", "phone_kind"),
        )
        register_sealed_column(
            "people.Person",
            "id_number_encrypted",
            lambda person, number: person.set_id_number(number),
            ("id_number_encrypted", "id_number_hash", "id_number_masked"),
        )
        register_sealed_fields("people.RegistryChange", "old_sealed", "new_sealed")  # numbers in the history
