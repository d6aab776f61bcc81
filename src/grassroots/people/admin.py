"""Admin for people: writes go through people.services; numbers are masked and write-only."""

from __future__ import annotations

from django.contrib import admin

from grassroots.core.admin import ReadOnlyAdminMixin, ScopedAdmin, ScopedTabularInline
from grassroots.people.forms import PersonDetailsForm
from grassroots.people.models import Person, PersonalDataAccess, PersonTag, Residency, VulnerabilityTag
from grassroots.people.search import search_people
from grassroots.people.services import person_register, person_update


class ResidencyInline(ScopedTabularInline):
    """Moves are history: shown here, changed only through the move services."""

    model = Residency
    extra = 0
    can_delete = False
    fields = ["household", "relation", "residence_type", "moved_in", "moved_out", "move_note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PersonTagInline(ScopedTabularInline):
    model = PersonTag
    extra = 0
    fields = ["tag", "level", "since", "note"]


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    form = PersonDetailsForm
    list_display = ["name", "sex", "birth_date", "current_household", "status", "phone_masked"]
    list_filter = ["community", "status", "sex", "tags__tag"]
    search_fields = ["name"]
    readonly_fields = ["id_number_masked", "phone_masked", "phone_kind", "current_household", "status"]
    fields = [
        "community",
        "name",
        "sex",
        "birth_date",
        "id_number",
        "id_number_masked",
        "phone",
        "phone_masked",
        "phone_kind",
        "no_sms",
        "current_household",
        "status",
        "note",
    ]
    inlines = [PersonTagInline, ResidencyInline]
    list_select_related = ["current_household__building"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        """The same search the staff pages use: names, pinyin initials, phone tails, addresses."""
        if not search_term:
            return queryset, False
        matches = search_people(queryset, search_term, limit=500)
        return queryset.filter(id__in=[person.id for person in matches]), False

    def save_model(self, request, obj, form, change) -> None:
        details = form.details()
        if change:
            saved = person_update(actor=request.user, person=obj, details=details)
        else:
            saved = person_register(
                actor=request.user, community_id=form.cleaned_data["community"].id, details=details
            )
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(VulnerabilityTag)
class VulnerabilityTagAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "has_level", "sensitive", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """The audit log: read-only, for the data protection officer."""

    list_display = ["at", "user", "person", "field", "purpose", "ip_address"]
    list_filter = ["field"]
    search_fields = ["user__username", "person__name", "purpose"]
    date_hierarchy = "at"
