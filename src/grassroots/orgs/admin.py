from django.contrib import admin

from grassroots.core.admin import ScopedAdmin
from grassroots.orgs.models import MemberUnit, PartyBranch, PartyMember, Skill, Volunteer, VolunteerTeam


@admin.register(PartyBranch)
class PartyBranchAdmin(ScopedAdmin):
    list_display = ["name", "community", "secretary"]
    list_filter = ["community"]
    search_fields = ["name"]
    autocomplete_fields = ["secretary"]


@admin.register(PartyMember)
class PartyMemberAdmin(ScopedAdmin):
    list_display = ["person", "branch", "kind", "workplace", "registered_on"]
    list_filter = ["branch__community", "branch", "kind"]
    search_fields = ["person__name", "person__name_initials", "workplace"]
    autocomplete_fields = ["person"]
    list_select_related = ["person", "branch"]


@admin.register(VolunteerTeam)
class VolunteerTeamAdmin(ScopedAdmin):
    list_display = ["name", "community", "focus", "leader"]
    list_filter = ["community"]
    search_fields = ["name", "focus"]
    autocomplete_fields = ["leader"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Volunteer)
class VolunteerAdmin(ScopedAdmin):
    list_display = ["person", "home_grid", "availability", "active"]
    list_filter = ["active", "teams", "skills", "home_grid"]
    search_fields = ["person__name", "person__name_initials"]
    autocomplete_fields = ["person"]
    filter_horizontal = ["teams", "skills"]
    list_select_related = ["person", "home_grid"]


@admin.register(MemberUnit)
class MemberUnitAdmin(ScopedAdmin):
    list_display = ["name", "kind", "community", "contact_name", "inside_community"]
    list_filter = ["community", "kind", "inside_community"]
    search_fields = ["name", "contact_name", "offers"]
