"""Places: Street > Community > Grid > Building > Household.

The article's "points, lines, grids and nets". Every other record hangs off a
place, and a user's scope is a set of places (a community, or some of its grids),
so these models are what permissions are computed from.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.core.scoping import ScopedQuerySet


class Street(models.Model):
    """A street office (街道): the level above communities, where cases are escalated."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    district = models.CharField(_("district"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """A residents' community (社区) run by its neighbourhood committee; the unit of tenancy."""

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street")
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "id"
    scope_grid_path = None

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """A grid (网格) of 300-500 households with one full-time grid worker."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32)
    description = models.TextField(_("description"), blank=True)
    boundary = models.JSONField(
        _("boundary"),
        null=True,
        blank=True,
        help_text=_("The grid's outline as [longitude, latitude] points (from a GeoJSON import)."),
    )

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_grid_path = "id"

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["community", "code"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="grid_code_unique_in_community"),
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A residential building (楼栋), numbered within its community; it lies in one grid."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("community")
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("grid"))
    number = models.PositiveIntegerField(_("building number"))
    floors = models.PositiveSmallIntegerField(_("floors"), default=6)
    entrances = models.PositiveSmallIntegerField(_("entrances"), default=1)
    head = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_buildings",
        verbose_name=_("building head"),
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    footprint = models.JSONField(
        _("footprint"),
        null=True,
        blank=True,
        help_text=_("The building's outline as [longitude, latitude] points (from a GeoJSON import)."),
    )

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_grid_path = "grid_id"

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["community", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "number"], name="building_number_unique_in_community"
            ),
        ]

    def __str__(self) -> str:
        return _("Building %(number)s") % {"number": self.number}

    def clean(self) -> None:
        if self.grid_id and self.community_id and self.grid.community_id != self.community_id:
            raise ValidationError({"grid": _("This grid belongs to another community.")})


class HouseholdQuerySet(ScopedQuerySet):
    def at_address(self, *, building: int, entrance: int | None = None, room: str | None = None):
        """Households at "4", "4-2" or "4-2-301" (building, entrance, room)."""
        found = self.filter(building__number=building)
        if entrance is not None:
            found = found.filter(entrance=entrance)
        if room:
            found = found.filter(room=room)
        return found


class Household(models.Model):
    """A dwelling (户): building, entrance (单元) and room (室).

    People move in and out of a household over time (see people.Residency); the
    household itself stays, so cases and visits keep their place in history.
    The grid is stored (it must be the building's) so that scoping by grid is one column.
    """

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="households", verbose_name=_("building")
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="households", verbose_name=_("grid")
    )
    entrance = models.PositiveSmallIntegerField(_("entrance"))
    room = models.CharField(_("room"), max_length=16)
    note = models.TextField(_("note"), blank=True)

    objects = HouseholdQuerySet.as_manager()
    scope_community_path = "building__community_id"
    scope_grid_path = "grid_id"
    scope_household_path = "id"

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["building__number", "entrance", "room"]
        constraints = [
            models.UniqueConstraint(fields=["building", "entrance", "room"], name="household_address_unique"),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        """The short form community workers use: 4-2-301."""
        return f"{self.building.number}-{self.entrance}-{self.room}"

    def clean(self) -> None:
        if self.building_id and self.grid_id and self.building.grid_id != self.grid_id:
            raise ValidationError({"grid": _("This household's building lies in another grid.")})
        if self.building_id and self.entrance and self.entrance > self.building.entrances:
            raise ValidationError(
                {
                    "entrance": _("This building has only %(count)d entrances.")
                    % {"count": self.building.entrances}
                }
            )
