from django.contrib import admin

from grassroots.core.admin import ScopedAdmin
from grassroots.places.models import Building, Community, Grid, Household, Street


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "district"]
    search_fields = ["name", "code"]


@admin.register(Community)
class CommunityAdmin(ScopedAdmin):
    list_display = ["name", "code", "street"]
    list_filter = ["street"]
    search_fields = ["name", "code"]


@admin.register(Grid)
class GridAdmin(ScopedAdmin):
    list_display = ["name", "code", "community"]
    list_filter = ["community"]
    search_fields = ["name", "code"]


@admin.register(Building)
class BuildingAdmin(ScopedAdmin):
    list_display = ["number", "community", "grid", "entrances", "floors", "head"]
    list_filter = ["community", "grid"]
    search_fields = ["=number"]
    autocomplete_fields = ["head"]
    list_select_related = ["community", "grid", "head"]


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ["address", "grid"]
    list_filter = ["grid__community", "grid"]
    search_fields = ["=building__number", "room"]
    list_select_related = ["building", "grid"]
    autocomplete_fields = ["building"]
